//! Rebuild when the built dashboard changes: `include_dir!` notices edited files, not added or
//! removed ones, and every Vite build names its assets by their content.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
