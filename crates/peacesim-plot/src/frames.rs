//! Map frames recorded by `peacesim run --record-frames` (`DIR/frames/frames.jsonl`, one JSON
//! [`Frame`] per line): small multiples of the map at four ticks, single maps at chosen ticks, and an
//! animated GIF over the whole run.

use crate::PlotOptions;
use crate::charts::map::{Census, MapPanel, legend, map_colours};
use crate::charts::{Figure, file_name, render, rgb};
use crate::error::PlotError;
use crate::style::Style;
use peacesim_core::frames::Frame;
use plotters::style::RGBColor;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file of frames inside a run directory.
pub const FRAMES_FILE: &str = "frames/frames.jsonl";

/// At most this many frames go into a GIF; longer recordings are sampled evenly (the last frame always).
pub const MAX_GIF_FRAMES: usize = 200;

/// Hundredths of a second each GIF frame shows (10 frames a second).
pub const GIF_DELAY: u16 = 10;

/// The frames of one run, in tick order.
#[derive(Clone, Debug)]
pub struct FrameData {
    /// The file they were read from.
    pub path: PathBuf,
    /// The frames.
    pub frames: Vec<Frame>,
}

impl FrameData {
    /// Reads `dir/frames/frames.jsonl` if the run recorded frames; `Ok(None)` if it did not.
    pub fn read(dir: &Path) -> Result<Option<FrameData>, PlotError> {
        let path = dir.join(FRAMES_FILE);
        if path.exists() { FrameData::read_file(&path).map(Some) } else { Ok(None) }
    }

    /// Reads a frames file, checking that every frame is whole (as many cells as the map has, units, convoys
    /// and incidents on the map) and that ticks increase. Errors name the line and the key.
    pub fn read_file(path: &Path) -> Result<FrameData, PlotError> {
        let text = std::fs::read_to_string(path).map_err(|e| PlotError::unreadable(path, e))?;
        let mut frames: Vec<Frame> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let frame: Frame = serde_json::from_str(line).map_err(|e| {
                let message = e.to_string();
                let message = message.rfind(" at line ").map_or(message.as_str(), |k| &message[..k]).to_owned();
                PlotError::malformed(path, Some(n), None, format!("{message} (character {})", e.column()))
            })?;
            check(&frame).map_err(|(key, message)| {
                PlotError::malformed(path, Some(n), None, format!("key `{key}`: {message}"))
            })?;
            if let Some(previous) = frames.last() {
                if frame.tick <= previous.tick {
                    let message = format!("key `tick`: {} does not follow {}", frame.tick, previous.tick);
                    return Err(PlotError::malformed(path, Some(n), None, message));
                }
                if (frame.width, frame.height) != (previous.width, previous.height) {
                    let message = format!(
                        "key `width`: a {} x {} map after {} x {}",
                        frame.width, frame.height, previous.width, previous.height
                    );
                    return Err(PlotError::malformed(path, Some(n), None, message));
                }
            }
            frames.push(frame);
        }
        if frames.is_empty() {
            return Err(PlotError::malformed(path, Some(1), None, "no frames in the file"));
        }
        Ok(FrameData { path: path.to_path_buf(), frames })
    }

    /// The frame recorded at `tick`, if any.
    pub fn at(&self, tick: u64) -> Option<&Frame> {
        self.frames.binary_search_by_key(&tick, |f| f.tick).ok().map(|i| &self.frames[i])
    }

    /// Checks that every tick of `ticks` has a frame; the error lists the ticks that were recorded.
    pub fn check_ticks(&self, ticks: &[u64]) -> Result<(), PlotError> {
        match ticks.iter().find(|&&t| self.at(t).is_none()) {
            None => Ok(()),
            Some(t) => {
                let (first, last) = (self.frames[0].tick, self.frames[self.frames.len() - 1].tick);
                let every = self.frames.get(1).map_or(1, |f| f.tick - first);
                let message =
                    format!("no frame at tick {t}: frames were recorded from {first} to {last}, every {every}");
                Err(PlotError::malformed(&self.path, None, None, message))
            }
        }
    }

    /// What a tick stands for: days when the run has the conflict layer (factions), ticks otherwise.
    fn unit(&self) -> &'static str {
        if self.frames.first().is_some_and(|f| !f.factions.is_empty()) { "day" } else { "tick" }
    }
}

