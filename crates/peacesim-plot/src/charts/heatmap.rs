//! Heatmap panels: a value per cell of two categorical axes, in the viridis colour scale (readable with
//! colour blindness and in grey), with the value written in each cell and a colour bar.

use super::{DrawResult, OrText, Panel, fit, heading, left_label_width, left_labels, short_number, tick_formatter};
use crate::style::{GREY, INK, Style};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Viridis (matplotlib's default colour map), 8 stops, interpolated linearly.
const VIRIDIS: [(u8, u8, u8); 8] = [
    (68, 1, 84),
    (70, 50, 127),
    (54, 92, 141),
    (39, 127, 143),
    (31, 162, 136),
    (74, 194, 110),
    (160, 219, 57),
    (254, 232, 37),
];

/// The viridis colour of `t` in [0, 1] (clamped; NaN is the low end).
pub(crate) fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let h = t * (VIRIDIS.len() - 1) as f64;
    let i = (h.floor() as usize).min(VIRIDIS.len() - 2);
    let f = h - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + f * (f64::from(y) - f64::from(x))).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Values on a grid of categories: `values[y][x]`, None where there is no design point.
#[derive(Clone, Debug)]
pub(crate) struct HeatmapPanel {
    pub(crate) caption: Option<String>,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) x_categories: Vec<String>,
    pub(crate) y_categories: Vec<String>,
    pub(crate) values: Vec<Vec<Option<f64>>>,
    /// What the colour shows, written along the colour bar.
    pub(crate) value_label: String,
}

impl Panel for HeatmapPanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let mut area = area.clone();
        if let Some(c) = &self.caption {
            area = heading(&area, c, style.axis(), style)?;
        }
        let finite = || self.values.iter().flatten().flatten().copied().filter(|v| v.is_finite());
        let (mut v0, mut v1) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if !v0.is_finite() {
            (v0, v1) = (0.0, 1.0);
        } else if v1 - v0 < 1e-12 {
            (v0, v1) = (v0 - 0.5, v1 + 0.5);
        }
        let (w, _) = area.dim_in_pixel();
        let bar_w = style.px(150.0).min(w / 4);
        let (main, bar) = area.split_horizontally(w - bar_w);
        let (nx, ny) = (self.x_categories.len().max(1), self.y_categories.len().max(1));
        let label_w = left_label_width(&main, &self.y_categories, style)?;
        let axis_h = main.estimate_text_size("Ag", &style.axis()).text_err()?.1;
        let tick = style.tick();
        let mut chart = ChartBuilder::on(&main)
            .margin_top(style.px(6.0))
            .margin_right(style.px(10.0))
            .x_label_area_size(style.px(26.0) + axis_h + style.px(14.0))
            .y_label_area_size(label_w + axis_h + style.px(8.0))
            .build_cartesian_2d(-0.5..(nx as f64 - 0.5), -0.5..(ny as f64 - 0.5))
            .text_err()?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .axis_desc_style(style.axis())
            .axis_style(super::axis_colour())
            .x_labels(0)
            .y_labels(0)
            .disable_mesh()
            .draw()
            .text_err()?;
        let root = main.use_screen_coord();
        // Row 0 of the categories at the bottom, as on a numeric axis.
        left_labels(
            &root,
            chart.plotting_area(),
            &self.y_categories,
            -0.5,
            |i| i as f64,
            label_w.saturating_sub(style.px(16.0)),
            style,
        )?;
        let plot = chart.plotting_area();
        let cell_w = (plot.map_coordinate(&(1.0, 0.0)).0 - plot.map_coordinate(&(0.0, 0.0)).0).max(1) as u32;
        let cell_h = (plot.map_coordinate(&(0.0, 0.0)).1 - plot.map_coordinate(&(0.0, 1.0)).1).max(1) as u32;
        for (i, label) in self.x_categories.iter().enumerate() {
            let (px, py) = plot.map_coordinate(&(i as f64, -0.5));
            let text = fit(&root, label, &tick, cell_w.saturating_sub(style.px(4.0)))?;
            root.draw(&Text::new(text, (px, py + style.off(6.0)), tick.clone().pos(Pos::new(HPos::Center, VPos::Top))))
                .text_err()?;
        }
        let note = style.legend();
        let (_, note_h) = root.estimate_text_size("0", &note).text_err()?;
        for (j, row) in self.values.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
                let (fill, text, ink) = match v {
                    Some(v) if v.is_finite() => {
                        let t = (v - v0) / (v1 - v0);
                        (viridis(t), short_number(*v), if t > 0.55 { INK } else { WHITE })
                    }
                    _ => (RGBColor(235, 235, 235), "n/a".to_owned(), GREY),
                };
                plot.draw(&Rectangle::new(corners, fill.filled())).text_err()?;
                plot.draw(&Rectangle::new(corners, WHITE.stroke_width(style.px(2.0)))).text_err()?;
                let (tw, _) = root.estimate_text_size(&text, &note).text_err()?;
                if tw + style.px(4.0) < cell_w && note_h + style.px(2.0) < cell_h {
                    let (px, py) = plot.map_coordinate(&(x, y));
                    root.draw(&Text::new(
                        text,
                        (px, py),
                        note.clone().color(&ink).pos(Pos::new(HPos::Center, VPos::Center)),
                    ))
                    .text_err()?;
                }
            }
        }
        colour_bar(&bar, v0, v1, &self.value_label, style, axis_h)
    }
}

fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    v0: f64,
    v1: f64,
    label: &str,
    style: &Style,
    axis_h: u32,
) -> DrawResult {
    let f = tick_formatter(v0, v1);
    let tick_w = super::widest(area, [f(&v0), f(&v1), f(&((v0 + v1) / 2.0))], &style.tick())?;
    let (w, _) = area.dim_in_pixel();
    let strip = style.px(22.0);
    let right = tick_w + axis_h + style.px(20.0);
    let left = w.saturating_sub(strip + right).max(1);
    let mut chart = ChartBuilder::on(area)
        .margin_top(style.px(6.0))
        .margin_left(left)
        .x_label_area_size(style.px(26.0) + axis_h + style.px(14.0))
        .right_y_label_area_size(right)
        .build_cartesian_2d(0.0..1.0, v0..v1)
        .text_err()?
        .set_secondary_coord(0.0..1.0, v0..v1);
    chart.configure_mesh().disable_mesh().x_labels(0).y_labels(0).axis_style(super::axis_colour()).draw().text_err()?;
    chart
        .configure_secondary_axes()
        .y_labels(6)
        .y_label_formatter(&f)
        .y_desc(label)
        .label_style(style.tick())
        .axis_desc_style(style.axis())
        .axis_style(super::axis_colour())
        .draw()
        .text_err()?;
    let steps = 64;
    let step = (v1 - v0) / f64::from(steps);
    chart
        .draw_series((0..steps).map(|k| {
            let a = v0 + step * f64::from(k);
            Rectangle::new([(0.0, a), (1.0, a + step)], viridis((f64::from(k) + 0.5) / f64::from(steps)).filled())
        }))
        .text_err()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(254, 232, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
        assert_eq!(viridis(2.0), RGBColor(254, 232, 37));
    }
}
