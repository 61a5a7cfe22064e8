//! What the customer wrote this time: a reply without the quoted history, the attribution line
//! ("On Mon, Ann wrote:"), a forwarded or Outlook-style original, or the signature. The text
//! engine reads this part, so an old angry quote does not make a calm reply look angry.

/// The fresh part of a reply's text. When nothing is left (a mail that is all quote), the whole
/// text is returned: better to read too much than nothing.
pub fn fresh_part(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if is_signature(line)
            || is_original_marker(trimmed)
            || is_attribution(trimmed, lines.get(i + 1).map(|l| l.trim()))
            || is_outlook_header(&lines[i..])
        {
            break;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        kept.push(line);
    }
    while kept.last().is_some_and(|l| is_trailer(l.trim())) {
        kept.pop();
    }
    let fresh = kept.join("\n").trim().to_owned();
    if fresh.is_empty() {
        text.trim().to_owned()
    } else {
        fresh
    }
}

fn is_signature(line: &str) -> bool {
    line == "-- " || line == "--"
}

fn is_original_marker(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    (lower.starts_with("-----")
        && (lower.contains("original message") || lower.contains("forwarded message")))
        || (line.len() >= 20 && line.chars().all(|c| c == '_'))
}

/// "On <date>, <name> wrote:", also when the mail program wrapped it over two lines, and the
/// common French and German forms.
fn is_attribution(line: &str, next: Option<&str>) -> bool {
    let ends = |l: &str| {
        let l = l.trim_end();
        l.ends_with("wrote:")
            || l.ends_with("a écrit :")
            || l.ends_with("a écrit:")
            || l.ends_with("schrieb:")
    };
    let starts = |l: &str| l.starts_with("On ") || l.starts_with("Le ") || l.starts_with("Am ");
    (starts(line) && ends(line)) || (starts(line) && next.is_some_and(|n| ends(n) && n.len() < 120))
}

/// An Outlook reply header: "From:" followed within four lines by "Sent:" or "Date:".
fn is_outlook_header(rest: &[&str]) -> bool {
    let first = rest.first().map(|l| l.trim()).unwrap_or_default();
    if !first.starts_with("From:") {
        return false;
    }
    rest.iter()
        .skip(1)
        .take(4)
        .any(|l| l.trim_start().starts_with("Sent:") || l.trim_start().starts_with("Date:"))
}

fn is_trailer(line: &str) -> bool {
    line.is_empty() || line.starts_with("Sent from my ") || line.starts_with("Get Outlook for")
}
