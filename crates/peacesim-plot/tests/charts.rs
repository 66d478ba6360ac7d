//! Every chart kind renders from the small fixtures in tests/fixtures (a run, a grid sweep with a
//! timeseries, a Sobol sweep without summary.csv), as non-blank PNGs of the requested size and as SVGs that
//! parse as XML and carry their titles; bad input gives errors that name the file.

use peacesim_plot::{Format, OutputKind, PlotError, PlotOptions, detect, plot_dir};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn names(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.file_name().expect("file name").to_string_lossy().into_owned()).collect()
}

/// Decodes a PNG; returns its size and the share of pixels that are not white.
fn png_ink(path: &Path) -> (u32, u32, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("open png")));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let pixels = bytes.chunks(channels);
    let total = (info.width * info.height) as f64;
    let inked = pixels.filter(|p| p.iter().take(3).any(|&c| c < 250)).count() as f64;
    (info.width, info.height, inked / total)
}

fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read svg");
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{} is not XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(|t| t.trim().to_owned()).collect()
}

fn options(format: Format) -> PlotOptions {
    PlotOptions { format, ..PlotOptions::default() }
}

#[test]
fn directories_are_told_apart() {
    assert_eq!(detect(&fixture("run")).expect("run"), OutputKind::Run);
    assert_eq!(detect(&fixture("sweep")).expect("sweep"), OutputKind::Sweep);
    assert_eq!(detect(&fixture("sweep-sobol")).expect("sobol"), OutputKind::Sweep);
}

#[test]
fn run_charts_render_as_png() {
    let out = tempfile::tempdir().expect("temp dir");
    let written = plot_dir(&fixture("run"), out.path(), &options(Format::Png)).expect("plot run");
    let names = names(&written);
    for stem in [
        "rebellion",
        "violence",
        "displacement",
        "food",
        "aid",
        "factions",
        "trust",
        "peacekeeping",
        "overview",
        "events",
    ] {
        assert!(names.contains(&format!("run_{stem}.png")), "run_{stem}.png missing from {names:?}");
    }
    for path in &written {
        let (w, h, ink) = png_ink(path);
        assert_eq!(w, 1200, "{}", path.display());
        if path.ends_with("run_overview.png") {
            // Eight panels in four rows of two: half the height per row.
            assert_eq!(h, 1600);
        } else {
            assert_eq!(h, 800, "{}", path.display());
        }
        assert!(ink > 0.02 && ink < 0.9, "{}: {:.1}% of pixels inked", path.display(), ink * 100.0);
    }
}

#[test]
fn run_charts_render_as_svg_with_titles_labels_and_events() {
    let out = tempfile::tempdir().expect("temp dir");
    let written = plot_dir(&fixture("run"), out.path(), &options(Format::Svg)).expect("plot run");
    assert!(written.iter().all(|p| p.extension().is_some_and(|e| e == "svg")));
    let violence = svg_texts(&out.path().join("run_violence.svg"));
    for expected in [
        "Violence: civilian and combatant deaths",
        "fixture-conflict, seed 3 · noisy per-day counts smoothed over 7 days",
        "deaths per 7 days (rolling sum)",
        "day (simulation time)",
        "civilian deaths",
        "mean recent violence (right axis)",
        "ceasefire army/rebels",
        "earthquake: hills,town",
        "dacia deployed (500)",
        "rules.legitimacy = 0.7",
    ] {
        assert!(violence.iter().any(|t| t == expected), "`{expected}` not among {violence:?}");
    }
    // Per-agent events are not drawn.
    assert!(!violence.iter().any(|t| t.contains("activation") || t.contains("convoy")), "{violence:?}");
    let events = svg_texts(&out.path().join("run_events.svg"));
    assert!(events.iter().any(|t| t == "Scheduled and scripted events"));
    assert!(events.iter().any(|t| t == "3 · drought: hills, town"), "{events:?}");
    let factions = svg_texts(&out.path().join("run_factions.svg"));
    assert!(factions.iter().any(|t| t == "army") && factions.iter().any(|t| t == "rebels"), "{factions:?}");
}

