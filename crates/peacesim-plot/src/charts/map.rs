//! Map panels: one recorded frame drawn cell by cell. The ground is shaded by the faction that controls
//! it; who stands on a cell is marked by shape and colour (civilians as small squares, security forces as
//! diamonds, fighters as circles in their faction's colour); peacekeeping units, aid convoys and this
//! tick's incidents are drawn on top, larger than a cell, so they stay visible on big maps. When cells are
//! smaller than a few pixels, occupants fill their cell instead of being drawn as shapes.

use super::{DrawResult, LegendEntry, OrText, Panel, Swatch};
use crate::style::{GREY, INK, Style, colour};
use peacesim_core::frames::{CellCode, Frame};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Water, a deeper blue than any faction's pale ground.
pub(crate) const WATER: RGBColor = RGBColor(95, 150, 205);
/// Land nobody controls.
pub(crate) const LAND: RGBColor = RGBColor(238, 236, 228);
/// A quiescent civilian at home.
pub(crate) const QUIET: RGBColor = RGBColor(140, 140, 140);
/// A displaced civilian (Okabe-Ito yellow, outlined).
pub(crate) const DISPLACED: RGBColor = RGBColor(240, 228, 66);
/// An active (rebelling) civilian.
pub(crate) const ACTIVE: RGBColor = RGBColor(0, 0, 0);
/// A jailed civilian (a hollow square).
pub(crate) const JAILED: RGBColor = RGBColor(70, 70, 70);
/// A member of a security force (Epstein's cops).
pub(crate) const COP: RGBColor = RGBColor(0, 45, 110);
/// Peacekeeping units: white shapes with a thick UN-blue border.
pub(crate) const UN: RGBColor = RGBColor(0, 140, 220);
/// Aid convoys: white triangles with a black border (blue when escorted).
pub(crate) const CONVOY: RGBColor = RGBColor(255, 255, 255);
/// Incidents (a dark red cross).
pub(crate) const INCIDENT: RGBColor = RGBColor(170, 0, 0);

/// The colour of faction `f`'s fighters.
pub(crate) fn faction_colour(f: usize) -> RGBColor {
    colour(f)
}

/// The shade of ground faction `f` controls: its colour at 30 % over white.
pub(crate) fn control_tint(f: usize) -> RGBColor {
    let RGBColor(r, g, b) = faction_colour(f);
    let mix = |c: u8| (255.0 - 0.30 * (255.0 - f64::from(c))).round() as u8;
    RGBColor(mix(r), mix(g), mix(b))
}

/// Every colour a map can contain besides text, for the GIF palette.
pub(crate) fn map_colours(factions: usize) -> Vec<RGBColor> {
    let mut colours = vec![WATER, LAND, QUIET, DISPLACED, ACTIVE, JAILED, COP, UN, CONVOY, INCIDENT, WHITE, INK, GREY];
    for f in 0..factions {
        colours.push(faction_colour(f));
        colours.push(control_tint(f));
    }
    colours
}

/// One frame as a panel, with an optional caption above it (the tick, in small multiples; single maps
/// carry the tick in their title).
pub(crate) struct MapPanel<'a> {
    pub(crate) frame: &'a Frame,
    pub(crate) caption: Option<String>,
}

/// What a frame holds, counted for subtitles and legends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Census {
    pub(crate) water: usize,
    pub(crate) quiet: usize,
    pub(crate) displaced: usize,
    pub(crate) active: usize,
    pub(crate) jailed: usize,
    pub(crate) cops: usize,
    pub(crate) fighters: usize,
    pub(crate) troops: usize,
    pub(crate) police: usize,
    pub(crate) observers: usize,
    pub(crate) convoys: usize,
    pub(crate) escorted: usize,
    pub(crate) incidents: usize,
}

