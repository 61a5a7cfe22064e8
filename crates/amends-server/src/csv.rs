//! Reading CSV (RFC 4180, as spreadsheets and other desks write it): quoted cells with commas,
//! doubled quotes and line breaks inside, CRLF or LF line ends, a byte-order mark tolerated.

/// The most problems one refusal lists.
const MAX_PROBLEMS: usize = 20;

/// A file refused for the problems found on its lines (sorted by line): the first twenty, and
/// how many more, under the first line's name.
pub(crate) fn problems_refused(problems: &[(usize, String)]) -> crate::AppError {
    let shown: Vec<String> = problems
        .iter()
        .take(MAX_PROBLEMS)
        .map(|(line, problem)| format!("line {line}: {problem}"))
        .collect();
    let more = problems.len().saturating_sub(MAX_PROBLEMS);
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    let first = problems.first().map_or(0, |(line, _)| *line);
    crate::AppError::invalid(
        &format!("line {first}"),
        format!("{}{tail}", shown.join("; ")),
    )
}

/// One record of a CSV file and the line it starts on (the first line is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The line it starts on.
    pub line: usize,
    /// Its cells.
    pub cells: Vec<String>,
}

/// The records of `text`, blank lines skipped; an unclosed quote is refused with its line.
pub(crate) fn records(text: &str) -> Result<Vec<Record>, (usize, &'static str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c);
            }
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => cells.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                cells.push(std::mem::take(&mut cell));
                push(&mut records, start, std::mem::take(&mut cells));
                line += 1;
                start = line;
            }
            (false, c) => cell.push(c),
        }
    }
    if quoted {
        return Err((start, "a quoted cell is never closed"));
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        push(&mut records, start, cells);
    }
    Ok(records)
}

fn push(records: &mut Vec<Record>, line: usize, cells: Vec<String>) {
    if !(cells.len() == 1 && cells[0].trim().is_empty()) {
        records.push(Record { line, cells });
    }
}

#[cfg(test)]
mod tests {
    use super::records;

    #[test]
    fn quoted_cells_keep_commas_quotes_and_line_breaks() {
        let text =
            "\u{feff}name,notes\r\n\"Bell, Ann\",\"said \"\"hi\"\"\nthen left\"\r\n\r\nBo,\n";
        let read = records(text).unwrap();
        assert_eq!(read.len(), 3);
        assert_eq!(read[1].cells, ["Bell, Ann", "said \"hi\"\nthen left"]);
        assert_eq!((read[1].line, read[2].line), (2, 5));
        assert_eq!(read[2].cells, ["Bo", ""]);
        assert_eq!(records("a,\"b\nc").unwrap_err().0, 1);
    }
}
