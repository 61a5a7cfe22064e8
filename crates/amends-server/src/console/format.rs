//! Small pieces of presentation shared by the console's pages: times, ages, money, labels.

use amends_core::Timestamp;
use maud::{html, Markup};

/// A moment, written in UTC on the server and put into the reader's own time by the script.
pub(super) fn when(at: Timestamp) -> Markup {
    let iso = at.to_rfc3339();
    let text = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.millis()) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[day] [month repr:short] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| iso.clone());
    html! { time datetime=(iso) data-local { (text) } }
}

/// How long ago (or how long until, when `later` is before `earlier`), briefly: "5 min", "3 h".
pub(super) fn span(earlier: Timestamp, later: Timestamp) -> String {
    let minutes = (later.millis() - earlier.millis()).abs() / 60_000;
    match minutes {
        0 => "now".to_owned(),
        1..=59 => format!("{minutes} min"),
        60..=2879 => format!("{} h", minutes / 60),
        _ => format!("{} d", minutes / 1440),
    }
}

/// An amount in minor units, with its currency.
pub(super) fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    format!("{sign}{} {}.{:02}", currency, minor / 100, minor % 100)
}

/// A machine word made readable: `waiting_on_us` → "waiting on us".
pub(super) fn label(word: &str) -> String {
    word.replace('_', " ")
}

/// The CSS class of a queue reason: the hot ones (broken or overdue promises, fury, abuse,
/// threats to leave) stand out from the rest.
pub(super) fn reason_class(reason: &str) -> &'static str {
    const HOT: [&str; 7] = [
        "broken promise",
        "promise overdue",
        "promise due",
        "furious",
        "abusive",
        "threatens to leave",
        "customer said not solved",
    ];
    if HOT.iter().any(|hot| reason.starts_with(hot)) {
        "reason hot"
    } else {
        "reason"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_briefly() {
        let t = Timestamp(1_700_000_000_000);
        assert_eq!(span(t, t), "now");
        assert_eq!(span(t, t.plus_seconds(20 * 60)), "20 min");
        assert_eq!(span(t.plus_seconds(3 * 3600), t), "3 h");
        assert_eq!(span(t, t.plus_seconds(3 * 86_400)), "3 d");
    }

    #[test]
    fn money_keeps_its_cents_and_sign() {
        assert_eq!(money(12_345, "EUR"), "EUR 123.45");
        assert_eq!(money(-5, "GBP"), "-GBP 0.05");
    }

    #[test]
    fn hot_reasons_stand_out() {
        assert_eq!(reason_class("promise due in 20 min"), "reason hot");
        assert_eq!(reason_class("high priority"), "reason");
    }
}
