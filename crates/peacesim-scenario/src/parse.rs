//! From bytes to a validated [`Scenario`]: UTF-8 check, TOML parse, `--set` overrides, typed
//! deserialisation and validation, each error located by line and key path.

use crate::error::{Diagnostic, ScenarioError};
use crate::model::{SCHEMA_VERSION, Scenario};
use crate::spans::SpanIndex;
use crate::validate::validate;

/// A `PATH=VALUE` override of one scenario key (the CLI's `--set`, an experiment's varied parameter).
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Dotted key path, e.g. `rules.legitimacy` or `forces.cops.density`.
    pub path: String,
    /// The new value.
    pub value: toml::Value,
}

impl Override {
    /// Parses `PATH=VALUE`; VALUE is read as a TOML value (`0.7`, `true`, `"floor"`), or as a bare string.
    pub fn parse(spec: &str) -> Result<Self, ScenarioError> {
        let Some((path, raw)) = spec.split_once('=') else {
            return Err(ScenarioError::single("--set", None, spec, "expected PATH=VALUE"));
        };
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(ScenarioError::single("--set", None, path, "the key path is empty or has an empty segment"));
        }
        let raw = raw.trim();
        let value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
            Ok(mut table) => table.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_owned())),
            Err(_) => toml::Value::String(raw.to_owned()),
        };
        Ok(Override { path: path.to_owned(), value })
    }

    /// An override from a path and an already-typed value.
    pub fn new(path: impl Into<String>, value: toml::Value) -> Self {
        Override { path: path.into(), value }
    }

    fn apply(&self, table: &mut toml::Table) -> Result<(), String> {
        let segments: Vec<&str> = self.path.split('.').collect();
        let (leaf, parents) = segments.split_last().ok_or_else(|| "empty key path".to_owned())?;
        let mut current = table;
        for (depth, segment) in parents.iter().enumerate() {
            let entry = current.entry((*segment).to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            current = match entry {
                toml::Value::Table(t) => t,
                _ => return Err(format!("`{}` is not a table", segments[..=depth].join("."))),
            };
        }
        current.insert((*leaf).to_owned(), self.value.clone());
        Ok(())
    }
}

/// Parses and validates scenario bytes read from `source_name` (a path or a bundled name), applying
/// `overrides` on top. Every error names the file, the line and the key path.
pub fn parse_scenario_bytes(
    bytes: &[u8],
    source_name: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        ScenarioError::single(source_name, Some(line), "", "the file is not UTF-8 text (is it a scenario file?)")
    })?;
    parse_scenario(text, source_name, overrides)
}

/// Parses and validates scenario text; see [`parse_scenario_bytes`].
pub fn parse_scenario(text: &str, source_name: &str, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    if text.trim().is_empty() {
        return Err(ScenarioError::single(
            source_name,
            Some(1),
            "",
            "the file is empty: a scenario needs at least `schema_version`, `name`, `grid`, `rules` and `populations`",
        ));
    }
    let spans = SpanIndex::new(text);
    let mut table = parse_table(text, source_name, &spans)?;

    match table.get("schema_version") {
        Some(toml::Value::Integer(v)) if *v == i64::from(SCHEMA_VERSION) => {}
        Some(toml::Value::Integer(v)) => {
            return Err(located(
                source_name,
                &spans,
                "schema_version",
                format!("schema version {v} is not supported; this build reads version {SCHEMA_VERSION}"),
            ));
        }
        _ => {}
    }

    for o in overrides {
        o.apply(&mut table).map_err(|message| ScenarioError::single("--set", None, &o.path, message))?;
    }

    let scenario: Scenario = deserialize_table(table, source_name, &spans, overrides)?;

    let problems = validate(&scenario);
    if problems.is_empty() {
        return Ok(scenario);
    }
    let located: Vec<ScenarioError> = problems
        .into_iter()
        .map(|(key, message)| locate_error(source_name, &spans, overrides, &key, message))
        .collect();
    // Problems caused by `--set` are reported against it; when the file has problems too, those lead.
    let from_file = located.iter().any(|e| e.source_name != "--set");
    let source = if from_file { source_name } else { "--set" };
    let diagnostics = located
        .into_iter()
        .flat_map(|e| {
            let from_set = e.source_name == "--set";
            e.diagnostics.into_iter().map(move |mut d| {
                if from_set && from_file {
                    d.message.push_str(" (set by --set)");
                }
                d
            })
        })
        .collect();
    Err(ScenarioError { source_name: source.to_owned(), diagnostics })
}

