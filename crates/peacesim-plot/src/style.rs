//! Consistent styling: the embedded font, the Okabe-Ito palette and sizes that scale with the image.

use plotters::style::{FontFamily, FontStyle, RGBColor, TextStyle};
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera licence, see `assets/LICENSE-DejaVu.txt`), embedded so that charts render
/// the same on a machine without any fonts installed.
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The font family of every text: the embedded DejaVu Sans when drawing PNGs; in SVGs, the viewer's
/// DejaVu Sans if it has one (whose metrics the layout assumes), else its sans-serif font.
pub(crate) const FAMILY: &str = "DejaVu Sans, sans-serif";

/// Registers the embedded font under [`FAMILY`], once.
pub(crate) fn register_fonts() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS)
                .map_err(|_| "the embedded DejaVu Sans font could not be loaded".to_owned())
        })
        .clone()
}

/// The Okabe-Ito palette (Okabe and Ito 2008), safe for the common forms of colour blindness, in the order
/// series take their colours. Sky blue comes after the four most distinct hues (it is close to blue when
/// pale, as on a map's controlled ground); yellow comes last: it is hard to see on white.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(230, 159, 0),   // orange
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// The colour of the `i`th series (cycling through the palette).
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Grey for grid lines, event markers and secondary text.
pub(crate) const GREY: RGBColor = RGBColor(110, 110, 110);
/// Near-black for text.
pub(crate) const INK: RGBColor = RGBColor(30, 30, 30);

/// Sizes of text and lines for one chart or panel, scaled from a 1200 x 800 reference.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    /// Scale factor over the reference sizes.
    pub(crate) scale: f64,
    /// Draw polylines as separate segments. plotters' bitmap backend turns a thick polyline into one
    /// polygon, which comes out too thick after nearly straight joints; segments do not.
    pub(crate) split_paths: bool,
}

impl Style {
    /// The style for an area of `width` x `height` pixels.
    pub(crate) fn for_size(width: u32, height: u32) -> Style {
        let s = (f64::from(width) / 1200.0).min(f64::from(height) / 800.0);
        Style { scale: s.clamp(0.5, 4.0), split_paths: false }
    }

    /// `v` reference pixels, scaled.
    pub(crate) fn px(&self, v: f64) -> u32 {
        (v * self.scale).round().max(1.0) as u32
    }

    /// `v` reference pixels, scaled, as a signed pixel offset.
    pub(crate) fn off(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    fn font(&self, size: f64) -> TextStyle<'static> {
        TextStyle::from((FontFamily::Name(FAMILY), size * self.scale)).color(&INK)
    }

    /// Chart titles.
    pub(crate) fn title(&self) -> TextStyle<'static> {
        self.font(26.0)
    }
    /// Subtitles under the title.
    pub(crate) fn subtitle(&self) -> TextStyle<'static> {
        self.font(17.0).color(&GREY)
    }
    /// Axis descriptions.
    pub(crate) fn axis(&self) -> TextStyle<'static> {
        self.font(19.0)
    }
    /// Tick labels.
    pub(crate) fn tick(&self) -> TextStyle<'static> {
        self.font(16.0)
    }
    /// Legend entries.
    pub(crate) fn legend(&self) -> TextStyle<'static> {
        self.font(16.0)
    }
    /// Labels of event markers and values written on cells.
    pub(crate) fn note(&self) -> TextStyle<'static> {
        self.font(14.0)
    }
    /// The same style with sizes scaled by `f`.
    pub(crate) fn scaled(&self, f: f64) -> Style {
        Style { scale: self.scale * f, ..*self }
    }

    /// The width of data lines.
    pub(crate) fn line(&self) -> u32 {
        self.px(2.5)
    }
}