impl Census {
    /// Counts what `frame` shows.
    pub(crate) fn of(frame: &Frame) -> Census {
        let mut c = Census::default();
        for &code in &frame.cells {
            match CellCode::from_number(code) {
                Some(CellCode::Water) => c.water += 1,
                Some(CellCode::Civilian) => c.quiet += 1,
                Some(CellCode::Displaced) => c.displaced += 1,
                Some(CellCode::Active) => c.active += 1,
                Some(CellCode::Jailed) => c.jailed += 1,
                Some(CellCode::Cop) => c.cops += 1,
                Some(CellCode::Fighter) => c.fighters += 1,
                Some(CellCode::Empty) | None => {}
            }
        }
        for u in &frame.units {
            match u.role.as_str() {
                "troops" => c.troops += 1,
                "police" => c.police += 1,
                _ => c.observers += 1,
            }
        }
        c.convoys = frame.convoys.len();
        c.escorted = frame.convoys.iter().filter(|v| v.escorted).count();
        c.incidents = frame.incidents.len();
        c
    }

    /// The larger of each count, so that one legend covers several frames.
    pub(crate) fn max(self, o: Census) -> Census {
        Census {
            water: self.water.max(o.water),
            quiet: self.quiet.max(o.quiet),
            displaced: self.displaced.max(o.displaced),
            active: self.active.max(o.active),
            jailed: self.jailed.max(o.jailed),
            cops: self.cops.max(o.cops),
            fighters: self.fighters.max(o.fighters),
            troops: self.troops.max(o.troops),
            police: self.police.max(o.police),
            observers: self.observers.max(o.observers),
            convoys: self.convoys.max(o.convoys),
            escorted: self.escorted.max(o.escorted),
            incidents: self.incidents.max(o.incidents),
        }
    }

    /// A one-line summary: `1,200 civilians (56 displaced, 3 active) · 310 fighters · 12 units · ...`.
    pub(crate) fn summary(&self) -> String {
        let civilians = self.quiet + self.displaced + self.active + self.jailed;
        let mut details = Vec::new();
        for (n, what) in [(self.displaced, "displaced"), (self.active, "active"), (self.jailed, "jailed")] {
            if n > 0 {
                details.push(format!("{n} {what}"));
            }
        }
        let mut parts = vec![if details.is_empty() {
            format!("{civilians} civilians")
        } else {
            format!("{civilians} civilians ({})", details.join(", "))
        }];
        let units = self.troops + self.police + self.observers;
        for (n, one, many) in [
            (self.cops, "member of the security forces", "security forces"),
            (self.fighters, "fighter", "fighters"),
            (units, "peacekeeping unit", "peacekeeping units"),
            (self.convoys, "convoy", "convoys"),
            (self.incidents, "incident", "incidents"),
        ] {
            match n {
                0 => {}
                1 => parts.push(format!("1 {one}")),
                _ => parts.push(format!("{n} {many}")),
            }
        }
        parts.join(" · ")
    }
}

/// The legend of maps whose largest counts are `census` and whose ground is controlled by the factions
/// listed in `controlling` (indices into `factions`).
pub(crate) fn legend(
    census: &Census,
    factions: &[String],
    controlling: &[bool],
    fighting: &[bool],
) -> Vec<LegendEntry> {
    let mut entries = Vec::new();
    for (f, name) in factions.iter().enumerate() {
        if controlling.get(f).copied().unwrap_or(false) {
            entries.push(LegendEntry::new(format!("held by {name}"), control_tint(f), Swatch::Box));
        }
    }
    if census.water > 0 {
        entries.push(LegendEntry::new("water", WATER, Swatch::Box));
    }
    let shapes = [
        (census.quiet, "civilian", QUIET, Swatch::Square),
        (census.displaced, "displaced", DISPLACED, Swatch::Outlined),
        (census.active, "active", ACTIVE, Swatch::Square),
        (census.jailed, "jailed", JAILED, Swatch::Hollow),
        (census.cops, "security forces", COP, Swatch::Diamond),
    ];
    for (n, label, c, swatch) in shapes {
        if n > 0 {
            entries.push(LegendEntry::new(label, c, swatch));
        }
    }
    for (f, name) in factions.iter().enumerate() {
        if fighting.get(f).copied().unwrap_or(false) {
            entries.push(LegendEntry::new(format!("{name} fighters"), faction_colour(f), Swatch::Circle));
        }
    }
    let markers = [
        (census.troops, "troops", UN, Swatch::UnitSquare),
        (census.police, "police", UN, Swatch::UnitCircle),
        (census.observers, "observers", UN, Swatch::UnitDiamond),
        (census.convoys, "aid convoy", CONVOY, Swatch::Triangle),
        (census.incidents, "incident", INCIDENT, Swatch::Cross),
    ];
    for (n, label, c, swatch) in markers {
        if n > 0 {
            entries.push(LegendEntry::new(label, c, swatch));
        }
    }
    entries
}

