//! Progress reporting for long commands: a bar on a terminal, plain periodic lines otherwise (logs).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

/// A progress bar on a terminal; a line per 5% otherwise.
pub(crate) struct Progress {
    label: &'static str,
    unit: &'static str,
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    last_reported: AtomicU64,
}

impl Progress {
    /// Progress over `total` `unit`s; `lines` decides whether plain lines are written when stderr is not a
    /// terminal (short jobs stay quiet in logs).
    pub(crate) fn new(label: &'static str, unit: &'static str, total: u64, lines: bool) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{per_sec}}  ETA {{eta}}");
            if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
                bar.set_style(style);
            }
            bar
        });
        Progress { label, unit, bar, lines, last_reported: AtomicU64::new(u64::MAX) }
    }

    /// Reports `done` of `total`.
    pub(crate) fn update(&self, done: u64, total: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if self.lines => {
                let step = (total / 20).max(1);
                let bucket = done / step;
                if self.last_reported.swap(bucket, Ordering::Relaxed) != bucket || done == total {
                    let percent = 100.0 * done as f64 / total.max(1) as f64;
                    eprintln!("{}: {done}/{total} {} ({percent:.0}%)", self.label, self.unit);
                }
            }
            None => {}
        }
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
