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

/// Several lines over the same points (labels oldest first), each series
/// (name, values or none) drawn with its own class `series-N` and named in
/// a legend; the title is the text alternative, and pages show the same
/// numbers in a table beside it.
pub fn lines(title: &str, labels: &[String], series: &[(String, Vec<Option<f64>>)]) -> Markup {
    let (width, height, pad, legend) = (560.0, 180.0, 28.0, 20.0);
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().flatten().copied())
        .collect();
    let (low, high) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    let (low, high) = if values.is_empty() {
        (0.0, 1.0)
    } else if (high - low).abs() < 1e-9 {
        (low - 1.0, high + 1.0)
    } else {
        (low.min(0.0), high)
    };
    let step = if labels.len() > 1 {
        (width - 2.0 * pad) / (labels.len() - 1) as f64
    } else {
        0.0
    };
    let plot_bottom = height - pad;
    let plot_top = legend + 8.0;
    let xy = |i: usize, v: f64| {
        (
            pad + step * i as f64,
            plot_bottom - (v - low) / (high - low) * (plot_bottom - plot_top),
        )
    };
    html! {
        svg.chart.lines viewBox=(format!("0 0 {width} {height}")) role="img" aria-label=(title) preserveAspectRatio="xMinYMin meet" {
            title { (title) }
            line x1=(pad) y1=(plot_bottom) x2=(width - pad) y2=(plot_bottom) class="grid" {}
            @if !values.is_empty() {
                text x="0" y=(plot_top + 4.0) class="axis" { (format!("{high:.0}")) }
                text x="0" y=(plot_bottom - 4.0) class="axis" { (format!("{low:.0}")) }
            }
            @for (n, (name, points)) in series.iter().enumerate() {
                @let path: String = points
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.map(|v| xy(i, v)))
                    .enumerate()
                    .map(|(k, (x, y))| format!("{}{x:.1},{y:.1}", if k == 0 { "M" } else { " L" }))
                    .collect();
                g class=(format!("series series-{n}")) {
                    rect x=(pad + 150.0 * n as f64) y="4" width="12" height="12" class="key" {}
                    text x=(pad + 150.0 * n as f64 + 16.0) y="14" class="axis" { (name) }
                    @if !path.is_empty() {
                        path d=(path) class="trend" {}
                    }
                    @for (i, value) in points.iter().enumerate() {
                        @if let Some(v) = value {
                            @let (x, y) = xy(i, *v);
                            circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="3" class="dot" {
                                title { (name) ", " (labels.get(i).map(String::as_str).unwrap_or("")) ": " (format!("{v:.1}")) }
                            }
                        }
                    }
                }
            }
            @if let (Some(first), Some(last)) = (labels.first(), labels.last()) {
                text x=(pad) y=(height - 6.0) class="axis" { (first) }
                text x=(width - pad) y=(height - 6.0) class="axis end" { (last) }
            }
        }
    }
}
