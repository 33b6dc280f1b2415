//! Rebuilds the crate when a migration is added, removed or edited: `migrate!` embeds every file of
//! `migrations/<backend>/`, and without this a new file would not be picked up until other code changed.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
