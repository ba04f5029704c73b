//! Rebuilds the server when the embedded web UI (`ui/dist`, see `src/routes/ui.rs`) changes:
//! `include_dir!` alone does not tell Cargo which files it read.

fn main() {
    println!("cargo:rerun-if-changed=../../ui/dist");
}
