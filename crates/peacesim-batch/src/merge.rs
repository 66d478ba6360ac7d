//! `merge`: joins the shard directories of one plan into exactly what the unsharded sweep writes.

use crate::output::replace_file;
use crate::sweep::{BatchError, Manifest, data_lines, finish};
use std::path::{Path, PathBuf};

/// Merges `shards` (directories written by `sweep --shard I/N`) into `out`.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<Manifest, BatchError> {
    if shards.is_empty() {
        return Err(BatchError::Input("merge needs at least one shard directory".into()));
    }
    let manifests: Vec<Manifest> = shards.iter().map(|d| Manifest::read(d)).collect::<Result<_, _>>()?;
    let first = &manifests[0];
    let count = first.shard.map_or(1, |s| s.count);
    let mut by_index: Vec<Option<usize>> = vec![None; count as usize];
    for (i, m) in manifests.iter().enumerate() {
        let dir = shards[i].display();
        if m.experiment_fingerprint != first.experiment_fingerprint || m.plan_size != first.plan_size {
            return Err(BatchError::Input(format!(
                "{dir}: belongs to another plan (fingerprint {}, not {})",
                m.experiment_fingerprint, first.experiment_fingerprint
            )));
        }
        let shard = m.shard.map_or((0, 1), |s| (s.index, s.count));
        if shard.1 != count {
            return Err(BatchError::Input(format!(
                "{dir}: is shard {}/{}, but {} is one of {count}",
                shard.0,
                shard.1,
                shards[0].display()
            )));
        }
        if by_index[shard.0 as usize].replace(i).is_some() {
            return Err(BatchError::Input(format!("{dir}: shard {}/{count} given twice", shard.0)));
        }
        if m.completed_runs < m.runs_in_scope {
            return Err(BatchError::Input(format!(
                "{dir}: shard {}/{count} is not finished ({} of {} runs); resume it first",
                shard.0, m.completed_runs, m.runs_in_scope
            )));
        }
    }
    let missing: Vec<String> =
        by_index.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        return Err(BatchError::Input(format!(
            "missing shard(s) {}: runs {} are not covered",
            missing.join(", "),
            describe_missing(&missing, count, first.plan_size)
        )));
    }
    let ordered: Vec<&Path> = by_index.iter().map(|i| shards[i.unwrap_or(0)].as_path()).collect();
    std::fs::create_dir_all(out).map_err(|e| BatchError::Runtime(format!("creating {}: {e}", out.display())))?;

    // runs.csv: run r comes from shard r mod N, whose rows are in run order.
    let mut readers = Vec::new();
    let mut header = None;
    for dir in &ordered {
        let (h, lines) = data_lines(&dir.join("runs.csv"))?;
        if header.get_or_insert_with(|| h.clone()) != &h {
            return Err(BatchError::Input(format!(
                "{}/runs.csv: its header differs from the other shards'",
                dir.display()
            )));
        }
        readers.push(lines);
    }
    let mut merged = header.unwrap_or_default().into_bytes();
    let mut absent = Vec::new();
    for run in 0..first.plan_size {
        let shard = (run % count) as usize;
        match readers[shard].next().transpose()? {
            Some(line) if line.split(',').next() == Some(run.to_string().as_str()) => {
                merged.extend_from_slice(line.as_bytes())
            }
            _ => absent.push(run),
        }
    }
    if !absent.is_empty() {
        let shown: Vec<String> = absent.iter().take(20).map(u64::to_string).collect();
        return Err(BatchError::Input(format!(
            "runs missing from the shards: {}{}",
            shown.join(", "),
            if absent.len() > 20 { ", ..." } else { "" }
        )));
    }
    replace_file(&out.join("runs.csv"), &merged).map_err(|e| BatchError::Runtime(format!("writing runs.csv: {e}")))?;

    // timeseries.csv: the rows of each run, in run order.
    let with_timeseries = ordered.iter().filter(|d| d.join("timeseries.csv").exists()).count();
    if with_timeseries != 0 && with_timeseries != ordered.len() {
        return Err(BatchError::Input("some shards have timeseries.csv and some do not".into()));
    }
    if with_timeseries == ordered.len() {
        let mut readers = Vec::new();
        let mut merged = Vec::new();
        for dir in &ordered {
            let (h, lines) = data_lines(&dir.join("timeseries.csv"))?;
            if merged.is_empty() {
                merged.extend_from_slice(h.as_bytes());
            }
            readers.push(lines.peekable());
        }
        for run in 0..first.plan_size {
            let reader = &mut readers[(run % count) as usize];
            let key = format!("{run},");
            loop {
                match reader.peek() {
                    Some(Ok(line)) if line.starts_with(&key) => {
                        if !line.ends_with('\n') {
                            return Err(BatchError::Input(format!("run {run}: a timeseries row is incomplete")));
                        }
                        merged.extend_from_slice(line.as_bytes());
                        reader.next();
                    }
                    Some(Err(_)) => {
                        return Err(reader
                            .next()
                            .and_then(Result::err)
                            .unwrap_or_else(|| BatchError::Runtime("read error".into())));
                    }
                    _ => break,
                }
            }
        }
        if let Some(i) = readers.iter_mut().position(|r| r.peek().is_some()) {
            return Err(BatchError::Input(format!(
                "{}/timeseries.csv: rows left over after the last run",
                ordered[i].display()
            )));
        }
        replace_file(&out.join("timeseries.csv"), &merged)
            .map_err(|e| BatchError::Runtime(format!("writing timeseries.csv: {e}")))?;
    }

    let mut manifest = first.clone();
    manifest.shard = None;
    manifest.runs_in_scope = first.plan_size;
    manifest.completed_runs = first.plan_size;
    manifest.failed = manifests.iter().flat_map(|m| m.failed.iter().cloned()).collect();
    manifest.failed.sort_by_key(|f| f.run_id);
    manifest.status = if manifest.failed.is_empty() { "complete" } else { "complete_with_failures" }.to_owned();
    finish(out, &manifest)?;
    Ok(manifest)
}

fn describe_missing(missing: &[String], count: u64, plan_size: u64) -> String {
    let first: Vec<String> = missing
        .iter()
        .filter_map(|m| m.split('/').next().and_then(|i| i.parse::<u64>().ok()))
        .flat_map(|i| (i..plan_size).step_by(count as usize).take(3))
        .map(|r| r.to_string())
        .collect();
    format!("{}, ...", first.join(", "))
}
