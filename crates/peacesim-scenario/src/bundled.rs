//! Scenarios shipped inside the binary, addressed by name (`epstein-run2`).

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// A scenario file shipped with peacesim.
#[derive(Debug, Clone, Copy)]
pub struct BundledScenario {
    /// Name, the file stem (`epstein-run2`).
    pub name: &'static str,
    /// Path in the repository (`scenarios/classic/epstein-run2.toml`).
    pub path: &'static str,
    /// The TOML text.
    pub text: &'static str,
}

impl BundledScenario {
    /// The text of the file's `# summary:` header line, for listings (empty if there is none).
    pub fn summary(&self) -> &'static str {
        self.text.lines().find_map(|l| l.strip_prefix("# summary:")).map(str::trim).unwrap_or("")
    }
}

/// Every bundled scenario, sorted by path.
pub fn all() -> impl Iterator<Item = BundledScenario> {
    BUNDLED.iter().map(|&(name, path, text)| BundledScenario { name, path, text })
}

/// The bundled scenario called `name`, if any.
pub fn find(name: &str) -> Option<BundledScenario> {
    all().find(|s| s.name == name)
}
