//! Charts drawn on the server as SVG: no script, no library, readable by a screen reader
//! through the table each one carries.

use maud::{html, Markup};

/// One bar: its label and its value, `None` when there is nothing to measure.
pub(super) struct Bar {
    pub label: String,
    pub value: Option<f64>,
}

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 160.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 18.0;

/// A bar chart of `bars` with values formatted by `show`; `max` fixes the scale (rates use
/// 1.0) or, when `None`, the largest bar sets it.
pub(super) fn bar_chart(
    id: &str,
    title: &str,
    bars: &[Bar],
    max: Option<f64>,
    show: impl Fn(f64) -> String,
) -> Markup {
    let top = max
        .or_else(|| bars.iter().filter_map(|b| b.value).reduce(f64::max))
        .filter(|m| *m > 0.0)
        .unwrap_or(1.0);
    let slot = WIDTH / bars.len().max(1) as f64;
    let bar_width = (slot * 0.6).max(4.0);
    let plot = HEIGHT - BOTTOM - TOP;
    html! {
        figure class="chart" aria-labelledby={ (id) "-title" } {
            figcaption id={ (id) "-title" } { (title) }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby={ (id) "-title" }
                preserveAspectRatio="xMidYMid meet" {
                line x1="0" y1=(HEIGHT - BOTTOM) x2=(WIDTH) y2=(HEIGHT - BOTTOM) class="axis" {}
                @for (i, bar) in bars.iter().enumerate() {
                    @let x = i as f64 * slot + (slot - bar_width) / 2.0;
                    @if let Some(value) = bar.value {
                        @let h = (value / top).clamp(0.0, 1.0) * plot;
                        rect x=(fmt(x)) y=(fmt(HEIGHT - BOTTOM - h)) width=(fmt(bar_width)) height=(fmt(h.max(1.0))) class="bar" {}
                        text x=(fmt(x + bar_width / 2.0)) y=(fmt(HEIGHT - BOTTOM - h - 4.0)) text-anchor="middle" class="value" { (show(value)) }
                    } @else {
                        text x=(fmt(x + bar_width / 2.0)) y=(fmt(HEIGHT - BOTTOM - 4.0)) text-anchor="middle" class="value none" { "–" }
                    }
                    text x=(fmt(x + bar_width / 2.0)) y=(fmt(HEIGHT - 6.0)) text-anchor="middle" class="tick" { (bar.label) }
                }
            }
            table class="visually-hidden" {
                caption { (title) }
                tr { th scope="col" { "Week" } th scope="col" { "Value" } }
                @for bar in bars {
                    tr { td { (bar.label) } td { (bar.value.map_or("no data".to_owned(), &show)) } }
                }
            }
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_gaps_say_so() {
        let bars = vec![
            Bar {
                label: "w1".into(),
                value: Some(2.0),
            },
            Bar {
                label: "w2".into(),
                value: Some(4.0),
            },
            Bar {
                label: "w3".into(),
                value: None,
            },
        ];
        let svg = bar_chart("c", "Things", &bars, None, |v| format!("{v}")).into_string();
        // The tallest bar fills the plot (160 - 24 - 18 = 118), the other half of it.
        assert!(svg.contains("height=\"118.0\""), "{svg}");
        assert!(svg.contains("height=\"59.0\""), "{svg}");
        assert!(svg.contains("no data"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }

    #[test]
    fn labels_are_escaped() {
        let bars = vec![Bar {
            label: "<b>".into(),
            value: Some(1.0),
        }];
        let svg = bar_chart("c", "<i>", &bars, Some(1.0), |v| format!("{v}")).into_string();
        assert!(!svg.contains("<b>") && !svg.contains("<i>"));
    }
}
