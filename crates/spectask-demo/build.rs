//! Rebuild when a sample changes: `include_dir!` notices edited files, not added or removed ones.
fn main() {
    println!("cargo:rerun-if-changed=samples");
}
