//! Output files written so that a crash never leaves a torn file: each is written beside its final name
//! and renamed into place when complete.

use anyhow::Context;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; it appears under its final name only when [`AtomicFile::commit`] succeeds, and
/// its temporary file is removed if it is dropped uncommitted (an error on the way).
pub(crate) struct AtomicFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    writer: BufWriter<File>,
    committed: bool,
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

impl AtomicFile {
    /// Starts writing `dir/name`.
    pub(crate) fn create(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let final_path = dir.join(name);
        let temp_path = dir.join(format!(".{name}.partial"));
        let file = File::create(&temp_path).with_context(|| format!("cannot create {}", temp_path.display()))?;
        Ok(AtomicFile { final_path, temp_path, writer: BufWriter::new(file), committed: false })
    }

    /// The writer.
    pub(crate) fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Flushes, syncs and renames into place.
    pub(crate) fn commit(mut self) -> anyhow::Result<PathBuf> {
        self.writer.flush().with_context(|| format!("cannot write {}", self.temp_path.display()))?;
        self.writer.get_ref().sync_all().with_context(|| format!("cannot sync {}", self.temp_path.display()))?;
        std::fs::rename(&self.temp_path, &self.final_path)
            .with_context(|| format!("cannot move {} into place", self.final_path.display()))?;
        self.committed = true;
        Ok(self.final_path.clone())
    }
}
