//! Embeds the built-in edit files (schemas/edits/*.toml) and code tables
//! (schemas/tables/*.csv) in the binary, so that the service needs no files beside it: writes
//! `$OUT_DIR/builtin_edits.rs` with one `include_str!` per file, in name order.

use std::fmt::Write as _;
use std::path::Path;

fn list(dir: &str, extension: &str) -> Vec<String> {
    println!("cargo:rerun-if-changed={dir}");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(extension))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let mut out = String::new();
    for (constant, dir, extension) in [
        ("EDIT_FILES", "schemas/edits", ".toml"),
        ("TABLE_FILES", "schemas/tables", ".csv"),
    ] {
        let _ = writeln!(out, "/// `{dir}/*{extension}`: (file name, text).");
        let _ = writeln!(out, "pub static {constant}: &[(&str, &str)] = &[");
        for name in list(dir, extension) {
            let path = Path::new(&root).join(dir).join(&name);
            let _ = writeln!(
                out,
                "    ({name:?}, include_str!({:?})),",
                path.display().to_string()
            );
        }
        let _ = writeln!(out, "];");
    }
    let out_dir = std::env::var("OUT_DIR").unwrap_or_default();
    let _ = std::fs::write(Path::new(&out_dir).join("builtin_edits.rs"), out);
}
