//! Chart building blocks shared by run and sweep charts: a [`Figure`] (title, subtitle, shared legend and
//! one or more panels), the [`Panel`]s that draw data, and [`render`], which draws a figure into a PNG or
//! an SVG file. A panel is drawn once for either backend, so PNG and SVG always show the same chart.

pub(crate) mod bars;
pub(crate) mod boxes;
pub(crate) mod heatmap;
pub(crate) mod lines;
pub(crate) mod map;
pub(crate) mod response;
pub(crate) mod timeline;

use crate::error::PlotError;
use crate::style::{GREY, Style};
use crate::{Format, PlotOptions};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// Drawing errors are carried as text; [`render`] names the chart.
pub(crate) type DrawResult<T = ()> = Result<T, String>;

/// Converts any drawing error to text.
pub(crate) trait OrText<T> {
    /// The error as text.
    fn text_err(self) -> DrawResult<T>;
}

impl<T, E: std::fmt::Display> OrText<T> for Result<T, E> {
    fn text_err(self) -> DrawResult<T> {
        self.map_err(|e| e.to_string())
    }
}

/// Something that draws itself into a rectangular area.
pub(crate) trait Panel {
    /// Draws into `area` with the sizes of `style`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult;
}

/// How a legend entry shows its series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Swatch {
    /// A line.
    Line,
    /// A dashed line.
    Dashed,
    /// A filled box (bands, bars, cells).
    Box,
    /// A dot with an error bar.
    Dot,
    /// A light box (shaded periods).
    Shade,
    /// A small filled square (map occupants, troops).
    Square,
    /// A filled circle (fighters, police units).
    Circle,
    /// A filled diamond (security forces on a map).
    Diamond,
    /// A filled triangle with a dark outline (aid convoys).
    Triangle,
    /// A cross (incidents).
    Cross,
    /// A hollow square (jailed civilians).
    Hollow,
    /// A filled square with a dark outline (displaced civilians).
    Outlined,
    /// A peacekeeping unit's white square with a coloured border (troops).
    UnitSquare,
    /// A peacekeeping unit's white circle with a coloured border (police).
    UnitCircle,
    /// A peacekeeping unit's white diamond with a coloured border (observers).
    UnitDiamond,
}

/// One entry of a legend.
#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub(crate) label: String,
    pub(crate) colour: RGBColor,
    pub(crate) swatch: Swatch,
}

impl LegendEntry {
    pub(crate) fn new(label: impl Into<String>, colour: RGBColor, swatch: Swatch) -> Self {
        LegendEntry { label: label.into(), colour, swatch }
    }
}

/// A whole image: a title, an optional subtitle, an optional legend shared by the panels, and the panels
/// in a grid of `cols` columns.
pub(crate) struct Figure<P> {
    pub(crate) title: String,
    pub(crate) subtitle: Option<String>,
    pub(crate) legend: Vec<LegendEntry>,
    pub(crate) panels: Vec<P>,
    pub(crate) cols: usize,
}

impl<P: Panel> Figure<P> {
    /// A figure of one panel.
    pub(crate) fn single(title: impl Into<String>, subtitle: Option<String>, panel: P) -> Self {
        Figure { title: title.into(), subtitle, legend: Vec::new(), panels: vec![panel], cols: 1 }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, style: &Style) -> DrawResult {
        root.fill(&WHITE).text_err()?;
        let area = root.margin(style.px(10.0), style.px(10.0), style.px(14.0), style.px(14.0));
        let area = heading(&area, &self.title, style.title(), style)?;
        let area = match &self.subtitle {
            Some(s) => heading(&area, s, style.subtitle(), style)?,
            None => area,
        };
        let area = legend(&area, &self.legend, style)?;
        let cols = self.cols.clamp(1, self.panels.len().max(1));
        let rows = self.panels.len().div_ceil(cols).max(1);
        let panel_style = match self.panels.len() {
            0 | 1 => *style,
            2 => style.scaled(0.9),
            _ => style.scaled(0.8),
        };
        let gap = if self.panels.len() > 1 { style.px(16.0) } else { 0 };
        for (panel, cell) in self.panels.iter().zip(area.split_evenly((rows, cols))) {
            panel.draw(&cell.margin(gap, 0, gap / 2, gap / 2), &panel_style)?;
        }
        Ok(())
    }
}

