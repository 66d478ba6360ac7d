//! `peacesim report` end to end: one self-contained HTML file whose charts render in headless Chromium
//! (Debian's `chromium`, installed by this test when missing, as root or through passwordless sudo).

mod common;
use common::{ensure_tool, peacesim, text, utf8};

use std::path::Path;
use std::process::Command;

/// Loads the page in headless Chromium and returns the DOM after its scripts ran.
fn rendered_dom(html: &Path) -> String {
    let profile = tempfile::tempdir().expect("temp dir");
    let o = Command::new(ensure_tool(&["chromium", "chromium-browser", "google-chrome"], "--version", "chromium"))
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", utf8(profile.path())),
            "--virtual-time-budget=10000",
            "--dump-dom",
            &format!("file://{}", utf8(html)),
        ])
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium: {}", text(&o.stderr));
    text(&o.stdout)
}

/// The value of an attribute of the body element of a dumped DOM.
fn body_attribute(dom: &str, name: &str) -> Option<usize> {
    let body = dom.split("<body").nth(1)?.split('>').next()?;
    body.split(&format!("{name}=\"")).nth(1)?.split('"').next()?.parse().ok()
}

#[test]
fn a_report_of_a_base_and_a_branch_opens_in_chromium_with_every_chart_drawn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (base, branch) = (dir.path().join("base"), dir.path().join("branch"));
    let run = |out: &Path, extra: &[&str]| {
        let mut args =
            vec!["run", "district-aid", "--seed", "3", "--ticks", "60", "--record-frames", "--frame-every", "10"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", utf8(out)]);
        let o = peacesim(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    };
    run(&base, &[]);
    run(&branch, &["--set", "rules.legitimacy=0.5"]);
    let html = dir.path().join("report.html");
    let o = peacesim(&["report", utf8(&base), utf8(&branch), "--out", utf8(&html), "--map-ticks", "0,30"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let page = std::fs::read_to_string(&html).expect("report written");
    // Self-contained: no external resources.
    assert!(
        !page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("<link"),
        "external resources"
    );
    for heading in ["<h2>Outcomes</h2>", "<h2>Timelines</h2>", "<h2>Key events</h2>", "<h2>Maps</h2>"] {
        assert!(page.contains(heading), "{heading} missing");
    }
    assert!(page.contains("<th>branch</th><th>difference</th>"), "the outcomes compare the branches");
    assert!(page.contains("base only") || page.contains("both"), "events are marked by branch");
    assert!(page.contains("(branch)") && page.contains("(base)"), "timelines carry both branches");

    let dom = rendered_dom(&html);
    let charts = body_attribute(&dom, "data-charts")
        .unwrap_or_else(|| panic!("no data-charts in {}", &dom[..dom.len().min(400)]));
    let drawn = body_attribute(&dom, "data-charts-drawn").expect("data-charts-drawn");
    // Several timelines and four maps (two ticks, two branches), every one drawn with a size.
    assert!(charts >= 8, "{charts} charts");
    assert_eq!(drawn, charts, "every chart drew");

    // One run alone; bad input exits 2.
    let o = peacesim(&["report", utf8(&base)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(base.join("report.html").is_file());
    let o = peacesim(&["report", utf8(&base), "--map-ticks", "5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("no frame at tick 5"), "{}", text(&o.stderr));
    let o = peacesim(&["report", utf8(dir.path())]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn a_report_of_a_sweep_tabulates_its_points_and_draws_its_charts() {
    // The design brief's `peacesim report RUN_DIR|SWEEP_DIR`: given a sweep, the experiment's report.
    let dir = tempfile::tempdir().expect("temp dir");
    let experiment = dir.path().join("legitimacy.toml");
    std::fs::write(
        &experiment,
        "scenario = \"epstein-run2\"\nticks = 30\nreplicates = 3\nmaster_seed = 5\n\
         outputs = [\"active:peak\", \"arrests:total\"]\n\n[design]\nkind = \"grid\"\n\n\
         [[vary]]\npath = \"rules.legitimacy\"\nvalues = [0.8, 0.9]\n",
    )
    .expect("write experiment");
    let sweep = dir.path().join("sweep");
    let o = peacesim(&["sweep", utf8(&experiment), "--out", utf8(&sweep)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = peacesim(&["report", utf8(&sweep)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let html = sweep.join("report.html");
    let page = std::fs::read_to_string(&html).expect("report written");
    for part in [
        "<h1>Sweep report: legitimacy.toml</h1>",
        "2 design points, 6 runs",
        "status <b>complete</b>",
        "<th>rules.legitimacy</th><th>active_peak</th><th>arrests_total</th><th>runs</th>",
        "<h2>Charts</h2>",
    ] {
        assert!(page.contains(part), "{part} missing");
    }
    // A row per design point, each outcome a mean with its interval, three runs each.
    let table = page.split("<table class=\"points\">").nth(1).and_then(|t| t.split("</table>").next()).expect("table");
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("<tr><td>")).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for row in rows {
        assert_eq!(row.matches(" [").count(), 2, "{row}");
        assert!(row.ends_with("<td>3</td></tr>"), "{row}");
    }
    assert!(!page.contains("src=\"http") && !page.contains("<link"), "external resources");
    let dom = rendered_dom(&html);
    let charts = body_attribute(&dom, "data-charts").expect("data-charts");
    assert!(charts >= 2, "{charts} charts");
    assert_eq!(body_attribute(&dom, "data-charts-drawn"), Some(charts), "every chart drew");

    // A sweep's report takes one directory, and no map ticks.
    for bad in [vec!["report", utf8(&sweep), utf8(&sweep)], vec!["report", utf8(&sweep), "--map-ticks", "5"]] {
        let o = peacesim(&bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", text(&o.stderr));
    }
}
