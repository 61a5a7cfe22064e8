//! The case reference carried in a subject line, `[Case #123]`, so a reply with its headers
//! stripped still finds its case.

/// The subject of a mail about case `case_id`: the case's subject with its reference, without
/// doubling a reference already there.
pub fn subject_with_reference(subject: &str, case_id: i64) -> String {
    if case_reference(subject) == Some(case_id) {
        subject.to_owned()
    } else {
        format!("{subject} [Case #{case_id}]")
    }
}

/// The case number of the first `[Case #N]` in `subject` (any case of letters).
pub fn case_reference(subject: &str) -> Option<i64> {
    let lower = subject.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("[case #") {
        let start = from + at + "[case #".len();
        let digits: String = lower[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !digits.is_empty() && lower[start + digits.len()..].starts_with(']') {
            if let Ok(id) = digits.parse::<i64>() {
                if id > 0 {
                    return Some(id);
                }
            }
        }
        from = start;
    }
    None
}
