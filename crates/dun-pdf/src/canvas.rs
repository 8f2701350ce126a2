//! A small drawing surface and its PDF writer: pages of text runs, filled
//! rectangles and rules, laid out in points from the top-left corner, then
//! written with the fonts subset to the glyphs used.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use dun_core::document::{jpeg_components, Logo, LogoFormat, Paper};

use crate::RenderError;

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    const ALL: [Font; 2] = [Font::Regular, Font::Bold];

    fn data(self) -> &'static [u8] {
        match self {
            Font::Regular => REGULAR_TTF,
            Font::Bold => BOLD_TTF,
        }
    }

    fn resource_name(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
        }
    }

    fn base_name(self) -> &'static [u8] {
        // Six upper-case letters and a plus mark a subset font.
        match self {
            Font::Regular => b"DUNAAA+DejaVuSans",
            Font::Bold => b"DUNAAB+DejaVuSans-Bold",
        }
    }
}

/// The two vendored faces, parsed once per document.
pub struct Fonts {
    faces: [ttf_parser::Face<'static>; 2],
}

impl Fonts {
    pub fn load() -> Result<Fonts, RenderError> {
        let parse = |f: Font| {
            ttf_parser::Face::parse(f.data(), 0)
                .map_err(|e| RenderError::Font(format!("the vendored font does not parse: {e}")))
        };
        Ok(Fonts {
            faces: [parse(Font::Regular)?, parse(Font::Bold)?],
        })
    }

    fn face(&self, font: Font) -> &ttf_parser::Face<'static> {
        &self.faces[font as usize]
    }

    fn glyph(&self, font: Font, c: char) -> u16 {
        let face = self.face(font);
        face.glyph_index(c)
            .or_else(|| face.glyph_index('?'))
            .map_or(0, |g| g.0)
    }

    fn advance_units(&self, font: Font, glyph: u16) -> f32 {
        f32::from(
            self.face(font)
                .glyph_hor_advance(ttf_parser::GlyphId(glyph))
                .unwrap_or(0),
        )
    }

    fn units_per_em(&self, font: Font) -> f32 {
        f32::from(self.face(font).units_per_em())
    }

    /// Width of `text` set in `font` at `size`, in points.
    pub fn width(&self, font: Font, size: f32, text: &str) -> f32 {
        let units: f32 = text
            .chars()
            .map(|c| self.advance_units(font, self.glyph(font, c)))
            .sum();
        units * size / self.units_per_em(font)
    }

