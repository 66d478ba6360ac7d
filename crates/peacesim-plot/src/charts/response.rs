//! Response panels: means with 95 % CI error bars against a parameter, numeric or categorical, one line
//! per group (a value of the other parameters).

use super::{DrawResult, LegendEntry, OrText, Panel, fit, heading, legend, tick_formatter, value_range};
use crate::style::{INK, Style};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The x axis: numbers, or categories drawn at 0, 1, 2, ... with these labels.
#[derive(Clone, Debug)]
pub(crate) enum XAxis {
    Numeric,
    Categories(Vec<String>),
}

/// A mean with its interval at `x` (NaN bounds draw no bar).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ErrorPoint {
    pub(crate) x: f64,
    pub(crate) mean: f64,
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

/// The points of one group, in one colour.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) colour: RGBColor,
    pub(crate) points: Vec<ErrorPoint>,
}

/// Means with error bars against a parameter.
#[derive(Clone, Debug)]
pub(crate) struct ResponsePanel {
    pub(crate) caption: Option<String>,
    pub(crate) legend: Vec<LegendEntry>,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) x_axis: XAxis,
    pub(crate) groups: Vec<Group>,
    /// Join each group's points by a line (a grid design), or leave them as dots (scattered designs).
    pub(crate) connect: bool,
}

impl Panel for ResponsePanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let mut area = area.clone();
        if let Some(c) = &self.caption {
            area = heading(&area, c, style.axis(), style)?;
        }
        area = legend(&area, &self.legend, style)?;
        let xs: Vec<f64> =
            self.groups.iter().flat_map(|g| g.points.iter().map(|p| p.x)).filter(|x| x.is_finite()).collect();
        let (x0, x1) = match &self.x_axis {
            XAxis::Categories(c) => (-0.5, c.len().max(1) as f64 - 0.5),
            XAxis::Numeric => {
                let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
                if !lo.is_finite() {
                    (0.0, 1.0)
                } else if hi - lo < 1e-12 {
                    (lo - 1.0, hi + 1.0)
                } else {
                    let pad = (hi - lo) * 0.05;
                    (lo - pad, hi + pad)
                }
            }
        };
        // Groups side by side: a small horizontal shift so that their bars do not hide each other.
        let mut distinct = xs.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let min_gap = distinct.windows(2).map(|w| w[1] - w[0]).fold(x1 - x0, f64::min);
        let n = self.groups.len().max(1) as f64;
        let dodge = (min_gap * 0.5 / n).min((x1 - x0) * 0.012);
        // Scattered points (no lines) are not shifted: their x is their own.
        let shift = |g: usize| if self.connect { (g as f64 - (n - 1.0) / 2.0) * dodge } else { 0.0 };
        let ys = self.groups.iter().flat_map(|g| g.points.iter().flat_map(|p| [p.mean, p.lo, p.hi]));
        let (y0, y1) = value_range(ys, true);
        let (fx, fy) = (tick_formatter(x0, x1), tick_formatter(y0, y1));
        let tick = style.tick();
        let axis_h = area.estimate_text_size("Ag", &style.axis()).text_err()?.1;
        let y_ticks = [y0, y1, (y0 + y1) / 2.0].iter().map(&fy).collect::<Vec<_>>();
        let y_area = super::widest(&area, y_ticks, &tick)? + axis_h + style.px(22.0);
        let categories = matches!(self.x_axis, XAxis::Categories(_));
        let mut chart = ChartBuilder::on(&area)
            .margin_top(style.px(6.0))
            .margin_right(style.px(22.0))
            .margin_left(style.px(6.0))
            .x_label_area_size(style.px(26.0) + axis_h + style.px(14.0))
            .y_label_area_size(y_area)
            .build_cartesian_2d(x0..x1, y0..y1)
            .text_err()?;
        let mut mesh = chart.configure_mesh();
        super::house_mesh(&mut mesh, style)
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .y_labels(8)
            .y_label_formatter(&fy)
            .x_label_formatter(&fx);
        if categories {
            mesh.x_labels(0).disable_x_mesh();
        } else {
            mesh.x_labels(10);
        }
        mesh.draw().text_err()?;
        if let XAxis::Categories(labels) = &self.x_axis {
            let plot = chart.plotting_area();
            let root = area.use_screen_coord();
            let spacing = (plot.map_coordinate(&(1.0, y0)).0 - plot.map_coordinate(&(0.0, y0)).0).max(10) as u32;
            for (i, label) in labels.iter().enumerate() {
                let (px, py) = plot.map_coordinate(&(i as f64, y0));
                let text = fit(&root, label, &tick, spacing.saturating_sub(style.px(6.0)))?;
                root.draw(&Text::new(
                    text,
                    (px, py + style.off(6.0)),
                    tick.clone().pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .text_err()?;
                root.draw(&PathElement::new(vec![(px, py), (px, py + style.off(4.0))], INK.stroke_width(1)))
                    .text_err()?;
            }
        }
        let cap = if categories { 0.06 } else { (x1 - x0) * 0.006 };
        let width = style.line();
        for (g, group) in self.groups.iter().enumerate() {
            let c = group.colour;
            let pts: Vec<(f64, f64)> =
                group.points.iter().filter(|p| p.mean.is_finite()).map(|p| (p.x + shift(g), p.mean)).collect();
            if self.connect && pts.len() > 1 {
                let paths = super::polyline(pts.clone(), style);
                chart.draw_series(paths.into_iter().map(|p| PathElement::new(p, c.stroke_width(width)))).text_err()?;
            }
            for p in group.points.iter().filter(|p| p.lo.is_finite() && p.hi.is_finite()) {
                let x = p.x + shift(g);
                let bar =
                    if self.connect { c.stroke_width(style.px(1.8)) } else { c.mix(0.35).stroke_width(style.px(1.2)) };
                chart
                    .draw_series([
                        PathElement::new(vec![(x, p.lo), (x, p.hi)], bar),
                        PathElement::new(vec![(x - cap, p.lo), (x + cap, p.lo)], bar),
                        PathElement::new(vec![(x - cap, p.hi), (x + cap, p.hi)], bar),
                    ])
                    .text_err()?;
            }
            let radius = style.px(if self.connect { 5.0 } else { 3.5 });
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, radius, c.filled()))).text_err()?;
        }
        Ok(())
    }
}
