//! Embeds every bundled scenario under `scenarios/` into the library, so that `peacesim run epstein-run2`
//! works from any working directory without locating files at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Experiments are not scenarios; they are bundled separately by the batch crate.
            if path.file_name().is_some_and(|n| n == "experiments") {
                continue;
            }
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../../scenarios");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Bundled scenarios: (name, path relative to the repository, TOML text), sorted by path.\npub static BUNDLED: &[(&str, &str, &str)] = &[\n",
    );
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file.file_stem().and_then(|s| s.to_str()).expect("scenario file names are UTF-8");
        let rel = file.strip_prefix(&root).expect("under root").to_string_lossy().replace('\\', "/");
        let abs = file.canonicalize().expect("scenario file exists");
        writeln!(code, "    ({name:?}, \"scenarios/{rel}\", include_str!({:?})),", abs.display().to_string())
            .expect("writing to a String cannot fail");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
