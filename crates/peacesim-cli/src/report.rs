//! `peacesim report`: an after-action report of a run, or of a base run and a what-if branch of it, as one
//! self-contained HTML file: the outcomes side by side with their differences, timelines (the branch dashed
//! over the base), the key events of both, and map frames at chosen ticks. Given a sweep's directory, the
//! report of the experiment instead: its plan and progress, every design point's outcomes with their 95%
//! confidence intervals, the Sobol indices where the design has them, and the sweep's charts. Charts come
//! from peacesim-plot as SVG and are written inline, so the file needs nothing beside it.

use crate::Failure;
use crate::output::AtomicFile;
use anyhow::{Context, anyhow};
use clap::Args;
use peacesim_batch::sweep::Manifest;
use peacesim_plot::sweep::SweepData;
use peacesim_plot::{Format, PlotOptions, RunData};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Arguments of `peacesim report`.
#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// The base run's directory (written by `peacesim run` or `peacesim replay --out`), or a sweep's
    /// (written by `peacesim sweep` or `peacesim merge`).
    base: PathBuf,
    /// A branch of it (`peacesim replay ... --inject FILE --out DIR`), compared with the base.
    branch: Option<PathBuf>,
    /// The HTML file to write (default: BASE/report.html, or BRANCH/report.html with a branch).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Ticks at which to show the maps of runs recorded with --record-frames (default: the first, the
    /// middle and the last recorded).
    #[arg(long, value_name = "T,T,...", value_delimiter = ',')]
    map_ticks: Vec<u64>,
}

/// A run's directory as the report reads it.
struct Side {
    label: &'static str,
    dir: PathBuf,
    data: RunData,
    summary: serde_json::Value,
}

impl Side {
    fn read(label: &'static str, dir: &Path) -> Result<Side, Failure> {
        let data = RunData::read(dir).map_err(plot_failure)?;
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure::Input(anyhow!("{}: cannot read: {e}", path.display())))?;
        let summary = serde_json::from_str(&text)
            .map_err(|e| Failure::Input(anyhow!("{}: not valid JSON: {e}", path.display())))?;
        Ok(Side { label, dir: dir.to_path_buf(), data, summary })
    }

    fn name(&self) -> String {
        let s = &self.summary;
        format!(
            "{} seed {}{}",
            s["scenario"].as_str().unwrap_or("?"),
            s["seed"].as_u64().map_or("?".to_owned(), |v| v.to_string()),
            s["inject"].as_str().map_or(String::new(), |i| format!(", inject {i}"))
        )
    }
}

/// A failure to read a run's or a sweep's outputs: bad input (exit code 2) or a runtime failure.
fn plot_failure(e: peacesim_plot::PlotError) -> Failure {
    if e.is_input() { Failure::Input(e.into()) } else { Failure::Runtime(e.into()) }
}

/// Runs `peacesim report`.
pub(crate) fn report(args: &ReportArgs) -> Result<(), Failure> {
    if peacesim_plot::detect(&args.base).is_ok_and(|k| k == peacesim_plot::OutputKind::Sweep) {
        return sweep_report(args);
    }
    let base = Side::read("base", &args.base)?;
    let branch = args.branch.as_deref().map(|b| Side::read("branch", b)).transpose()?;
    let out = args.out.clone().unwrap_or_else(|| branch.as_ref().map_or(&base.dir, |b| &b.dir).join("report.html"));
    for side in std::iter::once(&base).chain(&branch) {
        if !args.map_ticks.is_empty() {
            match &side.data.frames {
                Some(frames) => frames.check_ticks(&args.map_ticks).map_err(|e| Failure::Input(e.into()))?,
                None => {
                    return Err(Failure::Input(anyhow!(
                        "{}: --map-ticks needs a run recorded with --record-frames",
                        side.dir.display()
                    )));
                }
            }
        }
    }
    write_html(&out, &with_scratch(|scratch| build(&base, branch.as_ref(), &args.map_ticks, scratch))?)
}

/// The page `build` returns, with its SVG charts drawn into a scratch directory (created for it, and removed
/// afterwards whatever happened) before they are written inline.
fn with_scratch(build: impl FnOnce(&Path) -> anyhow::Result<String>) -> Result<String, Failure> {
    let scratch = std::env::temp_dir().join(format!("peacesim-report-{}", std::process::id()));
    let html = std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))
        .and_then(|()| build(&scratch));
    let _ = std::fs::remove_dir_all(&scratch);
    html.map_err(Failure::Runtime)
}

