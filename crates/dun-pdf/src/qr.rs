//! The QR matrix of an EPC payment code, for the shells that draw it (this
//! crate's documents; the web's inline SVG). The payload itself is written
//! by `dun_core::epc_qr`; this only encodes it, at the error correction
//! level the guideline asks for (M).

use qrcode::{Color, EcLevel, QrCode};

/// Modules of light margin a reader needs around the code (the QR
/// standard's quiet zone).
pub const QUIET_ZONE_MODULES: usize = 4;

/// A square of modules, row by row from the top left; `true` is dark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Matrix {
    /// The QR code of `payload` at error correction level M, or `None`
    /// when it does not fit in a QR code at all.
    pub fn encode(payload: &str) -> Option<Matrix> {
        debug_assert_eq!(dun_core::epc_qr::ERROR_CORRECTION, 'M');
        let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()?;
        Some(Matrix {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Each row's dark modules as runs `(row, first column, length)`, so a
    /// drawing needs one rectangle per run rather than per module.
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                runs.push((y, start, x - start));
            }
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_becomes_a_square_with_finder_patterns_and_runs_cover_it() {
        let m = Matrix::encode(
            "BCD\n002\n1\nSCT\n\nNorthwind\nDE89370400440532013000\nEUR1.00\n\nRF18539007547034",
        )
        .unwrap();
        assert_eq!(m.dark.len(), m.width * m.width);
        assert_eq!(
            (m.width - 17) % 4,
            0,
            "a QR code is 17 + 4 × version modules wide"
        );
        // The finder pattern's corner, top left and top right.
        assert!(m.is_dark(0, 0) && m.is_dark(m.width - 1, 0) && m.is_dark(0, m.width - 1));
        let covered: usize = m.runs().iter().map(|r| r.2).sum();
        assert_eq!(covered, m.dark.iter().filter(|d| **d).count());
    }
}