/// Draws one line of centred text at the top of `area` and returns the rest of the area. Text too wide
/// for the area is shortened with an ellipsis.
pub(crate) fn heading<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    font: TextStyle<'_>,
    style: &Style,
) -> DrawResult<DrawingArea<DB, Shift>> {
    let (w, _) = area.dim_in_pixel();
    let text = fit(area, text, &font, w.saturating_sub(style.px(10.0)))?;
    let (_, h) = area.estimate_text_size(&text, &font).text_err()?;
    let line = h + style.px(8.0);
    let (top, rest) = area.split_vertically(line);
    top.draw(&Text::new(text, ((w / 2) as i32, style.off(2.0)), font.pos(Pos::new(HPos::Center, VPos::Top))))
        .text_err()?;
    Ok(rest)
}

/// Shortens `text` with an ellipsis until it is at most `max` pixels wide in `font`.
pub(crate) fn fit<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    text: &str,
    font: &TextStyle<'_>,
    max: u32,
) -> DrawResult<String> {
    if area.estimate_text_size(text, font).text_err()?.0 <= max {
        return Ok(text.to_owned());
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    // The longest prefix that fits with the ellipsis, by bisection.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if area.estimate_text_size(&candidate, font).text_err()?.0 <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(chars[..lo].iter().collect::<String>().trim_end().to_owned() + "…")
}

/// Draws a legend as centred rows of entries at the top of `area` and returns the rest of the area.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    style: &Style,
) -> DrawResult<DrawingArea<DB, Shift>> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let font = style.legend();
    let (w, _) = area.dim_in_pixel();
    let swatch = style.px(30.0);
    let gap = style.px(8.0);
    let spacing = style.px(26.0);
    let max_label = w.saturating_sub(swatch + gap + style.px(20.0)).max(style.px(40.0));
    // Lay the entries out in rows.
    let mut rows: Vec<Vec<(&LegendEntry, String, u32)>> = vec![Vec::new()];
    let mut row_width = 0;
    for e in entries {
        let label = fit(area, &e.label, &font, max_label)?;
        let (tw, _) = area.estimate_text_size(&label, &font).text_err()?;
        let width = swatch + gap + tw;
        let Some(current) = rows.last_mut() else { break };
        if !current.is_empty() && row_width + spacing + width > w {
            rows.push(Vec::new());
            row_width = 0;
        }
        let Some(current) = rows.last_mut() else { break };
        row_width += if current.is_empty() { width } else { spacing + width };
        current.push((e, label, width));
    }
    let row_h = style.px(26.0);
    let (top, rest) = area.split_vertically(row_h * rows.len() as u32 + style.px(8.0));
    for (r, row) in rows.iter().enumerate() {
        let total: u32 = row.iter().map(|(_, _, w)| *w).sum::<u32>() + spacing * row.len().saturating_sub(1) as u32;
        let mut x = (w.saturating_sub(total) / 2) as i32;
        let y = (row_h * r as u32 + row_h / 2) as i32;
        for (e, label, width) in row {
            draw_swatch(&top, e, (x, y), swatch as i32, style)?;
            top.draw(&Text::new(
                label.clone(),
                (x + (swatch + gap) as i32, y),
                font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .text_err()?;
            x += (*width + spacing) as i32;
        }
    }
    Ok(rest)
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    e: &LegendEntry,
    (x, y): (i32, i32),
    w: i32,
    style: &Style,
) -> DrawResult {
    let c = e.colour;
    match e.swatch {
        Swatch::Line => area.draw(&PathElement::new(vec![(x, y), (x + w, y)], c.stroke_width(style.line() + 1))),
        Swatch::Dashed => area.draw(&DashedPathElement::new(
            vec![(x, y), (x + w, y)],
            style.px(6.0),
            style.px(4.0),
            c.stroke_width(style.line() + 1),
        )),
        Swatch::Box => {
            let h = style.off(8.0);
            area.draw(&Rectangle::new([(x, y - h), (x + w, y + h)], c.mix(0.85).filled()))
        }
        Swatch::Shade => {
            let h = style.off(9.0);
            area.draw(&Rectangle::new([(x, y - h), (x + w, y + h)], c.mix(0.3).filled()))
        }
        Swatch::Dot => {
            let h = style.off(8.0);
            area.draw(&PathElement::new(vec![(x + w / 2, y - h), (x + w / 2, y + h)], c.stroke_width(style.px(2.0))))
                .and_then(|()| area.draw(&Circle::new((x + w / 2, y), style.px(5.0), c.filled())))
        }
        Swatch::Square => {
            let h = style.off(6.0);
            area.draw(&Rectangle::new([(x + w / 2 - h, y - h), (x + w / 2 + h, y + h)], c.filled()))
        }
        Swatch::Hollow => {
            let h = style.off(6.0);
            area.draw(&Rectangle::new([(x + w / 2 - h, y - h), (x + w / 2 + h, y + h)], c.stroke_width(style.px(2.5))))
        }
        Swatch::Outlined => {
            let h = style.off(6.0);
            let rect = [(x + w / 2 - h, y - h), (x + w / 2 + h, y + h)];
            area.draw(&Rectangle::new(rect, c.filled()))
                .and_then(|()| area.draw(&Rectangle::new(rect, crate::style::INK.stroke_width(1))))
        }
        Swatch::UnitSquare | Swatch::UnitCircle | Swatch::UnitDiamond => {
            let role = match e.swatch {
                Swatch::UnitSquare => "troops",
                Swatch::UnitCircle => "police",
                _ => "observers",
            };
            return map::unit_marker(area, (x + w / 2, y), role, f64::from(style.px(6.0)), style.px(2.5));
        }
        Swatch::Circle => area.draw(&Circle::new((x + w / 2, y), style.px(6.0), c.filled())),
        Swatch::Diamond => area.draw(&map::diamond((x + w / 2, y), f64::from(style.px(7.0)), c.filled())),
        Swatch::Triangle => {
            let mut tri = map::triangle((x + w / 2, y), f64::from(style.px(7.0)));
            area.draw(&Polygon::new(tri.clone(), c.filled())).and_then(|()| {
                tri.push(tri[0]);
                area.draw(&PathElement::new(tri, crate::style::INK.stroke_width(style.px(2.0))))
            })
        }
        Swatch::Cross => {
            let h = style.off(6.0);
            let (cx, stroke) = (x + w / 2, c.stroke_width(style.px(2.5)));
            area.draw(&PathElement::new(vec![(cx - h, y - h), (cx + h, y + h)], stroke))
                .and_then(|()| area.draw(&PathElement::new(vec![(cx - h, y + h), (cx + h, y - h)], stroke)))
        }
    }
    .text_err()
}

/// Draws a figure into `dir/<stem>.png` or `.svg` and returns the path written.
pub(crate) fn render<P: Panel>(
    figure: &Figure<P>,
    dir: &Path,
    stem: &str,
    options: &PlotOptions,
) -> Result<PathBuf, PlotError> {
    crate::style::register_fonts().map_err(|message| PlotError::Draw { chart: stem.to_owned(), message })?;
    let (w, h) = (options.width.max(200), options.height.max(150));
    let style = Style { split_paths: options.format == Format::Png, ..Style::for_size(w, h) };
    let path = dir.join(format!("{stem}.{}", options.format.extension()));
    let fail = |message: String| PlotError::Draw { chart: file_name(&path), message };
    let bytes = match options.format {
        Format::Png => {
            let buffer = rgb(figure, w, h, &style).map_err(fail)?;
            encode_png(&buffer, w, h).map_err(fail)?
        }
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
                figure.draw(&root, &style).map_err(fail)?;
                root.present().text_err().map_err(fail)?;
            }
            text.into_bytes()
        }
    };
    std::fs::write(&path, bytes).map_err(|e| PlotError::Write { path: path.clone(), message: e.to_string() })?;
    Ok(path)
}