    /// Breaks `text` into lines no wider than `width`; words longer than a
    /// line are cut by character. Explicit newlines are kept.
    pub fn wrap(&self, font: Font, size: f32, text: &str, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            // A no-break space (a French number's thousands) holds its word together.
            let words = paragraph
                .split(|c: char| c.is_whitespace() && c != '\u{a0}')
                .filter(|w| !w.is_empty());
            for word in words {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(font, size, &candidate) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line is cut by character.
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.width(font, size, &piece) > width && piece.chars().count() > 1 {
                        piece.pop();
                        lines.push(std::mem::take(&mut piece));
                        piece.push(c);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Color(pub f32, pub f32, pub f32);

pub const BLACK: Color = Color(0.11, 0.12, 0.14);
pub const GREY: Color = Color(0.42, 0.45, 0.50);
pub const RULE: Color = Color(0.80, 0.82, 0.85);
pub const SHADE: Color = Color(0.955, 0.96, 0.97);
pub const ACCENT: Color = Color(0.09, 0.29, 0.47);
pub const ACCENT_LIGHT: Color = Color(0.90, 0.94, 0.97);
pub const WHITE: Color = Color(1.0, 1.0, 1.0);
/// A QR code's dark modules: pure black, the most contrast for a reader.
pub const QR_DARK: Color = Color(0.0, 0.0, 0.0);

#[derive(Clone, Debug)]
enum Op {
    Text {
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        color: Color,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Color,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Color,
    },
    /// The document's logo, its top-left corner at (`x`, `y`).
    Logo { x: f32, y: f32, w: f32, h: f32 },
}

/// One page; `y` grows downwards from the top edge.
#[derive(Clone, Debug, Default)]
pub struct Page {
    ops: Vec<Op>,
}

impl Page {
    /// Text whose baseline is at `y`, starting at `x`.
    pub fn text(&mut self, x: f32, y: f32, font: Font, size: f32, color: Color, text: &str) {
        if text.is_empty() {
            return;
        }
        self.ops.push(Op::Text {
            x,
            y,
            font,
            size,
            color,
            text: text.to_string(),
        });
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Color) {
        self.ops.push(Op::Rect { x, y, w, h, color });
    }

    /// The logo ([`Info::logo`]) in a `w` × `h` box whose top-left corner
    /// is at (`x`, `y`).
    pub fn logo(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.ops.push(Op::Logo { x, y, w, h });
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Color) {
        self.ops.push(Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        });
    }
}

/// Document metadata, the paper its pages are and the logo they draw.
pub struct Info<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub paper: Paper,
    pub logo: Option<&'a Logo>,
}

/// The logo's resource name on a page.
const LOGO_NAME: &[u8] = b"Im1";

/// Writes the logo as an image XObject at `id` (a PNG's transparency as a
/// soft mask at `mask`): a JPEG as it is (DCTDecode), a PNG as its decoded
/// samples (FlateDecode).
fn write_logo(pdf: &mut Pdf, logo: &Logo, id: Ref, mask: Ref) -> Result<(), RenderError> {
    let (w, h) = (logo.width_px as i32, logo.height_px as i32);
    match logo.format {
        LogoFormat::Jpeg => {
            let mut image = pdf.image_xobject(id, &logo.bytes);
            image.filter(Filter::DctDecode);
            image.width(w).height(h).bits_per_component(8);
            match jpeg_components(&logo.bytes) {
                Some(1) => image.color_space().device_gray(),
                Some(4) => image.color_space().device_cmyk(),
                _ => image.color_space().device_rgb(),
            };
        }
        LogoFormat::Png => {
            let pixels = logo
                .pixels()
                .map_err(|e| RenderError::Logo(format!("the logo does not decode: {e}")))?;
            let color = miniz_oxide::deflate::compress_to_vec_zlib(&pixels.color, 6);
            let mut image = pdf.image_xobject(id, &color);
            image.filter(Filter::FlateDecode);
            image
                .width(pixels.width as i32)
                .height(pixels.height as i32)
                .bits_per_component(8);
            if pixels.components == 1 {
                image.color_space().device_gray();
            } else {
                image.color_space().device_rgb();
            }
            if pixels.alpha.is_some() {
                image.s_mask(mask);
            }
            image.finish();
            if let Some(alpha) = &pixels.alpha {
                let alpha = miniz_oxide::deflate::compress_to_vec_zlib(alpha, 6);
                let mut smask = pdf.image_xobject(mask, &alpha);
                smask.filter(Filter::FlateDecode);
                smask
                    .width(pixels.width as i32)
                    .height(pixels.height as i32)
                    .bits_per_component(8);
                smask.color_space().device_gray();
            }
        }
    }
    Ok(())
}

/// Writes `pages` as a PDF, with each font subset to the glyphs used.
pub fn write_pdf(fonts: &Fonts, pages: &[Page], info: &Info<'_>) -> Result<Vec<u8>, RenderError> {
    // Glyphs used per font, renumbered densely for the subset.
    let mut remappers: BTreeMap<Font, subsetter::GlyphRemapper> = BTreeMap::new();
    let mut chars: BTreeMap<Font, BTreeMap<u16, char>> = BTreeMap::new();
    for page in pages {
        for op in &page.ops {
            if let Op::Text { font, text, .. } = op {
                let remapper = remappers.entry(*font).or_default();
                for c in text.chars() {
                    let new = remapper.remap(fonts.glyph(*font, c));
                    chars.entry(*font).or_default().entry(new).or_insert(c);
                }
            }
        }
    }

    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog_id = alloc();
    let tree_id = alloc();
    let info_id = alloc();
    let mut font_refs: BTreeMap<Font, Ref> = BTreeMap::new();
    let mut pdf = Pdf::new();

    for font in Font::ALL {
        let Some(remapper) = remappers.get(&font) else {
            continue;
        };
        let (type0, cid, descriptor, cmap, file) = (alloc(), alloc(), alloc(), alloc(), alloc());
        font_refs.insert(font, type0);
        let face = fonts.face(font);
        let scale = 1000.0 / fonts.units_per_em(font);
        let base = Name(font.base_name());

        pdf.type0_font(type0)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);

        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        let widths: Vec<f32> = remapper
            .remapped_gids()
            .map(|old| fonts.advance_units(font, old) * scale)
            .collect();
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(descriptor)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font.widths().consecutive(0, widths);
        cid_font.finish();

        let bbox = face.global_bounding_box();
        let mut flags = FontFlags::NON_SYMBOLIC;
        flags.set(FontFlags::FORCE_BOLD, font == Font::Bold);
        pdf.font_descriptor(descriptor)
            .name(base)
            .flags(flags)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * scale,
                f32::from(bbox.y_min) * scale,
                f32::from(bbox.x_max) * scale,
                f32::from(bbox.y_max) * scale,
            ))
            .italic_angle(0.0)
            .ascent(f32::from(face.ascender()) * scale)
            .descent(f32::from(face.descender()) * scale)
            .cap_height(f32::from(face.capital_height().unwrap_or(face.ascender())) * scale)
            .stem_v(if font == Font::Bold { 120.0 } else { 80.0 })
            .font_file2(file);

