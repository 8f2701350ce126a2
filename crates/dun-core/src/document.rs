//! How the organisation's documents look: the paper they are laid out on,
//! the logo at their top and the language their fixed words, dates and
//! amounts are written in. Stored with the organisation; `dun-pdf` draws
//! with them.
//!
//! Paper: an organisation that never chose one gets US Letter when its
//! country is the US or Canada and A4 otherwise, decided each time from
//! the country it has then ([`Paper::effective`]), so a country set after
//! `dun init` still decides. Choosing a paper size keeps it whatever the
//! country.

use serde::{Deserialize, Serialize};

use crate::party::PartyError;

/// The paper a document is laid out on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    /// ISO 216 A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 in.
    UsLetter,
}

/// Countries that write on US Letter (ISO 3166-1 alpha-2): the United
/// States and Canada.
pub const US_LETTER_COUNTRIES: &[&str] = &["US", "CA"];

impl Paper {
    pub const ALL: [Paper; 2] = [Paper::A4, Paper::UsLetter];

    /// The stored and typed name: `a4`, `us_letter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::UsLetter => "us_letter",
        }
    }

    /// A person's name for it.
    pub fn title(self) -> &'static str {
        match self {
            Paper::A4 => "A4",
            Paper::UsLetter => "US Letter",
        }
    }

    /// Width and height in PostScript points (1/72 in): A4 is
    /// 595.28 × 841.89, US Letter 612 × 792.
    pub fn size_pt(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::UsLetter => (612.0, 792.0),
        }
    }

    /// `a4` or `us_letter` (case and `-`/space for `_` forgiven: `US-Letter`).
    pub fn parse(text: &str) -> Result<Paper, PartyError> {
        let norm = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Paper::ALL
            .into_iter()
            .find(|p| p.as_str() == norm || (norm == "letter" && *p == Paper::UsLetter))
            .ok_or_else(|| PartyError::new("paper_size", text, "a paper size is a4 or us_letter"))
    }

    /// The paper of a country when none was chosen: US Letter in the US and
    /// Canada, A4 everywhere else (and when no country is set).
    pub fn for_country(country_code: Option<&str>) -> Paper {
        match country_code {
            Some(c) if US_LETTER_COUNTRIES.contains(&c.trim().to_ascii_uppercase().as_str()) => {
                Paper::UsLetter
            }
            _ => Paper::A4,
        }
    }

    /// The paper documents use: the one chosen, else the country's.
    pub fn effective(chosen: Option<Paper>, country_code: Option<&str>) -> Paper {
        chosen.unwrap_or_else(|| Paper::for_country(country_code))
    }
}

/// The language a document's fixed words are in, and how its dates and
/// amounts are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentLocale {
    /// English: `2026-12-31`, `1,234.56 EUR`.
    #[default]
    En,
    /// German: `31.12.2026`, `1.234,56 EUR`.
    De,
    /// French: `31/12/2026`, `1 234,56 EUR`.
    Fr,
}

impl DocumentLocale {
    pub const ALL: [DocumentLocale; 3] =
        [DocumentLocale::En, DocumentLocale::De, DocumentLocale::Fr];

    /// The stored and typed code: `en`, `de`, `fr`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentLocale::En => "en",
            DocumentLocale::De => "de",
            DocumentLocale::Fr => "fr",
        }
    }

    /// The language's own name for itself.
    pub fn title(self) -> &'static str {
        match self {
            DocumentLocale::En => "English",
            DocumentLocale::De => "Deutsch",
            DocumentLocale::Fr => "Français",
        }
    }

    pub fn parse(text: &str) -> Result<DocumentLocale, PartyError> {
        let norm = text.trim().to_ascii_lowercase();
        DocumentLocale::ALL
            .into_iter()
            .find(|l| l.as_str() == norm)
            .ok_or_else(|| {
                PartyError::new("document_locale", text, "a document locale is en, de or fr")
            })
    }
}

