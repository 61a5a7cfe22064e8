//! Splitting text into tokens that remember where they stand in the original bytes.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters, digits and inner apostrophes.
    Word,
    /// `@name`.
    Mention,
    /// `#tag`.
    Hashtag,
    /// `http…` or `www.…`.
    Url,
    /// One punctuation character that ends a clause: `. , ! ? ; :`.
    Stop,
    /// Any other symbol or emoji, one character.
    Symbol,
}

/// A token with its byte span in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What kind it is.
    pub kind: TokenKind,
    /// Lowercased text, with curly apostrophes made straight.
    pub norm: String,
    /// Byte offset where it starts.
    pub start: usize,
    /// Byte offset just past its end.
    pub end: usize,
    /// Whether it was written in capitals (at least two letters, no lowercase).
    pub shouting: bool,
    /// A hash of `norm` ([`word_key`]), so phrase lists look a token up without hashing its
    /// text again for each list.
    pub key: u64,
}

/// The hash phrase lists index words by: FNV-1a over the normalised text.
pub fn word_key(norm: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in norm.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Written in capitals: at least two letters and no lowercase one.
fn is_shouting(raw: &str) -> bool {
    if raw.is_ascii() {
        let bytes = raw.as_bytes();
        return bytes.iter().filter(|b| b.is_ascii_alphabetic()).count() >= 2
            && !bytes.iter().any(u8::is_ascii_lowercase);
    }
    raw.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !raw.chars().any(char::is_lowercase)
}

/// Splits `text` into tokens. Never panics; spans always fall on character boundaries.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 4 + 1);
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let (kind, end) =
            if (c == '@' || c == '#') && chars.peek().is_some_and(|(_, n)| is_word_char(*n)) {
                let mut end = start + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    if !is_word_char(n) {
                        break;
                    }
                    end = i + n.len_utf8();
                    chars.next();
                }
                (
                    if c == '@' {
                        TokenKind::Mention
                    } else {
                        TokenKind::Hashtag
                    },
                    end,
                )
            } else if is_word_char(c) {
                let mut end = start + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    // An apostrophe belongs to the word when a letter follows: "don't", "Ann's".
                    let inner_apostrophe = is_apostrophe(n)
                        && text[i + n.len_utf8()..]
                            .chars()
                            .next()
                            .is_some_and(char::is_alphabetic);
                    if !is_word_char(n) && !inner_apostrophe {
                        break;
                    }
                    end = i + n.len_utf8();
                    chars.next();
                }
                let word = &text[start..end];
                if (word.eq_ignore_ascii_case("http")
                    || word.eq_ignore_ascii_case("https")
                    || word.eq_ignore_ascii_case("www"))
                    && matches!(chars.peek(), Some((_, ':' | '.')))
                {
                    while let Some(&(i, n)) = chars.peek() {
                        if n.is_whitespace() {
                            break;
                        }
                        end = i + n.len_utf8();
                        chars.next();
                    }
                    (TokenKind::Url, end)
                } else {
                    (TokenKind::Word, end)
                }
            } else if matches!(c, '.' | ',' | '!' | '?' | ';' | ':') {
                (TokenKind::Stop, start + c.len_utf8())
            } else {
                (TokenKind::Symbol, start + c.len_utf8())
            };
        let raw = &text[start..end];
        let shouting = kind == TokenKind::Word && is_shouting(raw);
        let norm = match kind {
            TokenKind::Url => "<url>".to_owned(),
            _ if raw.is_ascii() => raw.to_ascii_lowercase(),
            _ if raw.contains('\u{2019}') => raw.to_lowercase().replace('\u{2019}', "'"),
            _ => raw.to_lowercase(),
        };
        tokens.push(Token {
            kind,
            key: word_key(&norm),
            norm,
            start,
            end,
            shouting,
        });
    }
    tokens
}

/// Words that turn the meaning of what follows them around.
pub fn is_negation(word: &str) -> bool {
    matches!(
        word,
        "not"
            | "no"
            | "never"
            | "nothing"
            | "nobody"
            | "nowhere"
            | "neither"
            | "nor"
            | "cannot"
            | "without"
            | "hardly"
    ) || word.ends_with("n't")
        || matches!(
            word,
            "dont"
                | "didnt"
                | "doesnt"
                | "isnt"
                | "wasnt"
                | "cant"
                | "wont"
                | "havent"
                | "hasnt"
                | "aint"
        )
}