/// Draws a figure into an RGB buffer of `w` x `h` pixels.
pub(crate) fn rgb<P: Panel>(figure: &Figure<P>, w: u32, h: u32, style: &Style) -> DrawResult<Vec<u8>> {
    let mut buffer = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        figure.draw(&root, style)?;
        root.present().text_err()?;
    }
    Ok(buffer)
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> DrawResult<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().text_err()?;
        writer.write_image_data(rgb).text_err()?;
        writer.finish().text_err()?;
    }
    Ok(out)
}

/// A file-name stem from a metric or outcome name: letters, digits, `-` and `_` kept, the rest `_`.
pub(crate) fn stem_part(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Formats a number for a label: whole numbers without decimals, others with three significant digits
/// (at most), without trailing zeros.
pub(crate) fn short_number(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else if a > 0.0 {
        (2 - a.log10().floor() as i32).clamp(2, 8) as usize
    } else {
        0
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

/// A tick-label formatter for an axis spanning `lo..hi`: as many decimals as the tick step needs.
pub(crate) fn tick_formatter(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let step = ((hi - lo).abs() / 8.0).max(f64::MIN_POSITIVE);
    let decimals = (-step.log10().floor()).clamp(0.0, 8.0) as usize;
    move |v: &f64| {
        let mut s = format!("{v:.decimals$}");
        if s.contains('.') {
            s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
        }
        // No "-0".
        if s == "-0" { "0".to_owned() } else { s }
    }
}

/// The range of the finite values, widened when empty or flat; with `zero`, it includes 0 when all values
/// have one sign; the top (and a negative bottom) get a 5 % margin.
pub(crate) fn value_range(values: impl IntoIterator<Item = f64>, zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 1e-12 { lo.abs() * 0.1 } else { 1.0 };
        return if zero && lo == 0.0 { (0.0, pad) } else { (lo - pad, hi + pad) };
    }
    let pad = (hi - lo) * 0.05;
    let lo = if zero && lo == 0.0 { 0.0 } else { lo - pad };
    (lo, hi + pad)
}

/// The width in pixels of the widest of `labels`.
pub(crate) fn widest<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    labels: impl IntoIterator<Item = String>,
    font: &TextStyle<'_>,
) -> DrawResult<u32> {
    let mut w = 0;
    for l in labels {
        w = w.max(area.estimate_text_size(&l, font).text_err()?.0);
    }
    Ok(w)
}

/// The points of a polyline as the paths to draw: the whole line, or its segments (see
/// [`Style::split_paths`]).
pub(crate) fn polyline(points: Vec<(f64, f64)>, style: &Style) -> Vec<Vec<(f64, f64)>> {
    if style.split_paths && points.len() > 2 {
        points.windows(2).map(<[(f64, f64)]>::to_vec).collect()
    } else {
        vec![points]
    }
}

/// The mesh settings every chart with grid lines shares: axis descriptions and tick labels in the house
/// fonts, no light grid lines, bold grid lines and axes in light and mid greys.
pub(crate) fn house_mesh<'m, 'a, 'b, X, Y, XT, YT, DB>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    style: &Style,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = XT> + plotters::coord::ranged1d::ValueFormatter<XT>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = YT> + plotters::coord::ranged1d::ValueFormatter<YT>,
    DB: DrawingBackend,
{
    let (light, bold) = grid_styles();
    mesh.axis_desc_style(style.axis())
        .label_style(style.tick())
        .light_line_style(light)
        .max_light_lines(0)
        .bold_line_style(bold)
        .axis_style(axis_colour())
}

/// A chart with one row per category label (row 0 at the top, at y = n - 1) against a numeric x axis
/// over `x0..x1`: the mesh drawn with vertical grid lines only and the labels written left of the rows.
pub(crate) fn rows_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    labels: &[String],
    (x0, x1): (f64, f64),
    x_label: &str,
    style: &Style,
) -> DrawResult<
    ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
