//! The EPC QR code as inline SVG: one path of the dark modules' runs on a
//! white square with its quiet zone. Same-origin and attribute-only (no
//! `style`, no script, nothing fetched), so the pages' Content-Security-
//! Policy allows it as it is. The payload comes from `dun_core::epc_qr`,
//! the matrix from `dun_pdf::qr`: this only draws.

use dun_pdf::qr::{Matrix, QUIET_ZONE_MODULES};
use maud::{html, Markup};

/// The code's side on the page, in CSS pixels.
const SIDE_PX: usize = 184;

/// The payment code of `payload` with `label` for assistive technology;
/// `None` when the payload fits in no QR code.
pub fn epc_svg(payload: &str, label: &str) -> Option<Markup> {
    let m = Matrix::encode(payload)?;
    let side = m.width + 2 * QUIET_ZONE_MODULES;
    let q = QUIET_ZONE_MODULES;
    let mut d = String::with_capacity(m.width * m.width);
    for (row, col, len) in m.runs() {
        d.push_str(&format!("M{} {}h{len}v1h-{len}z", col + q, row + q));
    }
    Some(html! {
        svg.epc-qr xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {side} {side}"))
            width=(SIDE_PX) height=(SIDE_PX) role="img" aria-label=(label)
            shape-rendering="crispEdges" data-epc-payload=(payload) {
            title { (label) }
            rect width=(side) height=(side) fill="#ffffff" {}
            path fill="#000000" d=(d) {}
        }
    })
}
