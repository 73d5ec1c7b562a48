//! Bar and line charts as inline SVG, drawn on the server so they need no script. Sizes and colours are
//! attributes and CSS classes (the Content-Security-Policy forbids inline styles); every text is escaped.

use std::fmt::Write;

/// One period on the charts.
#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub received: u64,
    pub resolved: u64,
    /// Percent, when anything was within competence.
    pub rate: Option<f64>,
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Grouped bars: received and resolved per period.
pub fn bars(points: &[Point], title: &str, received: &str, resolved: &str) -> String {
    let max = points
        .iter()
        .map(|p| p.received.max(p.resolved))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_h = H - TOP - BOTTOM;
    let slot = (W - LEFT) / points.len().max(1) as f64;
    let bar = (slot * 0.35).min(40.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    axis(&mut s, max, plot_h, false);
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot / 2.0;
        for (j, (v, class, name)) in [
            (p.received, "bar-received", received),
            (p.resolved, "bar-resolved", resolved),
        ]
        .into_iter()
        .enumerate()
        {
            let h = plot_h * v as f64 / max;
            let bx = x - bar + j as f64 * bar;
            let _ = write!(
                s,
                r#"<rect class="{class}" x="{bx:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}"><title>{n} {l}: {v}</title></rect>"#,
                y = TOP + plot_h - h,
                n = esc(name),
                l = esc(&p.label),
            );
        }
        let _ = write!(
            s,
            r#"<text class="tick" x="{x:.1}" y="{y:.1}" text-anchor="middle">{l}</text>"#,
            y = H - 8.0,
            l = esc(&p.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// The resolution rate per period as a line, with the target as a dashed line.
pub fn rate_line(points: &[Point], title: &str, target: f64) -> String {
    let plot_h = H - TOP - BOTTOM;
    let slot = (W - LEFT) / points.len().max(1) as f64;
    let y_of = |pct: f64| TOP + plot_h - plot_h * pct.clamp(0.0, 100.0) / 100.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    axis(&mut s, 100.0, plot_h, true);
    let _ = write!(
        s,
        r#"<line class="target" x1="{LEFT}" x2="{W}" y1="{y:.1}" y2="{y:.1}"/><text class="tick target-label" x="{tx}" y="{ty:.1}" text-anchor="end">{target:.0}%</text>"#,
        y = y_of(target),
        tx = W - 4.0,
        ty = y_of(target) - 4.0,
    );
    let coords: Vec<(f64, f64, f64, &str)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            p.rate.map(|r| {
                (
                    LEFT + slot * i as f64 + slot / 2.0,
                    y_of(r),
                    r,
                    p.label.as_str(),
                )
            })
        })
        .collect();
    if coords.len() > 1 {
        let path: Vec<String> = coords
            .iter()
            .map(|(x, y, _, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(s, r#"<polyline class="rate" points="{}"/>"#, path.join(" "));
    }
    for (x, y, r, l) in &coords {
        let class = if *r >= target { "dot ok" } else { "dot low" };
        let _ = write!(
            s,
            r#"<circle class="{class}" cx="{x:.1}" cy="{y:.1}" r="4"><title>{l}: {r:.2}%</title></circle>"#,
            l = esc(l)
        );
    }
    for (i, p) in points.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot / 2.0;
        let _ = write!(
            s,
            r#"<text class="tick" x="{x:.1}" y="{y:.1}" text-anchor="middle">{l}</text>"#,
            y = H - 8.0,
            l = esc(&p.label)
        );
    }
    s.push_str("</svg>");
    s
}

fn axis(s: &mut String, max: f64, plot_h: f64, percent: bool) {
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(k) / 4.0;
        let label = if percent {
            format!("{v:.0}%")
        } else {
            format!("{}", v.round() as u64)
        };
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{W}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{x}" y="{ty:.1}" text-anchor="end">{label}</text>"#,
            x = LEFT - 6.0,
            ty = y + 4.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_a_chart_are_escaped() {
        let p = Point {
            label: "<script>".into(),
            received: 3,
            resolved: 1,
            rate: Some(33.3),
        };
        let svg = bars(std::slice::from_ref(&p), "t", "a", "b") + &rate_line(&[p], "t", 85.0);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