/// The colour of a cell's ground.
fn ground(frame: &Frame, i: usize) -> RGBColor {
    if frame.cells[i] == CellCode::Water as u8 {
        return WATER;
    }
    match usize::try_from(frame.control[i]) {
        Ok(f) => control_tint(f),
        Err(_) => LAND,
    }
}

/// The colour of what stands on a cell, if anyone does.
fn occupant(frame: &Frame, i: usize) -> Option<RGBColor> {
    match CellCode::from_number(frame.cells[i])? {
        CellCode::Empty | CellCode::Water => None,
        CellCode::Civilian => Some(QUIET),
        CellCode::Displaced => Some(DISPLACED),
        CellCode::Active => Some(ACTIVE),
        CellCode::Jailed => Some(JAILED),
        CellCode::Cop => Some(COP),
        CellCode::Fighter => Some(usize::try_from(frame.fighters[i]).map_or(INK, faction_colour)),
    }
}

impl Panel for MapPanel<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let frame = self.frame;
        let area = match &self.caption {
            Some(text) => super::heading(area, text, style.axis(), style)?,
            None => area.clone(),
        };
        let (aw, ah) = area.dim_in_pixel();
        let (w, h) = (frame.width as usize, frame.height as usize);
        if w == 0 || h == 0 || frame.cells.len() != w * h {
            return Err(format!("a {w} x {h} frame with {} cells", frame.cells.len()));
        }
        let pad = f64::from(style.px(6.0));
        let cell = ((f64::from(aw) - 2.0 * pad) / w as f64).min((f64::from(ah) - 2.0 * pad) / h as f64).max(0.05);
        let (ox, oy) =
            (((f64::from(aw) - cell * w as f64) / 2.0).round(), ((f64::from(ah) - cell * h as f64) / 2.0).round());
        let px = |x: usize| (ox + (x as f64 * cell).round()) as i32;
        let py = |y: usize| (oy + (y as f64 * cell).round()) as i32;
        let centre = |x: u16, y: u16| {
            ((ox + (f64::from(x) + 0.5) * cell).round() as i32, (oy + (f64::from(y) + 0.5) * cell).round() as i32)
        };
        // Shapes need a few pixels; below that an occupant colours its whole cell.
        let shapes = cell >= 4.0;
        // Ground (and, without shapes, occupants) in runs of equal colour along each row.
        for y in 0..h {
            let mut x = 0;
            while x < w {
                let colour_at = |x: usize| {
                    let i = y * w + x;
                    if shapes { ground(frame, i) } else { occupant(frame, i).unwrap_or_else(|| ground(frame, i)) }
                };
                let c = colour_at(x);
                let mut end = x + 1;
                while end < w && colour_at(end) == c {
                    end += 1;
                }
                area.draw(&Rectangle::new([(px(x), py(y)), (px(end), py(y + 1))], c.filled())).text_err()?;
                x = end;
            }
        }
        if shapes {
            let r = (cell * 0.32).max(1.5);
            for i in 0..w * h {
                let Some(c) = occupant(frame, i) else { continue };
                let (cx, cy) = centre((i % w) as u16, (i / w) as u16);
                let code = CellCode::from_number(frame.cells[i]);
                match code {
                    Some(CellCode::Fighter) => area.draw(&Circle::new((cx, cy), r.ceil() as i32, c.filled())),
                    Some(CellCode::Cop) => area.draw(&diamond((cx, cy), r * 1.2, c.filled())),
                    Some(CellCode::Jailed) => {
                        let s = (r * 0.8).round() as i32;
                        area.draw(&Rectangle::new([(cx - s, cy - s), (cx + s, cy + s)], c.stroke_width(2)))
                    }
                    Some(CellCode::Displaced) => {
                        let s = (r * 0.85).round() as i32;
                        let rect = [(cx - s, cy - s), (cx + s, cy + s)];
                        area.draw(&Rectangle::new(rect, c.filled()))
                            .and_then(|()| area.draw(&Rectangle::new(rect, INK.stroke_width(1))))
                    }
                    _ => {
                        let s = (r * 0.85).round() as i32;
                        area.draw(&Rectangle::new([(cx - s, cy - s), (cx + s, cy + s)], c.filled()))
                    }
                }
                .text_err()?;
            }
        }
        // Markers are larger than a cell and at least 4 reference pixels across on maps with shapes; on
        // maps of tiny cells they are small solid shapes, which keeps thousands of them from covering the map.
        let (m, outline) = if shapes {
            ((cell * 0.75).max(f64::from(style.px(4.0))), style.px(2.5).max(2))
        } else {
            ((cell * 1.5).max(2.0), 0)
        };
        for u in &frame.units {
            unit_marker(&area, centre(u.x, u.y), &u.role, m, outline)?;
        }
        for v in &frame.convoys {
            let p = centre(v.x, v.y);
            let tri = triangle(p, m * 1.1);
            area.draw(&Polygon::new(tri.clone(), CONVOY.filled())).text_err()?;
            let edge = if v.escorted { UN.stroke_width(outline.max(1) + 1) } else { INK.stroke_width(outline.max(1)) };
            let mut closed = tri;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, edge)).text_err()?;
        }
        for incident in &frame.incidents {
            let (x, y) = centre(incident.x, incident.y);
            let s = (m * 0.8).round() as i32;
            let stroke = INCIDENT.stroke_width(style.px(2.5));
            area.draw(&PathElement::new(vec![(x - s, y - s), (x + s, y + s)], stroke)).text_err()?;
            area.draw(&PathElement::new(vec![(x - s, y + s), (x + s, y - s)], stroke)).text_err()?;
        }
        // A frame around the map.
        area.draw(&Rectangle::new([(px(0), py(0)), (px(w), py(h))], GREY.stroke_width(1))).text_err()?;
        Ok(())
    }
}

