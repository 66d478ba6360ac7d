//! Line panels: time series with optional confidence bands, a secondary axis, shaded periods and labelled
//! vertical event markers.

use super::{DrawResult, LegendEntry, OrText, Panel, Swatch, fit, heading, legend, tick_formatter, value_range};
use crate::style::{GREY, INK, Style};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One line, with an optional band (e.g. a 95 % confidence interval) around it.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    /// (x, y) points; non-finite values break the line.
    pub(crate) points: Vec<(f64, f64)>,
    /// (x, low, high), drawn as a translucent band.
    pub(crate) band: Vec<(f64, f64, f64)>,
    /// Drawn against the right-hand axis.
    pub(crate) secondary: bool,
    pub(crate) dashed: bool,
    /// Line width relative to the style's (1 normal, less for thin context lines).
    pub(crate) weight: f64,
    /// Opacity (1 opaque).
    pub(crate) alpha: f64,
}

impl Line {
    pub(crate) fn new(label: impl Into<String>, colour: RGBColor, points: Vec<(f64, f64)>) -> Self {
        Line {
            label: label.into(),
            colour,
            points,
            band: Vec::new(),
            secondary: false,
            dashed: false,
            weight: 1.0,
            alpha: 1.0,
        }
    }

    pub(crate) fn legend_entry(&self) -> LegendEntry {
        let label = if self.secondary { format!("{} (right axis)", self.label) } else { self.label.clone() };
        LegendEntry::new(label, self.colour, if self.dashed { Swatch::Dashed } else { Swatch::Line })
    }
}

/// A labelled vertical line at `x`.
#[derive(Clone, Debug)]
pub(crate) struct Marker {
    pub(crate) x: f64,
    pub(crate) label: String,
}

/// A shaded period from `x0` to `x1`.
#[derive(Clone, Debug)]
pub(crate) struct Period {
    pub(crate) x0: f64,
    pub(crate) x1: f64,
    pub(crate) colour: RGBColor,
}

/// A panel of lines over a numeric x axis.
#[derive(Clone, Debug, Default)]
pub(crate) struct LinePanel {
    /// A caption above the panel (for panels of a multi-panel figure).
    pub(crate) caption: Option<String>,
    /// A legend of this panel's own, drawn under the caption.
    pub(crate) legend: Vec<LegendEntry>,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) y2_label: Option<String>,
    pub(crate) lines: Vec<Line>,
    pub(crate) markers: Vec<Marker>,
    /// Whether markers carry their labels (small panels draw bare lines).
    pub(crate) label_markers: bool,
    pub(crate) periods: Vec<Period>,
    /// Fixed axis ranges (to share them between panels); computed from the data otherwise.
    pub(crate) x_range: Option<(f64, f64)>,
    pub(crate) y_range: Option<(f64, f64)>,
}

