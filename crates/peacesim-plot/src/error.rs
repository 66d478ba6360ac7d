//! The errors of reading peacesim outputs and drawing charts.

use std::path::{Path, PathBuf};

/// Why charts could not be drawn. [`PlotError::is_input`] tells bad input (a missing or malformed file,
/// a directory that holds no peacesim output) from a failure to draw or write a chart.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A directory or file that should be there is missing or cannot be read.
    #[error("{}: {message}", path.display())]
    Unreadable {
        /// The directory or file.
        path: PathBuf,
        /// What went wrong, e.g. `No such file or directory (os error 2)`.
        message: String,
    },
    /// A file is there but its content is not what peacesim writes.
    #[error("{}{}: {message}", path.display(), location(*line, column.as_deref()))]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the problem, counting the header as line 1, when known.
        line: Option<u64>,
        /// The column (its header name) of the problem, when known.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The directory holds neither a run's outputs nor a sweep's.
    #[error(
        "{}: not a run or sweep directory (a run has timeseries.csv, a sweep runs.csv and manifest.json)",
        .0.display()
    )]
    NotAnOutputDirectory(PathBuf),
    /// A chart could not be drawn.
    #[error("drawing {chart}: {message}")]
    Draw {
        /// The chart's file name.
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// A chart or the output directory could not be written.
    #[error("cannot write {}: {message}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

fn location(line: Option<u64>, column: Option<&str>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}: column `{c}`"),
        (Some(l), None) => format!(":{l}"),
        (None, Some(c)) => format!(": column `{c}`"),
        (None, None) => String::new(),
    }
}

impl PlotError {
    /// Whether the error is bad input (exit code 2 in the CLI) rather than a failure to draw or write.
    pub fn is_input(&self) -> bool {
        matches!(self, PlotError::Unreadable { .. } | PlotError::Malformed { .. } | PlotError::NotAnOutputDirectory(_))
    }

    pub(crate) fn malformed(path: &Path, line: Option<u64>, column: Option<&str>, message: impl Into<String>) -> Self {
        PlotError::Malformed {
            path: path.to_path_buf(),
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    pub(crate) fn unreadable(path: &Path, e: impl std::fmt::Display) -> Self {
        PlotError::Unreadable { path: path.to_path_buf(), message: e.to_string() }
    }

    /// Maps a csv error: I/O errors make the file unreadable, others malformed with the csv crate's line.
    pub(crate) fn csv(path: &Path, e: &csv::Error) -> Self {
        let line = e.position().map(|p| p.line());
        match e.kind() {
            csv::ErrorKind::Io(io) => PlotError::unreadable(path, io),
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => PlotError::malformed(
                path,
                line,
                None,
                format!("a row has {len} field(s) where the header has {expected_len}"),
            ),
            csv::ErrorKind::Utf8 { err, .. } => PlotError::malformed(path, line, None, format!("not UTF-8: {err}")),
            _ => PlotError::malformed(path, line, None, e.to_string()),
        }
    }
}
