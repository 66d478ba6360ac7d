//! Timeline panels: one row per event, a dot at its time and its label beside it, with shaded periods.

use super::lines::Period;
use super::{DrawResult, OrText, Panel, fit, tick_formatter};
use crate::style::{INK, Style};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One event of a timeline.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) x: f64,
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
}

/// Events in time order, top to bottom.
#[derive(Clone, Debug)]
pub(crate) struct TimelinePanel {
    pub(crate) x_label: String,
    pub(crate) x_range: (f64, f64),
    pub(crate) entries: Vec<Entry>,
    pub(crate) periods: Vec<Period>,
}

impl Panel for TimelinePanel {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        let (_, h) = area.dim_in_pixel();
        let note = style.tick();
        let (_, text_h) = area.estimate_text_size("Ag", &note).text_err()?;
        let fitting = ((h as f64 * 0.8) / (f64::from(text_h) * 1.5)).floor().max(1.0) as usize;
        let (shown, hidden) = if self.entries.len() > fitting {
            (&self.entries[..fitting.saturating_sub(1).max(1)], self.entries.len() - fitting.saturating_sub(1).max(1))
        } else {
            (&self.entries[..], 0)
        };
        let rows = shown.len() + usize::from(hidden > 0);
        let n = rows.max(1) as f64;
        let (x0, x1) = self.x_range;
        let fx = tick_formatter(x0, x1);
        let axis_h = area.estimate_text_size("Ag", &style.axis()).text_err()?.1;
        let mut chart = ChartBuilder::on(area)
            .margin_top(style.px(6.0))
            .margin_right(style.px(22.0))
            .margin_left(style.px(22.0))
            .x_label_area_size(style.px(26.0) + axis_h + style.px(14.0))
            .build_cartesian_2d(x0..x1, -0.5..(n - 0.5))
            .text_err()?;
        super::house_mesh(&mut chart.configure_mesh(), style)
            .x_desc(self.x_label.as_str())
            .x_labels(12)
            .x_label_formatter(&fx)
            .y_labels(0)
            .disable_y_mesh()
            .draw()
            .text_err()?;
        for p in &self.periods {
            let (a, b) = (p.x0.max(x0), p.x1.min(x1));
            if b > a {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, -0.5), (b, n - 0.5)],
                        p.colour.mix(0.13).filled(),
                    )))
                    .text_err()?;
            }
        }
        let plot = chart.plotting_area();
        let screen = plot.use_screen_coord();
        let (xs, _) = plot.get_pixel_range();
        for (i, e) in shown.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let (px, py) = plot.map_coordinate(&(e.x, y));
            let (_, base) = plot.map_coordinate(&(x0, y));
            screen
                .draw(&DashedPathElement::new(
                    vec![(px, base), (px, plot.map_coordinate(&(x0, -0.5)).1)],
                    style.px(3.0),
                    style.px(4.0),
                    e.colour.mix(0.5).stroke_width(1),
                ))
                .text_err()?;
            screen.draw(&Circle::new((px, py), style.px(6.0), e.colour.filled())).text_err()?;
            // The label goes to the side with more room.
            let right_room = (xs.end - px - style.off(14.0)).max(0) as u32;
            let left_room = (px - xs.start - style.off(14.0)).max(0) as u32;
            let (anchor, room, dx) = if right_room >= left_room {
                (HPos::Left, right_room, style.off(11.0))
            } else {
                (HPos::Right, left_room, -style.off(11.0))
            };
            let text = fit(&screen, &format!("{} · {}", super::short_number(e.x), e.label), &note, room)?;
            screen
                .draw(&Text::new(text, (px + dx, py), note.clone().color(&INK).pos(Pos::new(anchor, VPos::Center))))
                .text_err()?;
        }
        if hidden > 0 {
            let (px, py) = plot.map_coordinate(&(x0, 0.0));
            screen
                .draw(&Text::new(
                    format!("… and {hidden} more event(s)"),
                    (px + style.off(8.0), py),
                    note.clone().pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .text_err()?;
        }
        Ok(())
    }
}