impl LinePanel {
    /// The x range of the data.
    pub(crate) fn data_x_range(&self) -> (f64, f64) {
        let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (lo, hi) =
            xs.filter(|x| x.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if hi - lo < 1e-12 {
            (lo - 1.0, hi + 1.0)
        } else {
            (lo, hi)
        }
    }

    /// The primary (or secondary) y range of the data, from 0 when all values have one sign.
    pub(crate) fn data_y_range(&self, secondary: bool) -> (f64, f64) {
        let values = self
            .lines
            .iter()
            .filter(|l| l.secondary == secondary)
            .flat_map(|l| l.points.iter().map(|p| p.1).chain(l.band.iter().flat_map(|b| [b.1, b.2])));
        value_range(values, true)
    }
}

/// Splits points at non-finite values into drawable runs.
fn runs<T: Copy>(points: &[T], finite: impl Fn(&T) -> bool) -> Vec<Vec<T>> {
    let mut out = vec![Vec::new()];
    for p in points {
        if finite(p) {
            if let Some(last) = out.last_mut() {
                last.push(*p);
            }
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

impl Panel for LinePanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let mut area = area.clone();
        if let Some(c) = &self.caption {
            area = heading(&area, c, style.axis(), style)?;
        }
        area = legend(&area, &self.legend, style)?;
        let (x0, x1) = self.x_range.unwrap_or_else(|| self.data_x_range());
        let (y0, y1) = self.y_range.unwrap_or_else(|| self.data_y_range(false));
        let has_secondary = self.lines.iter().any(|l| l.secondary);
        let (z0, z1) = self.data_y_range(true);
        let (fx, fy, fz) = (tick_formatter(x0, x1), tick_formatter(y0, y1), tick_formatter(z0, z1));
        let tick = style.tick();
        let axis_h = area.estimate_text_size("Ag", &style.axis()).text_err()?.1;
        let y_ticks = [y0, y1, (y0 + y1) / 2.0].iter().map(&fy).collect::<Vec<_>>();
        let y_area = super::widest(&area, y_ticks, &tick)? + axis_h + style.px(22.0);
        let z_ticks = [z0, z1, (z0 + z1) / 2.0].iter().map(&fz).collect::<Vec<_>>();
        let z_area = if has_secondary { super::widest(&area, z_ticks, &tick)? + axis_h + style.px(22.0) } else { 0 };
        let mut chart = ChartBuilder::on(&area)
            .margin_top(style.px(6.0))
            .margin_right(style.px(if has_secondary { 6.0 } else { 22.0 }))
            .margin_left(style.px(6.0))
            .x_label_area_size(style.px(26.0) + axis_h + style.px(14.0))
            .y_label_area_size(y_area)
            .right_y_label_area_size(z_area)
            .build_cartesian_2d(x0..x1, y0..y1)
            .text_err()?
            .set_secondary_coord(x0..x1, z0..z1);
        super::house_mesh(&mut chart.configure_mesh(), style)
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_labels(10)
            .y_labels(8)
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .draw()
            .text_err()?;
        if has_secondary {
            chart
                .configure_secondary_axes()
                .y_desc(self.y2_label.as_deref().unwrap_or(""))
                .axis_desc_style(style.axis())
                .label_style(tick.clone())
                .axis_style(super::axis_colour())
                .y_labels(8)
                .y_label_formatter(&fz)
                .draw()
                .text_err()?;
        }
        // Behind the data: periods, then marker lines.
        for p in &self.periods {
            let (a, b) = (p.x0.max(x0), p.x1.min(x1));
            if b > a {
                chart
                    .draw_series(std::iter::once(Rectangle::new([(a, y0), (b, y1)], p.colour.mix(0.13).filled())))
                    .text_err()?;
            }
        }
        let marker_style = GREY.mix(0.9).stroke_width(style.px(1.5));
        for m in self.markers.iter().filter(|m| m.x >= x0 && m.x <= x1) {
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(m.x, y0), (m.x, y1)],
                    style.px(7.0),
                    style.px(5.0),
                    marker_style,
                )))
                .text_err()?;
        }
        // Bands, then lines, so that no band covers a line.
        let banded = self.lines.iter().filter(|l| !l.band.is_empty()).count();
        let band_alpha = match banded {
            0..=2 => 0.18,
            3..=4 => 0.12,
            _ => 0.08,
        };
        for line in &self.lines {
            let fill = line.colour.mix(band_alpha * line.alpha).filled();
            for run in runs(&line.band, |b| b.0.is_finite() && b.1.is_finite() && b.2.is_finite()) {
                let mut polygon: Vec<(f64, f64)> = run.iter().map(|b| (b.0, b.2)).collect();
                polygon.extend(run.iter().rev().map(|b| (b.0, b.1)));
                if line.secondary {
                    chart.draw_secondary_series(std::iter::once(Polygon::new(polygon, fill))).text_err()?;
                } else {
                    chart.draw_series(std::iter::once(Polygon::new(polygon, fill))).text_err()?;
                }
            }
        }
        for line in &self.lines {
            let width = ((style.line() as f64) * line.weight).round().max(1.0) as u32;
            let stroke = line.colour.mix(line.alpha).stroke_width(width);
            let paths = runs(&line.points, |p| p.0.is_finite() && p.1.is_finite()).into_iter().flat_map(|r| {
                // Dashes restart on every segment: keep dashed lines whole.
                if line.dashed { vec![r] } else { super::polyline(r, style) }
            });
            for run in paths {
                let element = if line.dashed {
                    DynLine::Dashed(DashedPathElement::new(run, style.px(9.0), style.px(5.0), stroke))
                } else {
                    DynLine::Solid(PathElement::new(run, stroke))
                };
                match (element, line.secondary) {
                    (DynLine::Solid(e), false) => chart.draw_series(std::iter::once(e)).map(|_| ()),
                    (DynLine::Solid(e), true) => chart.draw_secondary_series(std::iter::once(e)).map(|_| ()),
                    (DynLine::Dashed(e), false) => chart.draw_series(std::iter::once(e)).map(|_| ()),
                    (DynLine::Dashed(e), true) => chart.draw_secondary_series(std::iter::once(e)).map(|_| ()),
                }
                .text_err()?;
            }
        }
        if self.label_markers {
            let plot = chart.plotting_area();
            let pixel = |x: f64| plot.map_coordinate(&(x, y1));
            draw_marker_labels(plot, &self.markers, x0, x1, pixel, style)?;
        }
        Ok(())
    }
}