/// Whether a frame is whole: which key is wrong and how, if not.
fn check(f: &Frame) -> Result<(), (&'static str, String)> {
    let cells = f.width as usize * f.height as usize;
    if cells == 0 {
        return Err(("width", format!("an empty {} x {} map", f.width, f.height)));
    }
    for (key, len) in [("cells", f.cells.len()), ("control", f.control.len()), ("fighters", f.fighters.len())] {
        if len != cells {
            return Err((key, format!("{len} cells for a {} x {} map ({cells})", f.width, f.height)));
        }
    }
    if f.cells.iter().any(|&c| c > 7) {
        return Err(("cells", "a cell code above 7".to_owned()));
    }
    let factions = f.factions.len() as i8;
    if f.control.iter().chain(&f.fighters).any(|&c| c >= factions) {
        return Err(("control", format!("a faction index beyond the {factions} factions listed")));
    }
    let inside = |x: u16, y: u16| u32::from(x) < f.width && u32::from(y) < f.height;
    let places = [
        ("units", f.units.iter().all(|u| inside(u.x, u.y))),
        ("convoys", f.convoys.iter().all(|v| inside(v.x, v.y))),
        ("incidents", f.incidents.iter().all(|e| inside(e.x, e.y))),
    ];
    for (key, ok) in places {
        if !ok {
            return Err((key, format!("a position outside the {} x {} map", f.width, f.height)));
        }
    }
    Ok(())
}

/// The legend entries for maps showing `frames`.
fn legend_for(frames: &[&Frame]) -> Vec<crate::charts::LegendEntry> {
    let Some(first) = frames.first() else { return Vec::new() };
    let n = first.factions.len();
    let (mut controlling, mut fighting) = (vec![false; n], vec![false; n]);
    let mut census = Census::default();
    for f in frames {
        census = census.max(Census::of(f));
        for (layer, seen) in [(&f.control, &mut controlling), (&f.fighters, &mut fighting)] {
            for &c in layer.iter() {
                if let Some(s) = usize::try_from(c).ok().and_then(|c| seen.get_mut(c)) {
                    *s = true;
                }
            }
        }
    }
    legend(&census, &first.factions, &controlling, &fighting)
}

/// Up to `n` frames evenly spaced from the first to the last.
fn spaced(frames: &[Frame], n: usize) -> Vec<&Frame> {
    let len = frames.len();
    if len <= n {
        return frames.iter().collect();
    }
    let mut picked: Vec<usize> = (0..n).map(|k| (k * (len - 1) + (n - 1) / 2) / (n - 1)).collect();
    picked.dedup();
    picked.into_iter().map(|i| &frames[i]).collect()
}

/// Draws the maps of a run: `run_maps` (four ticks side by side, with the legend) in the chosen format,
/// and `run_map.gif`, an animation over the recorded ticks. `heading` names the run (scenario and seed).
pub fn plot_frames(
    data: &FrameData,
    heading: &str,
    out: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    let unit = data.unit();
    let shown = spaced(&data.frames, 4);
    let panels: Vec<MapPanel<'_>> =
        shown.iter().map(|f| MapPanel { frame: f, caption: Some(caption(f, unit)) }).collect();
    let figure = Figure {
        title: "Map: control, people, units, convoys and incidents".to_owned(),
        subtitle: Some(heading.to_owned()),
        legend: legend_for(&shown),
        cols: if panels.len() > 1 { 2 } else { 1 },
        panels,
    };
    let mut written = vec![render(&figure, out, "run_maps", options)?];
    written.push(gif(data, heading, out)?);
    Ok(written)
}

/// Draws one map per tick in `ticks` as `run_map_t<tick>.<ext>` (the tick with five digits). A tick that
/// was not recorded is an input error that lists the ticks that were.
pub fn plot_maps_at(
    data: &FrameData,
    ticks: &[u64],
    heading: &str,
    out: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    let unit = data.unit();
    data.check_ticks(ticks)?;
    let frames: Vec<&Frame> = ticks.iter().filter_map(|&t| data.at(t)).collect();
    let mut written = Vec::new();
    for f in frames {
        let mut figure = Figure::single(
            format!("Map at {unit} {}", f.tick),
            Some(format!("{heading} · {}", Census::of(f).summary())),
            MapPanel { frame: f, caption: None },
        );
        figure.legend = legend_for(&[f]);
        written.push(render(&figure, out, &format!("run_map_t{:05}", f.tick), options)?);
    }
    Ok(written)
}

fn caption(f: &Frame, unit: &str) -> String {
    format!("{unit} {}", f.tick)
}

/// The GIF's size: 800 pixels wide for maps wider than tall (narrower for tall maps), and tall enough
/// for the map at that width plus the title, subtitle and legend.
fn gif_size(frame: &Frame) -> (u32, u32) {
    let aspect = f64::from(frame.height) / f64::from(frame.width);
    let map_w = if aspect > 1.0 { 760.0 / aspect } else { 760.0 };
    let width = (map_w + 40.0).round().max(480.0) as u32;
    let height = (map_w * aspect + 140.0).round().clamp(320.0, 1000.0) as u32;
    (width, height)
}

