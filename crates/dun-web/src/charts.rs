//! Charts as inline SVG drawn on the server: they show with JavaScript off
//! and carry a text alternative (a title, and the same numbers in a table
//! beside them).

use maud::{html, Markup};

/// Horizontal-axis bars, one per (label, value, text shown).
pub fn bars(title: &str, bars: &[(String, f64, String)]) -> Markup {
    let width = 560.0;
    let row = 30.0;
    let label_w = 90.0;
    let value_w = 150.0;
    let plot = width - label_w - value_w;
    let height = row * bars.len().max(1) as f64;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max);
    html! {
        svg.chart viewBox=(format!("0 0 {width} {height}")) role="img" aria-label=(title) preserveAspectRatio="xMinYMin meet" {
            title { (title) }
            @for (i, (label, value, text)) in bars.iter().enumerate() {
                @let y = i as f64 * row;
                @let w = if max > 0.0 { (value / max * plot).max(if *value > 0.0 { 2.0 } else { 0.0 }) } else { 0.0 };
                text x="0" y=(format!("{:.1}", y + row * 0.65)) class="axis" { (label) }
                rect x=(label_w) y=(format!("{:.1}", y + 6.0)) width=(format!("{w:.1}")) height=(format!("{:.1}", row - 12.0)) rx="3" class=(if i == 0 { "bar current" } else { "bar late" }) {}
                text x=(format!("{:.1}", label_w + w + 6.0)) y=(format!("{:.1}", y + row * 0.65)) class="value" { (text) }
            }
        }
    }
}

/// A line through `points` (label, value or none), oldest first.
pub fn line(title: &str, points: &[(String, Option<f64>)]) -> Markup {
    let (width, height, pad) = (560.0, 140.0, 24.0);
    let values: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    let (low, high) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    let (low, high) = if values.is_empty() {
        (0.0, 1.0)
    } else if (high - low).abs() < 1e-9 {
        (low - 1.0, high + 1.0)
    } else {
        (low, high)
    };
    let step = if points.len() > 1 {
        (width - 2.0 * pad) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let xy = |i: usize, v: f64| {
        (
            pad + step * i as f64,
            height - pad - (v - low) / (high - low) * (height - 2.0 * pad),
        )
    };
    let path: String = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.1.map(|v| xy(i, v)))
        .enumerate()
        .map(|(n, (x, y))| format!("{}{x:.1},{y:.1}", if n == 0 { "M" } else { " L" }))
        .collect();
    html! {
        svg.chart viewBox=(format!("0 0 {width} {height}")) role="img" aria-label=(title) preserveAspectRatio="xMinYMin meet" {
            title { (title) }
            line x1=(pad) y1=(height - pad) x2=(width - pad) y2=(height - pad) class="grid" {}
            @if !values.is_empty() {
                text x="0" y="12" class="axis" { (format!("{high:.0}")) }
                text x="0" y=(height - pad - 4.0) class="axis" { (format!("{low:.0}")) }
            }
            @if !path.is_empty() {
                path d=(path) class="trend" {}
            }
            @for (i, (label, value)) in points.iter().enumerate() {
                @if let Some(v) = value {
                    @let (x, y) = xy(i, *v);
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="3" class="dot" {
                        title { (label) ": " (format!("{v:.1}")) }
                    }
                }
            }
            @if let (Some(first), Some(last)) = (points.first(), points.last()) {
                text x=(pad) y=(height - 4.0) class="axis" { (first.0) }
                text x=(width - pad) y=(height - 4.0) class="axis end" { (last.0) }
            }
        }
    }
}
