//! summary.csv (per design point: mean, s.d., 95% CI and n of each outcome) and sensitivity.csv (Sobol
//! indices), both derived from runs.csv, so a sweep, a resumed sweep and a merge of shards agree.

use crate::design::design_rng;
use crate::output::{number, replace_file};
use crate::stats::{Moments, sobol_indices};
use crate::sweep::{BatchError, Manifest};
use std::path::Path;

/// Stream of the master seed for bootstrap resampling (the design uses the stream below it).
const BOOTSTRAP_STREAM_OFFSET: u64 = 1;

struct Point {
    id: u64,
    parameters: Vec<String>,
    moments: Vec<Moments>,
    n: u64,
}

/// Reads runs.csv into per-point moments, in point order.
fn points(dir: &Path, manifest: &Manifest) -> Result<Vec<Point>, BatchError> {
    let path = dir.join("runs.csv");
    let mut reader =
        csv::Reader::from_path(&path).map_err(|e| BatchError::Runtime(format!("{}: {e}", path.display())))?;
    let (p, k) = (manifest.parameters.len(), manifest.outcomes.len());
    let mut out: Vec<Point> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| BatchError::Runtime(format!("{}: {e}", path.display())))?;
        let id: u64 = record
            .get(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| BatchError::Runtime(format!("{}: bad point_id", path.display())))?;
        if out.last().is_none_or(|last| last.id != id) {
            out.push(Point {
                id,
                parameters: (0..p).map(|i| record.get(4 + i).unwrap_or("").to_owned()).collect(),
                moments: vec![Moments::new(); k],
                n: 0,
            });
        }
        let Some(point) = out.last_mut() else { continue };
        let values: Vec<Option<f64>> = (0..k).map(|i| record.get(4 + p + i).and_then(|s| s.parse().ok())).collect();
        if values.iter().all(Option::is_some) {
            point.n += 1;
            for (m, v) in point.moments.iter_mut().zip(values) {
                m.push(v.unwrap_or(f64::NAN));
            }
        }
    }
    Ok(out)
}

fn cell(v: f64) -> String {
    if v.is_finite() { number(v) } else { String::new() }
}

/// Writes summary.csv: `point_id`, the parameters, then per outcome `<name>_mean,<name>_sd,<name>_ci95_lo,
/// <name>_ci95_hi`, then `n` (successful runs). Empty cells where a statistic is undefined (n < 2).
pub(crate) fn write_summary(dir: &Path, manifest: &Manifest) -> Result<(), BatchError> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let mut header = vec!["point_id".to_owned()];
    header.extend(manifest.parameters.iter().cloned());
    for o in &manifest.outcomes {
        header.extend(["mean", "sd", "ci95_lo", "ci95_hi"].iter().map(|s| format!("{o}_{s}")));
    }
    header.push("n".to_owned());
    let fail = |e: csv::Error| BatchError::Runtime(format!("summary.csv: {e}"));
    w.write_record(&header).map_err(fail)?;
    for point in points(dir, manifest)? {
        let mut row = vec![point.id.to_string()];
        row.extend(point.parameters.iter().cloned());
        for m in &point.moments {
            let (lo, hi) = m.ci95();
            row.extend([cell(m.mean()), cell(m.sd()), cell(lo), cell(hi)]);
        }
        row.push(point.n.to_string());
        w.write_record(&row).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| BatchError::Runtime(format!("summary.csv: {e}")))?;
    replace_file(&dir.join("summary.csv"), &bytes).map_err(|e| BatchError::Runtime(format!("writing summary.csv: {e}")))
}

/// Writes sensitivity.csv for a Sobol design: per outcome and parameter, first-order and total-order indices
/// with bootstrap 95% intervals, from the per-point means over replicates.
pub(crate) fn write_sensitivity(dir: &Path, manifest: &Manifest) -> Result<(), BatchError> {
    let points = points(dir, manifest)?;
    let d = manifest.parameters.len();
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let fail = |e: csv::Error| BatchError::Runtime(format!("sensitivity.csv: {e}"));
    w.write_record(["outcome", "parameter", "S1", "S1_ci95_lo", "S1_ci95_hi", "ST", "ST_ci95_lo", "ST_ci95_hi"])
        .map_err(fail)?;
    for (k, outcome) in manifest.outcomes.iter().enumerate() {
        let y: Vec<f64> = points.iter().map(|p| p.moments[k].mean()).collect();
        let mut rng = design_rng(manifest.master_seed);
        rng.set_stream(rng.get_stream() + BOOTSTRAP_STREAM_OFFSET + k as u64);
        let indices = if y.iter().all(|v| v.is_finite()) {
            sobol_indices(&y, d, manifest.bootstrap as usize, &mut rng)
        } else {
            None
        };
        for (i, parameter) in manifest.parameters.iter().enumerate() {
            let row = match &indices {
                Some(s) => vec![
                    outcome.clone(),
                    parameter.clone(),
                    cell(s.first[i]),
                    cell(s.first_ci[i].0),
                    cell(s.first_ci[i].1),
                    cell(s.total[i]),
                    cell(s.total_ci[i].0),
                    cell(s.total_ci[i].1),
                ],
                // Undefined (a failed run, or an outcome that never varies): empty cells, not made-up numbers.
                None => vec![
                    outcome.clone(),
                    parameter.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            };
            w.write_record(&row).map_err(fail)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| BatchError::Runtime(format!("sensitivity.csv: {e}")))?;
    replace_file(&dir.join("sensitivity.csv"), &bytes)
        .map_err(|e| BatchError::Runtime(format!("writing sensitivity.csv: {e}")))
}
