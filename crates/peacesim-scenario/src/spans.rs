//! Maps dotted key paths to byte spans in the source text, so that errors found after deserialising
//! (type errors, range checks) can still name a line.

use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// Key path -> span of the key (for table entries) or of the value (for array items).
#[derive(Debug, Default, Clone)]
pub(crate) struct SpanIndex {
    spans: BTreeMap<String, Range<usize>>,
    line_starts: Vec<usize>,
}

impl SpanIndex {
    /// Indexes `text`; returns an empty index if the text does not parse (the parse error is reported elsewhere).
    pub(crate) fn new(text: &str) -> Self {
        let mut index = SpanIndex {
            spans: BTreeMap::new(),
            line_starts: std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect(),
        };
        if let Ok(table) = DeTable::parse(text) {
            index.walk_table("", table.get_ref());
        }
        index
    }

    fn walk_table(&mut self, prefix: &str, table: &DeTable<'_>) {
        for (key, value) in table {
            let path =
                if prefix.is_empty() { key.get_ref().to_string() } else { format!("{prefix}.{}", key.get_ref()) };
            self.spans.entry(path.clone()).or_insert_with(|| key.span());
            self.walk_value(&path, value.get_ref());
        }
    }

    fn walk_value(&mut self, path: &str, value: &DeValue<'_>) {
        match value {
            DeValue::Table(table) => self.walk_table(path, table),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    self.spans.entry(item_path.clone()).or_insert_with(|| item.span());
                    self.walk_value(&item_path, item.get_ref());
                }
            }
            _ => {}
        }
    }

    /// 1-based line and column of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset).max(1);
        (line, offset - self.line_starts[line - 1] + 1)
    }

    /// Line and column of exactly `path`, if the file has that key.
    pub(crate) fn locate_exact(&self, path: &str) -> Option<(usize, usize)> {
        self.spans.get(path).map(|span| self.line_col(span.start))
    }

    /// Line and column of the closest key at or above `path`.
    pub(crate) fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let mut candidate = path.to_owned();
        loop {
            if let Some(span) = self.spans.get(&candidate) {
                return Some(self.line_col(span.start));
            }
            let cut = candidate.rfind(['.', '['])?;
            candidate.truncate(cut);
        }
    }
}
