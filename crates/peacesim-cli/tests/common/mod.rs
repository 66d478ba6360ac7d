//! Helpers shared by the CLI's end-to-end tests: run the built binary, read its output, and install the
//! Debian packages a test drives (tmux, Chromium) when the machine lacks them.
// Each test binary uses some of these.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `peacesim` binary with `args`.
pub(crate) fn peacesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peacesim")).args(args).output().expect("the peacesim binary runs")
}

/// Bytes as text (lossy).
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The standard error of a run, as text.
pub(crate) fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// A path as a command-line argument.
pub(crate) fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Makes sure one of `binaries` runs (`BINARY --version` or `-V` succeeds), installing Debian's `package`
/// (as root, or through passwordless sudo) if none does. Returns the binary found, or fails the test with
/// instructions.
pub(crate) fn ensure_tool(binaries: &[&str], version_flag: &str, package: &str) -> String {
    let find = || {
        binaries
            .iter()
            .find(|b| Command::new(b).arg(version_flag).output().is_ok_and(|o| o.status.success()))
            .map(|b| (*b).to_owned())
    };
    if let Some(b) = find() {
        return b;
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    let apt = |args: &[&str]| {
        let mut c = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            c.args(["-n", "apt-get"]);
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive").status().is_ok_and(|s| s.success())
    };
    let _ = apt(&["update", "-q"]) && apt(&["install", "-y", "-q", package]);
    find().unwrap_or_else(|| {
        panic!("this test needs {package} and could not install it: run `apt-get install {package}`")
    })
}