type Dashed = DashedPathElement<std::vec::IntoIter<(f64, f64)>, u32>;

enum DynLine {
    Solid(PathElement<(f64, f64)>),
    Dashed(Dashed),
}

/// Labels marker lines with text running up along each line, near the top of the plot, on a translucent
/// background. Markers closer together than a line of text share one label.
fn draw_marker_labels<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    plot: &DrawingArea<DB, CT>,
    markers: &[Marker],
    x0: f64,
    x1: f64,
    pixel: impl Fn(f64) -> (i32, i32),
    style: &Style,
) -> DrawResult {
    let screen = plot.use_screen_coord();
    let font = style.note();
    let (_, text_h) = plot.estimate_text_size("Ag", &font).text_err()?;
    let (top, height) = {
        let (_, ys) = plot.get_pixel_range();
        (ys.start, (ys.end - ys.start).max(1) as u32)
    };
    let mut visible: Vec<&Marker> = markers.iter().filter(|m| m.x >= x0 && m.x <= x1).collect();
    visible.sort_by(|a, b| a.x.total_cmp(&b.x));
    // Group markers whose labels would overlap.
    let mut groups: Vec<(i32, Vec<&Marker>)> = Vec::new();
    for m in visible {
        let px = pixel(m.x).0;
        match groups.last_mut() {
            Some((last_px, group)) if px - *last_px < text_h as i32 + style.off(4.0) => group.push(m),
            _ => groups.push((px, vec![m])),
        }
    }
    let max_len = (f64::from(height) * 0.62) as u32;
    for (px, group) in groups {
        let text = if group.len() == 1 {
            group.iter().map(|m| m.label.clone()).collect::<String>()
        } else {
            group.iter().map(|m| format!("{}: {}", super::short_number(m.x), m.label)).collect::<Vec<_>>().join(" | ")
        };
        let text = fit(plot, &text, &font, max_len)?;
        let (len, _) = plot.estimate_text_size(&text, &font).text_err()?;
        let x = px + style.off(3.0);
        let y = top + style.off(6.0);
        let pad = style.off(2.0);
        screen
            .draw(&Rectangle::new(
                [(x - pad, y - pad), (x + text_h as i32 + pad, y + len as i32 + pad)],
                WHITE.mix(0.8).filled(),
            ))
            .text_err()?;
        let rotated =
            font.clone().transform(FontTransform::Rotate270).pos(Pos::new(HPos::Right, VPos::Top)).color(&INK);
        screen.draw(&Text::new(text, (x, y), rotated)).text_err()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_at_gaps() {
        let pts = [(0.0, 1.0), (1.0, f64::NAN), (2.0, 2.0), (3.0, 3.0)];
        let r = runs(&pts, |p| p.1.is_finite());
        assert_eq!(r, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
    }
}