        let mut unicode = UnicodeCmap::new(
            Name(b"Custom"),
            SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"Identity"),
                supplement: 0,
            },
        );
        for (gid, c) in chars.get(&font).into_iter().flatten() {
            unicode.pair(*gid, *c);
        }
        let cmap_bytes = unicode.finish();
        pdf.cmap(cmap, cmap_bytes.as_slice());

        let subset = subsetter::subset(font.data(), 0, remapper)
            .map_err(|e| RenderError::Font(format!("subsetting the vendored font failed: {e}")))?;
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
        pdf.stream(file, &compressed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), subset.len() as i32);
    }

    // The logo, once, when a page draws it.
    let logo_ref = match info.logo {
        Some(logo)
            if pages
                .iter()
                .any(|p| p.ops.iter().any(|o| matches!(o, Op::Logo { .. }))) =>
        {
            let (id, mask) = (alloc(), alloc());
            write_logo(&mut pdf, logo, id, mask)?;
            Some(id)
        }
        _ => None,
    };

    let (width, height) = info.paper.size_pt();
    let mut page_ids = Vec::with_capacity(pages.len());
    for page in pages {
        let (page_id, content_id) = (alloc(), alloc());
        page_ids.push(page_id);
        let content = page_content(fonts, page, &remappers, height, logo_ref.is_some());
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&content, 6);
        pdf.stream(content_id, &compressed)
            .filter(Filter::FlateDecode);
        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, width, height))
            .parent(tree_id)
            .contents(content_id);
        let mut resources = p.resources();
        let mut font_dict = resources.fonts();
        for (font, id) in &font_refs {
            font_dict.pair(Name(font.resource_name()), *id);
        }
        font_dict.finish();
        if let Some(id) = logo_ref {
            resources.x_objects().pair(Name(LOGO_NAME), id);
        }
        resources.finish();
        p.finish();
    }
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.document_info(info_id)
        .title(TextStr(info.title))
        .author(TextStr(info.author))
        .creator(TextStr("Dun"))
        .producer(TextStr("Dun (pdf-writer)"));
    Ok(pdf.finish())
}

fn page_content(
    fonts: &Fonts,
    page: &Page,
    remappers: &BTreeMap<Font, subsetter::GlyphRemapper>,
    page_height: f32,
    has_logo: bool,
) -> Vec<u8> {
    let flip = |y: f32| page_height - y;
    let mut c = Content::new();
    for op in &page.ops {
        match op {
            Op::Rect { x, y, w, h, color } => {
                c.set_fill_rgb(color.0, color.1, color.2);
                c.rect(*x, flip(*y + *h), *w, *h);
                c.fill_nonzero();
            }
            Op::Line {
                x1,
                y1,
                x2,
                y2,
                width,
                color,
            } => {
                c.set_stroke_rgb(color.0, color.1, color.2);
                c.set_line_width(*width);
                c.move_to(*x1, flip(*y1));
                c.line_to(*x2, flip(*y2));
                c.stroke();
            }
            Op::Logo { x, y, w, h } => {
                if has_logo {
                    c.save_state();
                    c.transform([*w, 0.0, 0.0, *h, *x, flip(*y + *h)]);
                    c.x_object(Name(LOGO_NAME));
                    c.restore_state();
                }
            }
            Op::Text {
                x,
                y,
                font,
                size,
                color,
                text,
            } => {
                let remapper = &remappers[font];
                let mut encoded = Vec::with_capacity(text.len() * 2);
                for ch in text.chars() {
                    let gid = remapper.get(fonts.glyph(*font, ch)).unwrap_or(0);
                    encoded.extend_from_slice(&gid.to_be_bytes());
                }
                c.set_fill_rgb(color.0, color.1, color.2);
                c.begin_text();
                c.set_font(Name(font.resource_name()), *size);
                c.next_line(*x, flip(*y));
                c.show(Str(&encoded));
                c.end_text();
            }
        }
    }
    c.finish().into_vec()
}