> {
    let n = labels.len().max(1);
    let fx = tick_formatter(x0, x1);
    let label_w = left_label_width(area, labels, style)?;
    let axis_h = area.estimate_text_size("Ag", &style.axis()).text_err()?.1;
    let mut chart = ChartBuilder::on(area)
        .margin_top(style.px(6.0))
        .margin_right(style.px(22.0))
        .x_label_area_size(style.px(26.0) + axis_h + style.px(14.0))
        .y_label_area_size(label_w)
        .build_cartesian_2d(x0..x1, -0.5..(n as f64 - 0.5))
        .text_err()?;
    house_mesh(&mut chart.configure_mesh(), style)
        .x_desc(x_label)
        .x_labels(10)
        .x_label_formatter(&fx)
        .y_labels(0)
        .disable_y_mesh()
        .draw()
        .text_err()?;
    let max_label = label_w.saturating_sub(style.px(16.0));
    left_labels(&area.use_screen_coord(), chart.plotting_area(), labels, x0, |i| (n - 1 - i) as f64, max_label, style)?;
    Ok(chart)
}

/// Grid-line styles shared by every chart.
pub(crate) fn grid_styles() -> (ShapeStyle, ShapeStyle) {
    (RGBColor(236, 236, 236).stroke_width(1), RGBColor(214, 214, 214).stroke_width(1))
}