/// Writes `run_map.gif`: every recorded frame (at most [`MAX_GIF_FRAMES`], evenly sampled), 10 a second,
/// looping, in one fixed palette (the map's colours and a grey ramp for text), so the colours are exact and
/// do not flicker between frames.
fn gif(data: &FrameData, heading: &str, out: &Path) -> Result<PathBuf, PlotError> {
    let path = out.join("run_map.gif");
    let fail = |message: String| PlotError::Draw { chart: file_name(&path), message };
    crate::style::register_fonts().map_err(fail)?;
    let unit = data.unit();
    let frames = sampled(&data.frames, MAX_GIF_FRAMES);
    let (w, h) = gif_size(frames[0]);
    let style = Style { split_paths: true, ..Style::for_size(w, h) };
    let legend = legend_for(&frames);
    let palette = Palette::new(frames[0].factions.len());
    let mut bytes = Vec::new();
    {
        let mut encoder =
            gif::Encoder::new(&mut bytes, w as u16, h as u16, &palette.bytes()).map_err(|e| fail(e.to_string()))?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(|e| fail(e.to_string()))?;
        let mut cache = BTreeMap::new();
        for f in frames {
            let figure = Figure {
                title: format!("{} {}", capitalised(unit), f.tick),
                subtitle: Some(format!("{heading} · {}", Census::of(f).summary())),
                legend: legend.clone(),
                panels: vec![MapPanel { frame: f, caption: None }],
                cols: 1,
            };
            let pixels = rgb(&figure, w, h, &style).map_err(fail)?;
            let indices: Vec<u8> = pixels
                .chunks_exact(3)
                .map(|p| *cache.entry([p[0], p[1], p[2]]).or_insert_with(|| palette.nearest(p)))
                .collect();
            let frame = gif::Frame {
                width: w as u16,
                height: h as u16,
                delay: GIF_DELAY,
                buffer: std::borrow::Cow::Owned(indices),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).map_err(|e| fail(e.to_string()))?;
        }
    }
    std::fs::write(&path, bytes).map_err(|e| PlotError::Write { path: path.clone(), message: e.to_string() })?;
    Ok(path)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// At most `n` frames, evenly sampled, first and last included.
fn sampled(frames: &[Frame], n: usize) -> Vec<&Frame> {
    let step = frames.len().div_ceil(n.max(1)).max(1);
    let mut picked: Vec<&Frame> = frames.iter().step_by(step).collect();
    if let Some(last) = frames.last()
        && picked.last().is_none_or(|p| p.tick != last.tick)
    {
        picked.push(last);
    }
    picked
}

/// The GIF's colour table: the map's colours first, then greys for anti-aliased text and edges.
struct Palette(Vec<RGBColor>);

impl Palette {
    fn new(factions: usize) -> Palette {
        let mut colours = map_colours(factions);
        colours.extend((0..=16u8).map(|k| {
            let v = (u16::from(k) * 255 / 16) as u8;
            RGBColor(v, v, v)
        }));
        let mut unique: Vec<RGBColor> = Vec::with_capacity(colours.len());
        for c in colours {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        colours = unique;
        colours.truncate(256);
        Palette(colours)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bytes: Vec<u8> = self.0.iter().flat_map(|c| [c.0, c.1, c.2]).collect();
        bytes.resize(256 * 3, 0);
        bytes
    }

    /// The index of the closest colour (squared distance, weighted for the eye).
    fn nearest(&self, p: &[u8]) -> u8 {
        let d = |c: &RGBColor| {
            let dr = i32::from(c.0) - i32::from(p[0]);
            let dg = i32::from(c.1) - i32::from(p[1]);
            let db = i32::from(c.2) - i32::from(p[2]);
            2 * dr * dr + 4 * dg * dg + 3 * db * db
        };
        self.0.iter().enumerate().min_by_key(|(_, c)| d(c)).map_or(0, |(i, _)| i as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(tick: u64) -> Frame {
        Frame {
            tick,
            width: 2,
            height: 1,
            factions: vec![],
            control: vec![-1, -1],
            cells: vec![0, 2],
            fighters: vec![-1, -1],
            units: vec![],
            convoys: vec![],
            incidents: vec![],
        }
    }

    #[test]
    fn sampling_keeps_first_and_last() {
        let frames: Vec<Frame> = (0..=10).map(frame).collect();
        let ticks = |v: Vec<&Frame>| v.iter().map(|f| f.tick).collect::<Vec<_>>();
        assert_eq!(ticks(sampled(&frames, 4)), vec![0, 3, 6, 9, 10]);
        assert_eq!(ticks(sampled(&frames, 20)).len(), 11);
        assert_eq!(ticks(spaced(&frames, 4)), vec![0, 3, 7, 10]);
        assert_eq!(ticks(spaced(&frames[..2], 4)), vec![0, 1]);
    }

    #[test]
    fn palette_maps_exact_colours_to_themselves() {
        let p = Palette::new(3);
        for (i, c) in p.0.iter().enumerate() {
            assert_eq!(usize::from(p.nearest(&[c.0, c.1, c.2])), i);
        }
        assert!(p.0.len() <= 256);
    }
}