/// A peacekeeping unit's marker of half-size `m` at `p`: white with a UN-blue border of `outline` pixels
/// (solid UN blue when `outline` is 0); a square for troops, a circle for police, a diamond for observers.
pub(crate) fn unit_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: (i32, i32),
    role: &str,
    m: f64,
    outline: u32,
) -> DrawResult {
    let mi = m.round() as i32;
    let border = UN.stroke_width(outline.max(1));
    let fill = if outline == 0 { UN } else { WHITE };
    match role {
        "troops" => {
            let rect = [(p.0 - mi, p.1 - mi), (p.0 + mi, p.1 + mi)];
            area.draw(&Rectangle::new(rect, fill.filled())).text_err()?;
            area.draw(&Rectangle::new(rect, border)).text_err()
        }
        "police" => {
            area.draw(&Circle::new(p, mi, fill.filled())).text_err()?;
            area.draw(&Circle::new(p, mi, border)).text_err()
        }
        _ => {
            let r = m * 1.25;
            area.draw(&diamond(p, r, fill.filled())).text_err()?;
            let ri = r.round() as i32;
            let outline = vec![(p.0, p.1 - ri), (p.0 + ri, p.1), (p.0, p.1 + ri), (p.0 - ri, p.1), (p.0, p.1 - ri)];
            area.draw(&PathElement::new(outline, border)).text_err()
        }
    }
}

/// A diamond of half-diagonal `r` around `c`.
pub(crate) fn diamond(c: (i32, i32), r: f64, style: ShapeStyle) -> Polygon<(i32, i32)> {
    let r = r.round() as i32;
    Polygon::new(vec![(c.0, c.1 - r), (c.0 + r, c.1), (c.0, c.1 + r), (c.0 - r, c.1)], style)
}

/// The corners of an upward triangle of half-width `r` around `c`.
pub(crate) fn triangle(c: (i32, i32), r: f64) -> Vec<(i32, i32)> {
    let r = r.round() as i32;
    vec![(c.0, c.1 - r), (c.0 + r, c.1 + r * 4 / 5), (c.0 - r, c.1 + r * 4 / 5)]
}