/// Largest logo, in bytes (512 KiB): a letterhead, not a photograph.
pub const LOGO_BYTES_MAX: usize = 512 * 1024;
/// Largest logo side, in pixels: what is drawn is at most a few inches
/// wide, and the bound keeps decoding small.
pub const LOGO_SIDE_PIXELS_MAX: u32 = 4096;

/// The image formats a logo may be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogoFormat {
    Png,
    Jpeg,
}

impl LogoFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            LogoFormat::Png => "image/png",
            LogoFormat::Jpeg => "image/jpeg",
        }
    }

    pub fn from_media_type(media_type: &str) -> Option<LogoFormat> {
        match media_type.trim().to_ascii_lowercase().as_str() {
            "image/png" => Some(LogoFormat::Png),
            "image/jpeg" | "image/jpg" => Some(LogoFormat::Jpeg),
            _ => None,
        }
    }
}

/// The organisation's logo: PNG or JPEG bytes, checked by [`Logo::parse`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logo {
    pub format: LogoFormat,
    pub width_px: u32,
    pub height_px: u32,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Logo({}, {}×{} px, {} bytes)",
            self.format.media_type(),
            self.width_px,
            self.height_px,
            self.bytes.len()
        )
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

impl Logo {
    pub fn media_type(&self) -> &'static str {
        self.format.media_type()
    }

    /// Checks uploaded bytes: at most [`LOGO_BYTES_MAX`], a PNG or a JPEG
    /// (told by its first bytes, whatever the file is called), its size
    /// read from its header, each side 1 to [`LOGO_SIDE_PIXELS_MAX`].
    pub fn parse(bytes: Vec<u8>) -> Result<Logo, PartyError> {
        let size = format!("{} bytes", bytes.len());
        if bytes.is_empty() {
            return Err(PartyError::new(
                "logo",
                "0 bytes",
                "the file is empty; a logo is a PNG or JPEG image",
            ));
        }
        if bytes.len() > LOGO_BYTES_MAX {
            return Err(PartyError::new(
                "logo",
                &size,
                format!(
                    "a logo is at most {LOGO_BYTES_MAX} bytes ({} KiB)",
                    LOGO_BYTES_MAX / 1024
                ),
            ));
        }
        let (format, dims) = if bytes.starts_with(PNG_SIGNATURE) {
            (LogoFormat::Png, png_size(&bytes))
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            let dims =
                jpeg_size(&bytes).filter(|_| matches!(jpeg_components(&bytes), Some(1 | 3 | 4)));
            (LogoFormat::Jpeg, dims)
        } else {
            return Err(PartyError::new(
                "logo",
                &size,
                "this is not a PNG or JPEG image; a logo is a PNG or JPEG image",
            ));
        };
        let Some((width_px, height_px)) = dims else {
            return Err(PartyError::new(
                "logo",
                &size,
                format!(
                    "this {} image is damaged: its size cannot be read",
                    format.media_type()
                ),
            ));
        };
        let side = 1..=LOGO_SIDE_PIXELS_MAX;
        if !side.contains(&width_px) || !side.contains(&height_px) {
            return Err(PartyError::new(
                "logo",
                &format!("{width_px}×{height_px} px"),
                format!("each side of a logo is 1 to {LOGO_SIDE_PIXELS_MAX} pixels"),
            ));
        }
        let logo = Logo {
            format,
            width_px,
            height_px,
            bytes,
        };
        if format == LogoFormat::Png {
            // Decoded whole once, so a damaged image is refused here and
            // never fails a document later.
            logo.pixels().map_err(|e| {
                PartyError::new(
                    "logo",
                    &size,
                    format!("this image/png image is damaged: {e}"),
                )
            })?;
        }
        Ok(logo)
    }

    /// A PNG logo decoded to 8-bit grey or RGB samples and, when it has
    /// transparency, its alpha channel apart (what a PDF image and its
    /// soft mask take). A JPEG is drawn as it is and is not decoded here.
    pub fn pixels(&self) -> Result<Pixels, String> {
        if self.format != LogoFormat::Png {
            return Err("only a PNG logo is decoded".into());
        }
        let mut decoder = png::Decoder::new_with_limits(
            std::io::Cursor::new(&self.bytes),
            png::Limits {
                // Four 8-bit samples a pixel at most, each side bounded.
                bytes: 4 * (LOGO_SIDE_PIXELS_MAX as usize).pow(2),
            },
        );
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        let data = &buf[..info.buffer_size()];
        let (channels, has_alpha) = match info.color_type {
            png::ColorType::Grayscale => (1, false),
            png::ColorType::GrayscaleAlpha => (1, true),
            png::ColorType::Rgb => (3, false),
            png::ColorType::Rgba => (3, true),
            png::ColorType::Indexed => return Err("a palette was left unexpanded".into()),
        };
        let (color, alpha) = if has_alpha {
            let stride = channels + 1;
            let mut color = Vec::with_capacity(data.len() / stride * channels);
            let mut alpha = Vec::with_capacity(data.len() / stride);
            for px in data.chunks_exact(stride) {
                color.extend_from_slice(&px[..channels]);
                alpha.push(px[channels]);
            }
            // A fully opaque alpha channel needs no mask.
            let opaque = alpha.iter().all(|a| *a == 255);
            (color, (!opaque).then_some(alpha))
        } else {
            (data.to_vec(), None)
        };
        Ok(Pixels {
            width: info.width,
            height: info.height,
            components: channels as u8,
            color,
            alpha,
        })
    }

    /// The logo as stored: its media type and bytes, checked again.
    pub fn stored(media_type: &str, bytes: Vec<u8>) -> Result<Logo, PartyError> {
        let logo = Logo::parse(bytes)?;
        if LogoFormat::from_media_type(media_type) != Some(logo.format) {
            return Err(PartyError::new(
                "logo",
                media_type,
                "the stored media type is not the image's",
            ));
        }
        Ok(logo)
    }

    /// The largest size that fits a `box_w` × `box_h` box keeping the
    /// logo's aspect ratio, in the box's units.
    pub fn fit(&self, box_w: f32, box_h: f32) -> (f32, f32) {
        let (w, h) = (self.width_px as f32, self.height_px as f32);
        let scale = (box_w / w).min(box_h / h);
        (w * scale, h * scale)
    }
}