fn located(source_name: &str, spans: &SpanIndex, key: &str, message: String) -> ScenarioError {
    let (line, column) = spans.locate(key).unzip();
    ScenarioError {
        source_name: source_name.to_owned(),
        diagnostics: vec![Diagnostic { line, column, key: key.to_owned(), message }],
    }
}

fn locate_error(
    source_name: &str,
    spans: &SpanIndex,
    overrides: &[Override],
    key: &str,
    message: String,
) -> ScenarioError {
    // The problem is the override's when the key is the overridden path, lies below it, or is a table the
    // override created (`--set populations.new.density=0.1` leaves `populations.new` without a vision).
    let from_override = overrides.iter().any(|o| {
        key == o.path
            || key.starts_with(&format!("{}.", o.path))
            || key.starts_with(&format!("{}[", o.path))
            || (!key.is_empty() && o.path.starts_with(&format!("{key}.")) && spans.locate_exact(key).is_none())
    });
    if from_override {
        return ScenarioError::single("--set", None, key, message);
    }
    located(source_name, spans, key, message)
}

/// Parses TOML text into a table, locating a syntax error by line and column.
fn parse_table(text: &str, source_name: &str, spans: &SpanIndex) -> Result<toml::Table, ScenarioError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| spans.line_col(s.start)).unzip();
        ScenarioError {
            source_name: source_name.to_owned(),
            diagnostics: vec![Diagnostic {
                line,
                column,
                key: String::new(),
                message: format!("invalid TOML: {}", e.message().trim()),
            }],
        }
    })
}

/// Deserialises a table into `T`, naming the key path (and its line) of the first type error or unknown key.
fn deserialize_table<T: serde::de::DeserializeOwned>(
    table: toml::Table,
    source_name: &str,
    spans: &SpanIndex,
    overrides: &[Override],
) -> Result<T, ScenarioError> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let mut key = e.path().to_string();
        if key == "." {
            key.clear();
        }
        let message = e.inner().message().trim().to_owned();
        // For unknown fields serde reports the containing table; name the offending key itself.
        if let Some(field) = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next())
            && key.rsplit('.').next() != Some(field)
        {
            key = if key.is_empty() { field.to_owned() } else { format!("{key}.{field}") };
        }
        locate_error(source_name, spans, overrides, &key, message)
    })
}

/// A TOML file deserialised into `T`, keeping what is needed to locate later problems by key path.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The deserialised value.
    pub value: T,
    source_name: String,
    spans: SpanIndex,
}

impl<T> Located<T> {
    /// An error about `key`, located at its line in the file (or the closest enclosing key's line).
    pub fn error(&self, key: &str, message: impl Into<String>) -> ScenarioError {
        located(&self.source_name, &self.spans, key, message.into())
    }

    /// The file (or name) it was read from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }
}

/// Reads any TOML file format of peacesim's into `T` with located errors: UTF-8 check, empty check, TOML
/// syntax, then typed deserialisation (unknown keys and wrong types name their key path and line).
pub fn parse_located<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    source_name: &str,
) -> Result<Located<T>, ScenarioError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        ScenarioError::single(source_name, Some(line), "", "the file is not UTF-8 text")
    })?;
    if text.trim().is_empty() {
        return Err(ScenarioError::single(source_name, Some(1), "", "the file is empty"));
    }
    let spans = SpanIndex::new(text);
    let table = parse_table(text, source_name, &spans)?;
    let value = deserialize_table(table, source_name, &spans, &[])?;
    Ok(Located { value, source_name: source_name.to_owned(), spans })
}