/// How the report draws its charts: SVG, to be written inline.
const CHARTS: PlotOptions = PlotOptions { format: Format::Svg, width: 1100, height: 620 };

/// Writes `html` to `out` atomically (a complete file or none) and says where.
fn write_html(out: &Path, html: &str) -> Result<(), Failure> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name =
        out.file_name().and_then(|n| n.to_str()).ok_or_else(|| Failure::Input(anyhow!("--out needs a file name")))?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Failure::Runtime)?;
    let write = || -> anyhow::Result<PathBuf> {
        let mut file = AtomicFile::create(dir, name)?;
        file.writer().write_all(html.as_bytes())?;
        file.commit()
    };
    let path = write().map_err(Failure::Runtime)?;
    say!("wrote {}", path.display());
    Ok(())
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The SVG charts written into `dir`, in order, as inline SVG (the XML declaration dropped).
fn inline(paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    paths
        .iter()
        .map(|p| {
            let svg = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            Ok(match svg.find("<svg") {
                Some(start) => svg[start..].to_owned(),
                None => svg,
            })
        })
        .collect()
}

/// The page's head and title, with the report's styles.
fn head(title: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: 'DejaVu Sans', sans-serif; margin: 2em auto; max-width: 1150px; color: #1e1e1e; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}\n\
         th:first-child, td:first-child {{ text-align: left; }}\n\
         td.up {{ color: #b03000; }} td.down {{ color: #006b4f; }}\n\
         figure {{ margin: 1.5em 0; }} svg {{ max-width: 100%; height: auto; }}\n\
         .note {{ color: #666; }}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)
    );
    h
}

/// Marks the page once every chart has rendered with a size, for checks in a headless browser; and the
/// page's end.
const FOOT: &str = "<script>\nwindow.addEventListener('load', function () {\n  var svgs = document.querySelectorAll('figure.chart svg');\n  \
         var drawn = 0;\n  svgs.forEach(function (s) { var b = s.getBBox(); if (b.width > 0 && b.height > 0) { drawn += 1; } });\n  \
         document.body.setAttribute('data-charts', String(svgs.length));\n  document.body.setAttribute('data-charts-drawn', String(drawn));\n});\n</script>\n</body>\n</html>\n";

fn build(base: &Side, branch: Option<&Side>, map_ticks: &[u64], scratch: &Path) -> anyhow::Result<String> {
    let title = match branch {
        Some(b) => format!("After-action report: {} against {}", b.name(), base.name()),
        None => format!("After-action report: {}", base.name()),
    };
    let mut h = head(&title);
    let _ = writeln!(
        h,
        "<p class=\"note\">peacesim {}; base: <code>{}</code>{}.</p>",
        esc(peacesim_core::VERSION),
        esc(&base.dir.display().to_string()),
        branch.map_or(String::new(), |b| format!("; branch: <code>{}</code>", esc(&b.dir.display().to_string())))
    );

    h.push_str("<h2>Outcomes</h2>\n");
    h.push_str(&outcomes_table(base, branch));

    h.push_str("<h2>Timelines</h2>\n");
    let charts = match branch {
        Some(b) => peacesim_plot::plot_comparison(&base.data, &b.data, scratch, &CHARTS)?,
        None => {
            let mut data = base.data.clone();
            data.frames = None;
            peacesim_plot::plot_run(&data, scratch, &CHARTS)?
        }
    };
    for svg in inline(&charts)? {
        let _ = writeln!(h, "<figure class=\"chart\">{svg}</figure>");
    }

    h.push_str("<h2>Key events</h2>\n");
    h.push_str(&events_table(base, branch));

    let sides: Vec<&Side> = std::iter::once(base).chain(branch).filter(|s| s.data.frames.is_some()).collect();
    if !sides.is_empty() {
        h.push_str("<h2>Maps</h2>\n");
        for side in sides {
            let Some(frames) = &side.data.frames else { continue };
            let ticks: Vec<u64> = if map_ticks.is_empty() {
                let all: Vec<u64> = frames.frames.iter().map(|f| f.tick).collect();
                let mut t = vec![all[0], all[all.len() / 2], all[all.len() - 1]];
                t.dedup();
                t
            } else {
                map_ticks.to_vec()
            };
            let dir = scratch.join(side.label);
            std::fs::create_dir_all(&dir)?;
            let maps = peacesim_plot::plot_maps_at(
                frames,
                &ticks,
                &format!("{} ({})", side.name(), side.label),
                &dir,
                &CHARTS,
            )?;
            for svg in inline(&maps)? {
                let _ = writeln!(h, "<figure class=\"chart map\">{svg}</figure>");
            }
        }
    }
    h.push_str(FOOT);
    Ok(h)
}

/// `peacesim report SWEEP_DIR`: the report of an experiment.
fn sweep_report(args: &ReportArgs) -> Result<(), Failure> {
    let dir = &args.base;
    if let Some(other) = &args.branch {
        return Err(Failure::Input(anyhow!(
            "{}: a sweep's report takes one directory, not a second ({})",
            dir.display(),
            other.display()
        )));
    }
    if !args.map_ticks.is_empty() {
        return Err(Failure::Input(anyhow!(
            "{}: --map-ticks is for runs recorded with --record-frames",
            dir.display()
        )));
    }
    let data = SweepData::read(dir).map_err(plot_failure)?;
    // The plan and its progress; a directory without a manifest (runs.csv alone) is reported without them.
    let manifest = if dir.join("manifest.json").is_file() {
        Some(Manifest::read(dir).map_err(|e| Failure::Input(anyhow!("{e}")))?)
    } else {
        None
    };
    let out = args.out.clone().unwrap_or_else(|| dir.join("report.html"));
    write_html(&out, &with_scratch(|scratch| build_sweep(&data, manifest.as_ref(), scratch))?)
}

/// A mean and its 95% confidence interval, as the sweep's summary gives them.
fn estimate(e: &peacesim_plot::sweep::Estimate) -> String {
    if e.lo.is_finite() && e.hi.is_finite() {
        format!("{} [{}, {}]", number(e.mean), number(e.lo), number(e.hi))
    } else {
        number(e.mean)
    }
}

fn build_sweep(data: &SweepData, manifest: Option<&Manifest>, scratch: &Path) -> anyhow::Result<String> {
    let name = data.experiment.clone().unwrap_or_else(|| data.dir.display().to_string());
    let mut h = head(&format!("Sweep report: {name}"));
    let runs: usize = data.points.iter().map(|p| p.runs.len()).sum();
    let _ = writeln!(
        h,
        "<p class=\"note\">peacesim {}; sweep: <code>{}</code>; design {}; {} design points, {runs} runs.</p>",
        esc(peacesim_core::VERSION),
        esc(&data.dir.display().to_string()),
        esc(data.design.as_deref().unwrap_or("unknown")),
        data.points.len(),
    );
    if let Some(m) = manifest {
        let _ = writeln!(
            h,
            "<p>Plan: {} runs ({} replicates per point, master seed {}); this directory holds {} of them, {} \
             completed, {} failed; status <b>{}</b>. Written by peacesim {}; experiment fingerprint <code>{}</code>.</p>",
            m.plan_size,
            m.replicates,
            m.master_seed,
            m.runs_in_scope,
            m.completed_runs,
            m.failed.len(),
            esc(&m.status),
            esc(&m.peacesim_version),
            esc(&m.experiment_fingerprint),
        );
    }

    h.push_str("<h2>Outcomes by design point</h2>\n<p class=\"note\">Mean [95% confidence interval] over each point's runs.</p>\n");
    let mut t = String::from("<table class=\"points\">\n<tr><th>point</th>");
    for p in &data.parameters {
        let _ = write!(t, "<th>{}</th>", esc(&p.path));
    }
    for o in &data.outcomes {
        let _ = write!(t, "<th>{}</th>", esc(o));
    }
    t.push_str("<th>runs</th></tr>\n");
    for point in &data.points {
        let _ = write!(t, "<tr><td>{}</td>", point.id);
        for v in &point.values {
            let _ = write!(t, "<td>{}</td>", esc(v));
        }
        for e in &point.summary {
            let _ = write!(t, "<td>{}</td>", estimate(e));
        }
        let _ = writeln!(t, "<td>{}</td></tr>", point.runs.len());
    }
    t.push_str("</table>\n");
    h.push_str(&t);

    if !data.sensitivity.is_empty() {
        h.push_str("<h2>Sensitivity (Sobol indices)</h2>\n");
        let mut t = String::from(
            "<table class=\"sensitivity\">\n<tr><th>outcome</th><th>parameter</th><th>first order S1</th>\
             <th>total order ST</th></tr>\n",
        );
        for r in &data.sensitivity {
            let _ = writeln!(
                t,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.outcome),
                esc(&r.parameter),
                estimate(&r.s1),
                estimate(&r.st)
            );
        }
        t.push_str("</table>\n");
        h.push_str(&t);
    }

    h.push_str("<h2>Charts</h2>\n");
    for svg in inline(&peacesim_plot::plot_sweep(data, scratch, &CHARTS)?)? {
        let _ = writeln!(h, "<figure class=\"chart\">{svg}</figure>");
    }
    h.push_str(FOOT);
    Ok(h)
}

/// Flattens summary.json's final metrics and outcomes into (name, value) rows.
fn outcome_rows(summary: &serde_json::Value) -> Vec<(String, f64)> {
    let mut rows = Vec::new();
    if let Some(o) = summary["outcomes"].as_object() {
        for (k, v) in o {
            match v {
                serde_json::Value::Object(inner) => {
                    for (k2, v2) in inner {
                        if let Some(x) = v2.as_f64() {
                            rows.push((format!("{k}.{k2}"), x));
                        }
                    }
                }
                _ => {
                    if let Some(x) = v.as_f64() {
                        rows.push((k.clone(), x));
                    }
                }
            }
        }
    }
    for key in
        ["people", "fighters", "displaced", "peacekeepers", "mean_trust", "food_insecure_share", "active", "jailed"]
    {
        if let Some(x) = summary["final_metrics"][key].as_f64() {
            rows.push((format!("final {key}"), x));
        }
    }
    rows
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{x:.0}") } else { format!("{x:.3}") }
}

fn outcomes_table(base: &Side, branch: Option<&Side>) -> String {
    let rows = outcome_rows(&base.summary);
    let other = branch.map(|b| outcome_rows(&b.summary));
    let mut t = String::from("<table class=\"outcomes\">\n<tr><th>outcome</th><th>base</th>");
    if other.is_some() {
        t.push_str("<th>branch</th><th>difference</th><th>change</th>");
    }
    t.push_str("</tr>\n");
    for (name, value) in &rows {
        let _ = write!(t, "<tr><td>{}</td><td>{}</td>", esc(name), number(*value));
        if let Some(other) = &other {
            match other.iter().find(|(n, _)| n == name) {
                Some((_, b)) => {
                    let d = b - value;
                    let class = if d > 0.0 {
                        "up"
                    } else if d < 0.0 {
                        "down"
                    } else {
                        ""
                    };
                    let change =
                        if *value != 0.0 { format!("{:+.1}%", 100.0 * d / value.abs()) } else { "-".to_owned() };
                    let diff = if d > 0.0 { format!("+{}", number(d)) } else { number(d) };
                    let _ = write!(
                        t,
                        "<td>{}</td><td class=\"{class}\">{diff}</td><td class=\"{class}\">{change}</td>",
                        number(*b)
                    );
                }
                None => t.push_str("<td>-</td><td>-</td><td>-</td>"),
            }
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table>\n");
    t
}

/// An event of the report's table: (tick, kind, detail), its value, and whether the base and the branch have it.
type EventRow = ((u64, String, String), f64, bool, bool);

fn events_table(base: &Side, branch: Option<&Side>) -> String {
    let key = |e: &peacesim_plot::read::Event| (e.tick as u64, e.kind.clone(), e.detail.clone());
    let mut rows: Vec<EventRow> = Vec::new();
    for (side, is_base) in std::iter::once((base, true)).chain(branch.map(|b| (b, false))) {
        for e in &side.data.events {
            match rows.iter_mut().find(|r| r.0 == key(e)) {
                Some(r) => {
                    if is_base {
                        r.2 = true;
                    } else {
                        r.3 = true;
                    }
                }
                None => rows.push((key(e), e.value, is_base, !is_base)),
            }
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    if rows.is_empty() {
        return "<p>No scheduled or scripted events.</p>\n".to_owned();
    }
    let mut t = String::from("<table class=\"events\">\n<tr><th>tick</th><th>event</th><th>detail</th><th>value</th>");
    if branch.is_some() {
        t.push_str("<th>in</th>");
    }
    t.push_str("</tr>\n");
    for ((tick, kind, detail), value, in_base, in_branch) in rows {
        let _ =
            write!(t, "<tr><td>{tick}</td><td>{}</td><td>{}</td><td>{}</td>", esc(&kind), esc(&detail), number(value));
        if branch.is_some() {
            let which = match (in_base, in_branch) {
                (true, true) => "both",
                (true, false) => "base only",
                _ => "branch only",
            };
            let _ = write!(t, "<td>{which}</td>");
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table>\n");
    t
}