/// The colour of axis lines.
pub(crate) fn axis_colour() -> ShapeStyle {
    GREY.stroke_width(1)
}

/// Writes category labels left of a plot whose y axis puts category `i` at `y = position(i)`, shortened
/// to `max` pixels, with a small tick.
pub(crate) fn left_labels<DB: DrawingBackend, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    root: &DrawingArea<DB, Shift>,
    plot: &DrawingArea<DB, CT>,
    labels: &[String],
    x_at_axis: f64,
    position: impl Fn(usize) -> f64,
    max: u32,
    style: &Style,
) -> DrawResult {
    let font = style.tick();
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = plot.map_coordinate(&(x_at_axis, position(i)));
        let text = fit(root, label, &font, max)?;
        root.draw(&Text::new(text, (px - style.off(8.0), py), font.clone().pos(Pos::new(HPos::Right, VPos::Center))))
            .text_err()?;
        root.draw(&PathElement::new(vec![(px - style.off(4.0), py), (px, py)], crate::style::INK.stroke_width(1)))
            .text_err()?;
    }
    Ok(())
}

/// The pixel width to reserve left of a plot for category labels: the widest label, at most a share of
/// the area's width.
pub(crate) fn left_label_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    style: &Style,
) -> DrawResult<u32> {
    let (w, _) = area.dim_in_pixel();
    let widest = widest(area, labels.iter().cloned(), &style.tick())?;
    Ok(widest.min(w * 2 / 5) + style.px(16.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(short_number(8000.0), "8000");
        assert_eq!(short_number(0.3607726797439987), "0.361");
        assert_eq!(short_number(71.8), "71.8");
        assert_eq!(short_number(2.9082458), "2.91");
        assert_eq!(short_number(0.0012345), "0.00123");
        assert_eq!(short_number(f64::NAN), "–");
        let f = tick_formatter(0.0, 1.0);
        assert_eq!(f(&0.5), "0.5");
        let f = tick_formatter(0.0, 8000.0);
        assert_eq!(f(&2000.0), "2000");
        assert_eq!(tick_formatter(-1.0, 1.0)(&-0.0), "0");
        assert_eq!(tick_formatter(0.0, 0.7)(&0.6), "0.6");
        assert_eq!(tick_formatter(0.0, 0.7)(&0.05), "0.05");
    }

    #[test]
    fn ranges_include_zero_and_pad() {
        assert_eq!(value_range([2.0, 4.0], true), (0.0, 4.2));
        assert_eq!(value_range([f64::NAN], true), (0.0, 1.0));
        assert_eq!(value_range([0.0, 0.0], true), (0.0, 1.0));
        let (lo, hi) = value_range([5.0, 5.0], false);
        assert!(lo < 5.0 && hi > 5.0);
    }
}
