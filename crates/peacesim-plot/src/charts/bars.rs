//! Horizontal bar panels with error bars, for Sobol indices: one row per parameter, one bar per index.

use super::{DrawResult, LegendEntry, OrText, Panel, heading, legend, value_range};
use crate::style::{INK, Style};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One bar: a value with an optional interval (NaN bounds draw no error bar; a NaN value draws nothing).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bar {
    pub(crate) value: f64,
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

/// One row of bars.
#[derive(Clone, Debug)]
pub(crate) struct BarRow {
    pub(crate) label: String,
    pub(crate) bars: Vec<Bar>,
}

/// Rows of grouped horizontal bars; bar `j` of every row has colour `colours[j]`.
#[derive(Clone, Debug)]
pub(crate) struct BarPanel {
    pub(crate) caption: Option<String>,
    pub(crate) legend: Vec<LegendEntry>,
    pub(crate) x_label: String,
    pub(crate) rows: Vec<BarRow>,
    pub(crate) colours: Vec<RGBColor>,
}

impl Panel for BarPanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let mut area = area.clone();
        if let Some(c) = &self.caption {
            area = heading(&area, c, style.axis(), style)?;
        }
        area = legend(&area, &self.legend, style)?;
        let n = self.rows.len().max(1);
        let values = self.rows.iter().flat_map(|r| r.bars.iter().flat_map(|b| [b.value, b.lo, b.hi]));
        let (x0, x1) = value_range(values, true);
        let labels: Vec<String> = self.rows.iter().map(|r| r.label.clone()).collect();
        let mut chart = super::rows_chart(&area, &labels, (x0, x1), &self.x_label, style)?;
        // Row 0 at the top.
        let y_of = |i: usize| (n - 1 - i) as f64;
        if x0 < 0.0 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                    INK.stroke_width(1),
                )))
                .text_err()?;
        }
        let k = self.colours.len().max(1) as f64;
        let thickness = 0.7 / k;
        for (i, row) in self.rows.iter().enumerate() {
            for (j, (bar, colour)) in row.bars.iter().zip(&self.colours).enumerate() {
                if !bar.value.is_finite() {
                    continue;
                }
                // Bar j of k, from the top of the row down.
                let centre = y_of(i) + 0.35 - thickness * (j as f64 + 0.5);
                let (top, bottom) = (centre + thickness * 0.42, centre - thickness * 0.42);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(0.0, bottom), (bar.value, top)],
                        colour.mix(0.85).filled(),
                    )))
                    .text_err()?;
                if bar.lo.is_finite() && bar.hi.is_finite() {
                    let s = INK.stroke_width(style.px(1.6));
                    let cap = thickness * 0.25;
                    chart
                        .draw_series([
                            PathElement::new(vec![(bar.lo, centre), (bar.hi, centre)], s),
                            PathElement::new(vec![(bar.lo, centre - cap), (bar.lo, centre + cap)], s),
                            PathElement::new(vec![(bar.hi, centre - cap), (bar.hi, centre + cap)], s),
                        ])
                        .text_err()?;
                }
            }
        }
        Ok(())
    }
}
