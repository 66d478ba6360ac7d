//! Errors that name the file, the line and the key path.

use std::fmt;

/// One problem found in a scenario, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line in the file, when the problem has a place in it.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key path (`rules.legitimacy`, `schedule[2].ramp.end`); empty for the whole file.
    pub key: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// A scenario that could not be read, parsed or validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file (or `--set` flag, or bundled name) the problems are in.
    pub source_name: String,
    /// Every problem found, in file order where that is known.
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    /// An error with a single diagnostic.
    pub fn single(source_name: &str, line: Option<usize>, key: &str, message: impl Into<String>) -> Self {
        Self {
            source_name: source_name.to_owned(),
            diagnostics: vec![Diagnostic { line, column: None, key: key.to_owned(), message: message.into() }],
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.source_name)?;
            if let Some(line) = d.line {
                write!(f, ":{line}")?;
                if let Some(column) = d.column {
                    write!(f, ":{column}")?;
                }
            }
            if d.key.is_empty() {
                write!(f, ": {}", d.message)?;
            } else {
                write!(f, ": key `{}`: {}", d.key, d.message)?;
            }
        }
        Ok(())
    }
}
