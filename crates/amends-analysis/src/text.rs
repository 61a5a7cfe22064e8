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

/// A token's normalised text: inline when short, as nearly every word is, so reading a text
/// does not allocate once per word.
pub type Norm = compact_str::CompactString;

/// A token with its byte span in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What kind it is.
    pub kind: TokenKind,
    /// Lowercased text, with curly apostrophes made straight.
    pub norm: Norm,
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

/// FNV-1a's starting value and prime, for [`word_key`] and the features' hashes.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
pub(crate) const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a of `bytes`, continuing from `hash` (start from [`FNV_OFFSET`]).
pub(crate) fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// The hash phrase lists index words by: FNV-1a over the normalised text.
pub fn word_key(norm: &str) -> u64 {
    fnv(FNV_OFFSET, norm.as_bytes())
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

/// An ASCII token's normalised text, its [`word_key`] and whether it is written in capitals, in
/// one pass over its bytes (most tokens are short ASCII words).
fn ascii_norm(raw: &str) -> (Norm, u64, bool) {
    let mut lower = [0u8; 24];
    let Some(lower) = lower.get_mut(..raw.len()) else {
        let norm = raw.to_ascii_lowercase();
        return (Norm::from(norm.as_str()), word_key(&norm), is_shouting(raw));
    };
    let mut key = FNV_OFFSET;
    let mut letters = 0;
    let mut lowercase = false;
    for (to, byte) in lower.iter_mut().zip(raw.bytes()) {
        letters += usize::from(byte.is_ascii_alphabetic());
        lowercase |= byte.is_ascii_lowercase();
        *to = byte.to_ascii_lowercase();
        key ^= u64::from(*to);
        key = key.wrapping_mul(FNV_PRIME);
    }
    let norm = std::str::from_utf8(lower).map_or_else(|_| Norm::default(), Norm::new);
    (norm, key, letters >= 2 && !lowercase)
}

/// The character starting at byte `at` of `text` (a character boundary), read without decoding
/// when it is ASCII, as most are.
fn char_at(text: &str, at: usize) -> Option<char> {
    let byte = *text.as_bytes().get(at)?;
    if byte.is_ascii() {
        return Some(char::from(byte));
    }
    text.get(at..)?.chars().next()
}

/// Where the word whose characters continue from byte `at` ends. With `apostrophes`, an
/// apostrophe followed by a letter belongs to the word: "don't", "Ann's".
fn word_end(text: &str, mut at: usize, apostrophes: bool) -> usize {
    let bytes = text.as_bytes();
    loop {
        match bytes.get(at) {
            Some(b) if b.is_ascii_alphanumeric() || *b == b'_' => at += 1,
            Some(b) if b.is_ascii() && (*b != b'\'' || !apostrophes) => return at,
            None => return at,
            Some(_) => {
                let Some(c) = char_at(text, at) else {
                    return at;
                };
                let next = at + c.len_utf8();
                let inner_apostrophe = apostrophes
                    && is_apostrophe(c)
                    && char_at(text, next).is_some_and(char::is_alphabetic);
                if !is_word_char(c) && !inner_apostrophe {
                    return at;
                }
                at = next;
            }
        }
    }
}

/// Splits `text` into tokens. Never panics; spans always fall on character boundaries.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 4 + 1);
    tokenize_into(text, &mut tokens);
    tokens
}

/// [`tokenize`] into `tokens` (emptied first), reusing its memory.
pub fn tokenize_into(text: &str, tokens: &mut Vec<Token>) {
    tokens.clear();
    let mut at = 0;
    while let Some(c) = char_at(text, at) {
        let start = at;
        at += c.len_utf8();
        if c.is_whitespace() {
            continue;
        }
        let kind = if (c == '@' || c == '#') && char_at(text, at).is_some_and(is_word_char) {
            at = word_end(text, at, false);
            if c == '@' {
                TokenKind::Mention
            } else {
                TokenKind::Hashtag
            }
        } else if is_word_char(c) {
            at = word_end(text, at, true);
            let word = &text[start..at];
            if (word.eq_ignore_ascii_case("http")
                || word.eq_ignore_ascii_case("https")
                || word.eq_ignore_ascii_case("www"))
                && matches!(text.as_bytes().get(at), Some(b':' | b'.'))
            {
                while let Some(n) = char_at(text, at).filter(|n| !n.is_whitespace()) {
                    at += n.len_utf8();
                }
                TokenKind::Url
            } else {
                TokenKind::Word
            }
        } else if matches!(c, '.' | ',' | '!' | '?' | ';' | ':') {
            TokenKind::Stop
        } else {
            TokenKind::Symbol
        };
        let raw = &text[start..at];
        let (norm, key, capitals) = match kind {
            TokenKind::Url => {
                let norm = Norm::const_new("<url>");
                (norm, word_key("<url>"), false)
            }
            _ if raw.is_ascii() => ascii_norm(raw),
            _ => {
                let mut norm = raw.to_lowercase();
                if norm.contains('\u{2019}') {
                    norm = norm.replace('\u{2019}', "'");
                }
                (Norm::from(norm.as_str()), word_key(&norm), is_shouting(raw))
            }
        };
        tokens.push(Token {
            kind,
            key,
            norm,
            start,
            end: at,
            shouting: kind == TokenKind::Word && capitals,
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each token as `kind:text`.
    fn split(text: &str) -> Vec<String> {
        tokenize(text)
            .iter()
            .map(|t| format!("{:?}:{}", t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn words_keep_inner_apostrophes_only() {
        assert_eq!(
            split("Don't 'quoted' Ann’s rock'n'roll it's' o'"),
            [
                "Word:Don't",
                "Symbol:'",
                "Word:quoted",
                "Symbol:'",
                "Word:Ann’s",
                "Word:rock'n'roll",
                "Word:it's",
                "Symbol:'",
                "Word:o",
                "Symbol:'",
            ]
        );
        // A digit after the apostrophe does not continue the word: "'90s" starts a new one.
        assert_eq!(split("the'90s"), ["Word:the", "Symbol:'", "Word:90s"]);
    }

    #[test]
    fn mentions_hashtags_links_stops_and_symbols() {
        assert_eq!(
            split(
                "@sky_air's #fail! http://x.y/z?q=1, www.a.com WWW. https: httpx. # @ naïve_2 €5"
            ),
            [
                "Mention:@sky_air",
                "Symbol:'",
                "Word:s",
                "Hashtag:#fail",
                "Stop:!",
                "Url:http://x.y/z?q=1,",
                "Url:www.a.com",
                "Url:WWW.",
                "Url:https:",
                "Word:httpx",
                "Stop:.",
                "Symbol:#",
                "Symbol:@",
                "Word:naïve_2",
                "Symbol:€",
                "Word:5",
            ]
        );
    }

    #[test]
    fn normal_forms_keys_and_capitals() {
        let tokens = tokenize("WHERE’S my ÉTÉ İ OK A1 http://X.Y");
        let norms: Vec<&str> = tokens.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(norms, ["where's", "my", "été", "i̇", "ok", "a1", "<url>"]);
        let shouting: Vec<bool> = tokens.iter().map(|t| t.shouting).collect();
        assert_eq!(shouting, [true, false, true, false, true, false, false]);
        assert!(tokens.iter().all(|t| t.key == word_key(&t.norm)));
        // A word longer than a token keeps inline is read the same way.
        let long = "SUPERCALIFRAGILISTICEXPIALIDOCIOUS";
        let token = &tokenize(long)[0];
        assert_eq!(token.norm, long.to_lowercase());
        assert!(token.shouting);
    }
}