/// A decoded PNG: 8-bit samples row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    /// 1 (grey) or 3 (RGB) samples a pixel in `color`.
    pub components: u8,
    pub color: Vec<u8>,
    /// One sample a pixel; `None` when the image is opaque.
    pub alpha: Option<Vec<u8>>,
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let ihdr = bytes.get(8..24)?;
    if &ihdr[4..8] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(ihdr[8..12].try_into().ok()?);
    let h = u32::from_be_bytes(ihdr[12..16].try_into().ok()?);
    Some((w, h))
}

/// A JPEG's first start-of-frame segment: width, height and the number of
/// components of its frame (1 grey, 3 colour, 4 CMYK).
fn jpeg_frame(bytes: &[u8]) -> Option<(u32, u32, u8)> {
    let mut i = 2;
    loop {
        // Markers may be padded with 0xFF.
        while *bytes.get(i)? == 0xFF && *bytes.get(i + 1)? == 0xFF {
            i += 1;
        }
        if *bytes.get(i)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(i + 1)?;
        let len = usize::from(u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let seg = bytes.get(i + 4..i + 2 + len)?;
            let h = u32::from(u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]));
            let w = u32::from(u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]));
            return Some((w, h, *seg.get(5)?));
        }
        if marker == 0xD9 || marker == 0xDA || len < 2 {
            return None;
        }
        i += 2 + len;
    }
}

/// A JPEG's width and height.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    jpeg_frame(bytes).map(|(w, h, _)| (w, h))
}

/// How the organisation's documents look.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentSettings {
    /// The paper chosen; `None`: never chosen, the country decides.
    pub paper_chosen: Option<Paper>,
    /// The paper documents are laid out on ([`Paper::effective`]).
    pub paper: Paper,
    pub locale: DocumentLocale,
    pub logo: Option<Logo>,
}

