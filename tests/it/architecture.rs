//! The layering rule of ARCHITECTURE.md, enforced: the core knows nothing of HTTP, SQL, the
//! async runtime or the outer layers.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_core_imports_no_web_database_or_runtime_crate_and_no_outer_layer() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
    let mut files = Vec::new();
    rust_files(&core, &mut files);
    assert!(files.len() >= 8, "found only {} core files", files.len());
    let forbidden = [
        "actix_web",
        "actix_http",
        "diesel",
        "r2d2",
        "tokio",
        "crate::app",
        "crate::store",
        "crate::http",
        "crate::cli",
        "std::fs",
        "Utc::now",
        "Local::now",
    ];
    let mut offences = Vec::new();
    // Test-only files (`tests.rs`, compiled under #[cfg(test)]) may read fixtures.
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        // Unit tests at the bottom of a file may read fixtures; the code above them may not.
        let code_part = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code_part.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for f in forbidden {
                if code.contains(f) {
                    offences.push(format!("{}:{}: {f}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "the core must stay pure:\n{}",
        offences.join("\n")
    );
}
