//! Distribution panels: horizontal box plots per category with the individual values as dots, and
//! histograms.

use super::{DrawResult, LegendEntry, OrText, Panel, legend, tick_formatter, value_range};
use crate::stats::five_numbers;
use crate::style::{INK, Style};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The values of one category.
#[derive(Clone, Debug)]
pub(crate) struct BoxRow {
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) values: Vec<f64>,
}

/// Box plots, one row per category, first row at the top. The box spans the quartiles, the thick line is
/// the median, the whiskers reach the minimum and maximum; dots are the values.
#[derive(Clone, Debug)]
pub(crate) struct BoxPanel {
    pub(crate) legend: Vec<LegendEntry>,
    pub(crate) x_label: String,
    pub(crate) rows: Vec<BoxRow>,
}

impl Panel for BoxPanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let area = legend(area, &self.legend, style)?;
        let n = self.rows.len().max(1);
        let (x0, x1) = value_range(self.rows.iter().flat_map(|r| r.values.iter().copied()), false);
        let labels: Vec<String> = self.rows.iter().map(|r| r.label.clone()).collect();
        let mut chart = super::rows_chart(&area, &labels, (x0, x1), &self.x_label, style)?;
        let y_of = |i: usize| (n - 1 - i) as f64;
        let half = 0.3_f64.min(0.3 * 12.0 / n as f64).max(0.22);
        for (i, row) in self.rows.iter().enumerate() {
            let y = y_of(i);
            let c = row.colour;
            if let Some([min, q1, median, q3, max]) = five_numbers(&row.values) {
                let line = INK.mix(0.8).stroke_width(style.px(1.5));
                chart
                    .draw_series([
                        PathElement::new(vec![(min, y), (q1, y)], line),
                        PathElement::new(vec![(q3, y), (max, y)], line),
                        PathElement::new(vec![(min, y - half * 0.5), (min, y + half * 0.5)], line),
                        PathElement::new(vec![(max, y - half * 0.5), (max, y + half * 0.5)], line),
                    ])
                    .text_err()?;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(q1, y - half), (q3, y + half)],
                        c.mix(0.35).filled(),
                    )))
                    .text_err()?;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(q1, y - half), (q3, y + half)],
                        c.stroke_width(style.px(1.5)),
                    )))
                    .text_err()?;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(median, y - half), (median, y + half)],
                        c.stroke_width(style.px(3.5)),
                    )))
                    .text_err()?;
            }
            // The values, spread a little vertically in a fixed pattern so that equal values stay visible.
            let dots = row.values.iter().filter(|v| v.is_finite()).enumerate().map(|(k, &v)| {
                let jitter = ((k * 7) % 11) as f64 / 10.0 - 0.5;
                Circle::new((v, y + jitter * half * 1.2), style.px(3.0), INK.mix(0.55).filled())
            });
            chart.draw_series(dots).text_err()?;
        }
        Ok(())
    }
}

/// A histogram of values.
#[derive(Clone, Debug)]
pub(crate) struct HistogramPanel {
    pub(crate) x_label: String,
    pub(crate) colour: RGBColor,
    pub(crate) values: Vec<f64>,
}

/// Bins for a histogram: `(start, width, counts)`, about the square root of the number of values, 10 to 40.
pub(crate) fn bins(values: &[f64]) -> (f64, f64, Vec<usize>) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0, Vec::new());
    }
    let k = ((finite.len() as f64).sqrt().ceil() as usize).clamp(10, 40);
    let width = if hi > lo { (hi - lo) / k as f64 } else { lo.abs().max(1.0) * 0.1 };
    let start = if hi > lo { lo } else { lo - width * k as f64 / 2.0 };
    let mut counts = vec![0; k];
    for v in finite {
        let i = (((v - start) / width).floor() as usize).min(k - 1);
        counts[i] += 1;
    }
    (start, width, counts)
}

impl Panel for HistogramPanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let (start, width, counts) = bins(&self.values);
        let (x0, x1) = (start, start + width * counts.len().max(1) as f64);
        let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let (y0, y1) = (0.0, max * 1.05);
        let (fx, fy) = (tick_formatter(x0, x1), tick_formatter(0.0, max.max(8.0)));
        let axis_h = area.estimate_text_size("Ag", &style.axis()).text_err()?.1;
        let y_area = super::widest(area, [fy(&max)], &style.tick())? + axis_h + style.px(22.0);
        let mut chart = ChartBuilder::on(area)
            .margin_top(style.px(6.0))
            .margin_right(style.px(22.0))
            .margin_left(style.px(6.0))
            .x_label_area_size(style.px(26.0) + axis_h + style.px(14.0))
            .y_label_area_size(y_area)
            .build_cartesian_2d(x0..x1, y0..y1)
            .text_err()?;
        super::house_mesh(&mut chart.configure_mesh(), style)
            .x_desc(self.x_label.as_str())
            .y_desc("runs")
            .x_labels(10)
            .y_labels(8)
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .draw()
            .text_err()?;
        let c = self.colour;
        chart
            .draw_series(counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, &n)| {
                let a = start + width * i as f64;
                Rectangle::new([(a, 0.0), (a + width, n as f64)], c.mix(0.75).filled())
            }))
            .text_err()?;
        chart
            .draw_series(counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, &n)| {
                let a = start + width * i as f64;
                Rectangle::new([(a, 0.0), (a + width, n as f64)], WHITE.stroke_width(1))
            }))
            .text_err()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_all_values() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let (start, width, counts) = bins(&values);
        assert_eq!(start, 0.0);
        assert_eq!(counts.len(), 10);
        assert!((width - 9.9).abs() < 1e-9);
        assert_eq!(counts.iter().sum::<usize>(), 100);
        let (_, _, flat) = bins(&[3.0, 3.0]);
        assert_eq!(flat.iter().sum::<usize>(), 2);
        assert!(bins(&[]).2.is_empty());
    }
}
