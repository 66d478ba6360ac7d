//! Reading the CSV and JSON files that `peacesim run` and `peacesim sweep` write, with errors that name the
//! file, the line and the column.

use crate::error::PlotError;
use std::path::{Path, PathBuf};

/// Opens a CSV file with a header row.
fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, PlotError> {
    let file = std::fs::File::open(path).map_err(|e| PlotError::unreadable(path, e))?;
    Ok(csv::ReaderBuilder::new().has_headers(true).from_reader(file))
}

fn headers(path: &Path, reader: &mut csv::Reader<std::fs::File>) -> Result<Vec<String>, PlotError> {
    let header = reader.headers().map_err(|e| PlotError::csv(path, &e))?;
    let columns: Vec<String> = header.iter().map(str::to_owned).collect();
    if columns.iter().all(String::is_empty) {
        return Err(PlotError::malformed(path, Some(1), None, "the file is empty: no header row"));
    }
    Ok(columns)
}

/// Parses a numeric cell; an empty cell is NaN ("not applicable").
pub(crate) fn number(path: &Path, line: u64, column: &str, cell: &str) -> Result<f64, PlotError> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(f64::NAN);
    }
    cell.parse::<f64>()
        .map_err(|_| PlotError::malformed(path, Some(line), Some(column), format!("`{cell}` is not a number")))
}

/// A CSV file of numbers with a header row, held column by column. Empty cells are NaN.
#[derive(Clone, Debug)]
pub struct NumericTable {
    /// The file it was read from.
    pub path: PathBuf,
    /// The header, one name per column.
    pub columns: Vec<String>,
    /// The values, `values[column][row]`.
    pub values: Vec<Vec<f64>>,
}

impl NumericTable {
    /// Reads a CSV file whose every cell is a number or empty.
    pub fn read(path: &Path) -> Result<NumericTable, PlotError> {
        let mut reader = open(path)?;
        let columns = headers(path, &mut reader)?;
        let mut values = vec![Vec::new(); columns.len()];
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(|e| PlotError::csv(path, &e))? {
            let line = record.position().map_or(0, csv::Position::line);
            for ((cell, column), out) in record.iter().zip(&columns).zip(values.iter_mut()) {
                out.push(number(path, line, column, cell)?);
            }
        }
        Ok(NumericTable { path: path.to_path_buf(), columns, values })
    }

    /// The values of the column of this name.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        let i = self.columns.iter().position(|c| c == name)?;
        self.values.get(i).map(Vec::as_slice)
    }

    /// The number of data rows.
    pub fn rows(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }
}

/// A CSV file read as text, keeping each row's line number for error messages.
#[derive(Clone, Debug)]
pub(crate) struct TextTable {
    pub(crate) path: PathBuf,
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<(u64, Vec<String>)>,
}

impl TextTable {
    pub(crate) fn read(path: &Path) -> Result<TextTable, PlotError> {
        let mut reader = open(path)?;
        let columns = headers(path, &mut reader)?;
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(|e| PlotError::csv(path, &e))? {
            let line = record.position().map_or(0, csv::Position::line);
            rows.push((line, record.iter().map(str::to_owned).collect()));
        }
        Ok(TextTable { path: path.to_path_buf(), columns, rows })
    }

    /// The index of a column, or an error naming the file and the missing column.
    pub(crate) fn require(&self, name: &str) -> Result<usize, PlotError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| PlotError::malformed(&self.path, Some(1), None, format!("no column `{name}` in the header")))
    }

    /// The number in a cell (NaN if empty).
    pub(crate) fn number(&self, line: u64, row: &[String], column: usize) -> Result<f64, PlotError> {
        let name = self.columns.get(column).map_or("", String::as_str);
        number(&self.path, line, name, row.get(column).map_or("", String::as_str))
    }

    /// A whole number in a cell, required.
    pub(crate) fn integer(&self, line: u64, row: &[String], column: usize) -> Result<u64, PlotError> {
        let name = self.columns.get(column).map_or("", String::as_str);
        let cell = row.get(column).map_or("", |s| s.trim());
        cell.parse::<u64>().map_err(|_| {
            PlotError::malformed(&self.path, Some(line), Some(name), format!("`{cell}` is not a whole number"))
        })
    }
}

/// One scheduled or scripted event from a run's events.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The tick it happened in.
    pub tick: f64,
    /// Its kind, e.g. `ceasefire_start`.
    pub kind: String,
    /// The `value` column (NaN if empty); its meaning depends on the kind.
    pub value: f64,
    /// The `detail` column, e.g. the district, the faction or the parameter path.
    pub detail: String,
}

/// The event kinds drawn on time-series charts: schedule changes and scripted or external events, not the
/// per-agent events (`activation`, `arrest`, `flee`, `civilian_killed`, `convoy_*`, ...).
pub const MARKED_EVENT_KINDS: &[&str] = &[
    "parameter_change",
    "deploy",
    "withdraw",
    "drought_start",
    "drought_end",
    "ceasefire_start",
    "ceasefire_end",
    "ceasefire_broken",
    "coup",
    "earthquake",
    "split",
    "defection",
    "reinforcement",
    "relation_change",
    "contingent_deployed",
    "contingent_reinforced",
    "drawdown",
    "contingent_withdrawn",
    "mandate_change",
    "consent_change",
];

/// Reads the events of the [`MARKED_EVENT_KINDS`] from a run's events.csv, streaming it (the file can hold
/// hundreds of thousands of per-agent events, which are skipped without being parsed further).
pub fn read_marked_events(path: &Path) -> Result<Vec<Event>, PlotError> {
    let mut reader = open(path)?;
    let columns = headers(path, &mut reader)?;
    let find = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| PlotError::malformed(path, Some(1), None, format!("no column `{name}` in the header")))
    };
    let (tick, kind, value, detail) = (find("tick")?, find("kind")?, find("value")?, find("detail")?);
    let mut events = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(|e| PlotError::csv(path, &e))? {
        let k = record.get(kind).unwrap_or_default();
        if !MARKED_EVENT_KINDS.iter().any(|m| m.as_bytes() == k) {
            continue;
        }
        let line = record.position().map_or(0, csv::Position::line);
        let text = |i: usize| -> Result<String, PlotError> {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .map(str::to_owned)
                .map_err(|_| PlotError::malformed(path, Some(line), columns.get(i).map(String::as_str), "not UTF-8"))
        };
        let t = number(path, line, "tick", &text(tick)?)?;
        if !t.is_finite() {
            return Err(PlotError::malformed(path, Some(line), Some("tick"), "the tick is empty"));
        }
        events.push(Event {
            tick: t,
            kind: text(kind)?,
            value: number(path, line, "value", &text(value)?)?,
            detail: text(detail)?,
        });
    }
    Ok(events)
}

/// Reads and parses a JSON file.
pub(crate) fn json(path: &Path) -> Result<serde_json::Value, PlotError> {
    let text = std::fs::read_to_string(path).map_err(|e| PlotError::unreadable(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| PlotError::malformed(path, Some(e.line() as u64), None, format!("not valid JSON: {e}")))
}