/// The number of components of a JPEG's frame (1 grey, 3 colour, 4 CMYK).
pub fn jpeg_components(bytes: &[u8]) -> Option<u8> {
    jpeg_frame(bytes).map(|(_, _, components)| components)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_country_decides_the_paper_until_one_is_chosen() {
        assert_eq!(Paper::effective(None, Some("US")), Paper::UsLetter);
        assert_eq!(Paper::effective(None, Some("CA")), Paper::UsLetter);
        assert_eq!(Paper::effective(None, Some("DE")), Paper::A4);
        assert_eq!(Paper::effective(None, None), Paper::A4);
        assert_eq!(Paper::effective(Some(Paper::A4), Some("US")), Paper::A4);
        assert_eq!(
            Paper::effective(Some(Paper::UsLetter), Some("GB")),
            Paper::UsLetter
        );
        assert_eq!(Paper::parse("US-Letter").unwrap(), Paper::UsLetter);
        assert_eq!(Paper::parse("A4").unwrap(), Paper::A4);
        let e = Paper::parse("legal").unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("paper_size", "legal"));
    }

    #[test]
    fn locales_parse_by_code() {
        assert_eq!(DocumentLocale::parse(" DE ").unwrap(), DocumentLocale::De);
        assert!(DocumentLocale::parse("es")
            .unwrap_err()
            .reason
            .contains("en, de or fr"));
    }

    /// A 3×2 PNG header (the rest is not read by the check).
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut b = PNG_SIGNATURE.to_vec();
        b.extend_from_slice(&13u32.to_be_bytes());
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    /// A real RGBA PNG, half transparent, made with the `png` crate.
    fn png_rgba(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| [200, 40, 40, if i % 2 == 0 { 255 } else { 0 }])
            .collect();
        writer.write_image_data(&data).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn a_logo_is_a_png_or_jpeg_of_bounded_size() {
        let logo = Logo::parse(png_rgba(300, 100)).unwrap();
        assert_eq!(
            (logo.format, logo.width_px, logo.height_px),
            (LogoFormat::Png, 300, 100)
        );
        let pixels = logo.pixels().unwrap();
        assert_eq!((pixels.components, pixels.color.len()), (3, 300 * 100 * 3));
        assert_eq!(pixels.alpha.as_ref().map(Vec::len), Some(300 * 100));
        let near = |(w, h): (f32, f32), (ew, eh): (f32, f32)| {
            (w - ew).abs() < 1e-3 && (h - eh).abs() < 1e-3
        };
        assert!(near(logo.fit(150.0, 50.0), (150.0, 50.0)));
        assert!(near(logo.fit(150.0, 30.0), (90.0, 30.0)));
        // A JPEG: SOI, an APP0 segment, then SOF0 with 40×20, 3 components.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8, 0, 20, 0, 40, 3]);
        jpeg.extend_from_slice(&[0; 9]);
        let logo = Logo::parse(jpeg.clone()).unwrap();
        assert_eq!(
            (logo.format, logo.width_px, logo.height_px),
            (LogoFormat::Jpeg, 40, 20)
        );
        assert_eq!(jpeg_components(&jpeg), Some(3));

        let e = Logo::parse(b"GIF89a....".to_vec()).unwrap_err();
        assert!(e.reason.contains("not a PNG or JPEG"), "{e}");
        let e = Logo::parse(vec![0x89; LOGO_BYTES_MAX + 1]).unwrap_err();
        assert!(e.reason.contains("524288 bytes (512 KiB)"), "{e}");
        let e = Logo::parse(png_header(0, 10)).unwrap_err();
        assert!(e.reason.contains("1 to 4096 pixels"), "{e}");
        let e = Logo::parse(PNG_SIGNATURE.to_vec()).unwrap_err();
        assert!(e.reason.contains("damaged"), "{e}");
        // A header with no image data after it is damaged too.
        let e = Logo::parse(png_header(3, 2)).unwrap_err();
        assert!(e.reason.contains("damaged"), "{e}");
    }
}