#[test]
fn sweep_charts_render_as_png_and_svg() {
    let out = tempfile::tempdir().expect("temp dir");
    let written = plot_dir(&fixture("sweep"), out.path(), &options(Format::Png)).expect("plot sweep");
    let names = names(&written);
    for outcome in ["civilian_deaths_total", "mean_trust_mean"] {
        for kind in ["response", "heatmap", "distribution"] {
            assert!(
                names.contains(&format!("sweep_{kind}_{outcome}.png")),
                "{kind} of {outcome} missing from {names:?}"
            );
        }
    }
    for metric in ["civilian_deaths", "mean_trust"] {
        assert!(names.contains(&format!("sweep_timeseries_{metric}.png")), "{names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("sensitivity")), "no sensitivity.csv, no Sobol chart: {names:?}");
    for path in &written {
        let (w, h, ink) = png_ink(path);
        assert_eq!((w, h), (1200, 800), "{}", path.display());
        assert!(ink > 0.02 && ink < 0.95, "{}: {:.1}% of pixels inked", path.display(), ink * 100.0);
    }
    let svg = tempfile::tempdir().expect("temp dir");
    plot_dir(&fixture("sweep"), svg.path(), &options(Format::Svg)).expect("plot sweep as svg");
    let response = svg_texts(&svg.path().join("sweep_response_civilian_deaths_total.svg"));
    for expected in [
        "civilian_deaths_total: response to unmid.troops",
        "wfp.policy = needs",
        "wfp.policy = proportional",
        "peacekeeping.missions.unmid.troops",
    ] {
        assert!(response.iter().any(|t| t == expected), "`{expected}` not among {response:?}");
    }
    let heatmap = svg_texts(&svg.path().join("sweep_heatmap_mean_trust_mean.svg"));
    assert!(heatmap.iter().any(|t| t == "mean_trust_mean by unmid.troops and wfp.policy"), "{heatmap:?}");
    // Categorical parameter values label the axis.
    assert!(heatmap.iter().any(|t| t == "proportional"), "{heatmap:?}");
    let ts = svg_texts(&svg.path().join("sweep_timeseries_civilian_deaths.svg"));
    assert!(ts.iter().any(|t| t == "civilian_deaths per day (sampled every 2 days)"), "{ts:?}");
    let dist = svg_texts(&svg.path().join("sweep_distribution_civilian_deaths_total.svg"));
    assert!(dist.iter().any(|t| t == "unmid.troops = 1000, wfp.policy = proportional"), "{dist:?}");
}

#[test]
fn sobol_sweep_gets_sensitivity_bars_and_no_heatmap() {
    let out = tempfile::tempdir().expect("temp dir");
    let written = plot_dir(&fixture("sweep-sobol"), out.path(), &options(Format::Svg)).expect("plot sobol sweep");
    let names = names(&written);
    assert!(names.contains(&"sweep_sensitivity_active_peak.svg".to_owned()), "{names:?}");
    assert!(names.contains(&"sweep_response_active_peak.svg".to_owned()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("heatmap")), "a scattered design has no heatmap: {names:?}");
    let bars = svg_texts(&out.path().join("sweep_sensitivity_active_peak.svg"));
    for expected in [
        "Sensitivity of active_peak: Sobol indices",
        "rules.legitimacy",
        "rules.jail_term.max",
        "S1, first-order index",
    ] {
        assert!(bars.iter().any(|t| t == expected), "`{expected}` not among {bars:?}");
    }
    let png = tempfile::tempdir().expect("temp dir");
    let written =
        plot_dir(&fixture("sweep-sobol"), png.path(), &options(Format::Png)).expect("plot sobol sweep as png");
    for path in &written {
        let (_, _, ink) = png_ink(path);
        assert!(ink > 0.02, "{} is blank", path.display());
    }
}

#[test]
fn size_is_respected() {
    let out = tempfile::tempdir().expect("temp dir");
    let opts = PlotOptions { format: Format::Png, width: 640, height: 480 };
    let written = plot_dir(&fixture("sweep"), out.path(), &opts).expect("plot");
    for path in &written {
        let (w, h, ink) = png_ink(path);
        assert_eq!((w, h), (640, 480));
        assert!(ink > 0.02, "{} is blank", path.display());
    }
}

/// Copies a fixture into a temporary directory, replacing one file's content (or removing it with None).
fn broken(name: &str, file: &str, content: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(fixture(name)).expect("fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    match content {
        Some(text) => std::fs::write(dir.path().join(file), text).expect("write"),
        None => std::fs::remove_file(dir.path().join(file)).expect("remove"),
    }
    dir
}

fn error_of(dir: &Path) -> (PlotError, PathBuf) {
    let out = dir.join("charts");
    let e = plot_dir(dir, &out, &PlotOptions::default()).expect_err("bad input must fail");
    assert!(e.is_input(), "{e}");
    assert!(!out.exists(), "bad input must not create the output directory");
    (e, out)
}

#[test]
fn missing_directories_and_files_are_input_errors() {
    let e = plot_dir(Path::new("/no/such/peacesim/dir"), Path::new("/tmp/unused"), &PlotOptions::default())
        .expect_err("missing dir");
    assert!(e.is_input());
    assert!(e.to_string().starts_with("/no/such/peacesim/dir: "), "{e}");

    let empty = tempfile::tempdir().expect("temp dir");
    let (e, _) = error_of(empty.path());
    assert!(matches!(e, PlotError::NotAnOutputDirectory(_)), "{e}");

    let dir = broken("run", "timeseries.csv", None);
    let (e, _) = error_of(dir.path());
    assert!(matches!(e, PlotError::Unreadable { .. }), "{e}");
    assert!(e.to_string().contains("timeseries.csv"), "{e}");

    let dir = broken("sweep", "runs.csv", None);
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("runs.csv"), "{e}");
}

#[test]
fn malformed_files_name_the_file_line_and_column() {
    let dir = broken("run", "timeseries.csv", Some("tick,active\n0,1\n1,lots\n"));
    let (e, _) = error_of(dir.path());
    let text = e.to_string();
    assert!(text.ends_with("timeseries.csv:3: column `active`: `lots` is not a number"), "{text}");

    let dir = broken("run", "timeseries.csv", Some("tick,active\n0,1\n1,2,3\n"));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("timeseries.csv:3: a row has 3 field(s) where the header has 2"), "{e}");

    let dir = broken("run", "timeseries.csv", Some(""));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("timeseries.csv:1: the file is empty"), "{e}");

    let dir = broken("run", "timeseries.csv", Some("active,tick\n1,0\n"));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("the first column must be `tick`"), "{e}");

    let dir = broken("run", "events.csv", Some("tick,kind,x,y,actor,target,value,detail\nsoon,coup,,,,,0.5,junta\n"));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("events.csv:2: column `tick`: `soon` is not a number"), "{e}");

    let dir = broken("run", "summary.json", Some("{ \"scenario\": "));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("summary.json:1: not valid JSON"), "{e}");

    let dir = broken("sweep", "runs.csv", Some("run,point\n0,0\n"));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("runs.csv:1: the header must start with run_id,point_id,replicate,seed"), "{e}");

    let header = "run_id,point_id,replicate,seed,peacekeeping.missions.unmid.troops,aid.agencies.wfp.policy,civilian_deaths_total,mean_trust_mean";
    let dir = broken("sweep", "runs.csv", Some(&format!("{header}\n0,zero,0,1,0,needs,3,0.3\n")));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("runs.csv:2: column `point_id`: `zero` is not a whole number"), "{e}");

    let dir = broken("sweep", "summary.csv", Some("point_id,x\n0,1\n"));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("summary.csv:1: no column `civilian_deaths_total_mean` in the header"), "{e}");

    let dir =
        broken("sweep-sobol", "sensitivity.csv", Some("outcome,parameter,S1\nactive_peak,rules.legitimacy,0.5\n"));
    let (e, _) = error_of(dir.path());
    assert!(e.to_string().contains("sensitivity.csv:1: no column `S1_ci95_lo`"), "{e}");
}

#[test]
fn a_sweep_without_manifest_reads_its_parameters_from_summary_csv() {
    let dir = broken("sweep", "manifest.json", None);
    let data = peacesim_plot::SweepData::read(dir.path()).expect("read without manifest");
    let params: Vec<&str> = data.parameters.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(params, vec!["peacekeeping.missions.unmid.troops", "aid.agencies.wfp.policy"]);
    assert!(data.parameters[0].numeric && !data.parameters[1].numeric);
    assert_eq!(data.parameters[0].values, vec!["0", "1000"]);
    assert_eq!(data.parameters[1].values, vec!["needs", "proportional"]);
    assert_eq!(data.outcomes, vec!["civilian_deaths_total", "mean_trust_mean"]);
    assert_eq!(data.points.len(), 4);
    assert!(data.points.iter().all(|p| p.runs.len() == 3));
}

#[test]
fn summaries_computed_from_runs_match_summary_csv() {
    let with = peacesim_plot::SweepData::read(&fixture("sweep")).expect("read");
    let dir = broken("sweep", "summary.csv", None);
    let without = peacesim_plot::SweepData::read(dir.path()).expect("read without summary.csv");
    for (a, b) in with.points.iter().zip(&without.points) {
        for (x, y) in a.summary.iter().zip(&b.summary) {
            assert!(
                (x.mean - y.mean).abs() < 1e-5 && (x.lo - y.lo).abs() < 1e-5 && (x.hi - y.hi).abs() < 1e-5,
                "{x:?} vs {y:?}"
            );
        }
    }
}

#[test]
fn events_keep_only_scheduled_and_scripted_kinds() {
    let events = peacesim_plot::read::read_marked_events(&fixture("run").join("events.csv")).expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "drought_start",
            "drought_start",
            "contingent_deployed",
            "ceasefire_start",
            "parameter_change",
            "drought_end",
            "earthquake",
            "ceasefire_broken",
            "split",
            "drawdown",
            "mandate_change"
        ]
    );
    let quake = events.iter().find(|e| e.kind == "earthquake").expect("earthquake");
    assert_eq!((quake.tick, quake.value, quake.detail.as_str()), (12.0, 3.0, "hills,town"));
}

/// Copies the run-frames fixture, with its frames file replaced by `frames` when given.
fn frames_fixture(frames: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = fixture("run-frames");
    for entry in std::fs::read_dir(&src).expect("fixture") {
        let entry = entry.expect("entry");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    std::fs::create_dir(dir.path().join("frames")).expect("frames dir");
    let text = match frames {
        Some(t) => t.to_owned(),
        None => std::fs::read_to_string(src.join("frames/frames.jsonl")).expect("read frames"),
    };
    std::fs::write(dir.path().join("frames/frames.jsonl"), text).expect("write frames");
    dir
}

/// Decodes a GIF: its size, the number of frames, and the share of non-white pixels in the last one.
fn gif_frames(path: &Path) -> (u16, u16, usize, f64) {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(std::fs::File::open(path).expect("open gif")).expect("gif header");
    let (w, h) = (decoder.width(), decoder.height());
    let (mut n, mut ink) = (0, 0.0);
    while let Some(frame) = decoder.read_next_frame().expect("gif frame") {
        assert_eq!((frame.width, frame.height), (w, h), "every frame covers the image");
        let inked = frame.buffer.chunks(4).filter(|p| p.iter().take(3).any(|&c| c < 250)).count();
        ink = inked as f64 / (f64::from(w) * f64::from(h));
        n += 1;
    }
    (w, h, n, ink)
}

#[test]
fn recorded_frames_give_maps_and_an_animated_gif() {
    let out = tempfile::tempdir().expect("temp dir");
    let written = plot_dir(&fixture("run-frames"), out.path(), &options(Format::Png)).expect("plot run with frames");
    let names = names(&written);
    assert!(names.contains(&"run_maps.png".to_owned()) && names.contains(&"run_map.gif".to_owned()), "{names:?}");
    let (w, h, ink) = png_ink(&out.path().join("run_maps.png"));
    assert_eq!((w, h), (1200, 800));
    // Most of a map is inked (ground, water and people), the margins and the legend strip are not.
    assert!(ink > 0.3 && ink < 0.9, "{:.1}% of pixels inked", ink * 100.0);
    let (gw, gh, n, gif_ink) = gif_frames(&out.path().join("run_map.gif"));
    assert_eq!(n, 3, "one GIF frame per recorded frame");
    assert_eq!(gw, 800);
    assert!(gh > 300 && gh < 800, "height {gh}");
    assert!(gif_ink > 0.3, "last GIF frame {:.1}% inked", gif_ink * 100.0);

    let svg = tempfile::tempdir().expect("temp dir");
    plot_dir(&fixture("run-frames"), svg.path(), &options(Format::Svg)).expect("plot as svg");
    let texts = svg_texts(&svg.path().join("run_maps.svg"));
    for expected in [
        "Map: control, people, units, convoys and incidents",
        "fixture-conflict, seed 3",
        "day 0",
        "day 10",
        "day 20",
        "held by army",
        "held by rebels",
        "water",
        "displaced",
        "army fighters",
        "troops",
        "police",
        "observers",
        "aid convoy",
        "incident",
    ] {
        assert!(texts.iter().any(|t| t == expected), "`{expected}` not among {texts:?}");
    }
}

#[test]
fn maps_at_chosen_ticks_and_ticks_without_frames() {
    let out = tempfile::tempdir().expect("temp dir");
    let opts = options(Format::Svg);
    let written = peacesim_plot::plot_maps(&fixture("run-frames"), &[10, 20], out.path(), &opts).expect("maps");
    assert_eq!(names(&written), vec!["run_map_t00010.svg", "run_map_t00020.svg"]);
    let texts = svg_texts(&written[0]);
    assert!(texts.iter().any(|t| t == "Map at day 10"), "{texts:?}");
    let summary = texts.iter().find(|t| t.starts_with("fixture-conflict, seed 3 · ")).expect("summary line");
    assert!(summary.contains("3 peacekeeping units · 1 convoy · 1 incident"), "{summary}");

    let fresh = out.path().join("not-yet");
    let e = peacesim_plot::plot_maps(&fixture("run-frames"), &[10, 15], &fresh, &opts).expect_err("tick 15");
    assert!(e.is_input(), "{e}");
    assert!(e.to_string().ends_with("no frame at tick 15: frames were recorded from 0 to 20, every 10"), "{e}");
    assert!(!fresh.exists(), "nothing is written when a tick is missing");
    let e = peacesim_plot::plot_maps(&fixture("run"), &[0], &fresh, &opts).expect_err("no frames");
    assert!(e.is_input() && e.to_string().contains("--record-frames"), "{e}");
}

#[test]
fn malformed_frames_name_the_line_and_key() {
    let good = std::fs::read_to_string(fixture("run-frames/frames/frames.jsonl")).expect("frames");
    let lines: Vec<&str> = good.lines().collect();
    let cases = [
        (format!("{}\n{{\"tick\": 5\n", lines[0]), "frames.jsonl:2: EOF while parsing an object"),
        (
            format!("{}\n{}\n", lines[0], lines[1].replace("\"cells\":\"7", "\"cells\":\"")),
            ":2: key `cells`: 127 cells",
        ),
        (format!("{}\n{}\n", lines[1], lines[0]), ":2: key `tick`: 0 does not follow 10"),
        (lines[0].replace("\"cells\":\"2", "\"cells\":\"9"), ":1: `9` is not a cell code (0-7)"),
        (lines[0].replace("\"x\":5", "\"x\":50"), ":1: key `units`: a position outside the 16 x 8 map"),
        (lines[0].replace("\"tick\":0,", ""), ":1: missing field `tick`"),
        (String::new(), ":1: no frames in the file"),
    ];
    for (text, expected) in cases {
        let dir = frames_fixture(Some(&text));
        let (e, _) = error_of(dir.path());
        assert!(matches!(e, PlotError::Malformed { .. }), "{e}");
        assert!(e.to_string().contains(expected), "`{expected}` not in `{e}`");
    }
    // The untouched copy plots.
    let dir = frames_fixture(None);
    plot_dir(dir.path(), &dir.path().join("charts"), &options(Format::Png)).expect("a good copy plots");
}
