//! Canonical JSON: one text per JSON value, so a hash of it does not depend on
//! key order, whitespace, escapes or how a number was spelled.
//!
//! The rules, applied at every level:
//! - no whitespace between tokens;
//! - object members sorted by key, comparing keys by Unicode code point (the
//!   byte order of their UTF-8); an object with a duplicate key is refused;
//! - array elements in their order;
//! - strings in double quotes, escaping only `"` as `\"`, `\` as `\\`, U+0008
//!   `\b`, U+0009 `\t`, U+000A `\n`, U+000C `\f`, U+000D `\r`, and every other
//!   character below U+0020 as `\u00xx` (lowercase hex); everything else is
//!   written as itself in UTF-8;
//! - numbers by their exact decimal value, with no exponent: an optional `-`,
//!   the integer digits without leading zeros (`0` if none), then, only if the
//!   fraction is not zero, `.` and its digits without trailing zeros. So `1e2`,
//!   `100` and `100.0` are all `100`, and `-0` is `0`, as PostgreSQL's `jsonb`
//!   also holds them equal;
//! - `true`, `false`, `null` as themselves.
//!
//! The input is any JSON text (RFC 8259); nothing is rounded through a binary
//! float, so canonicalizing the text PostgreSQL returns for a stored `jsonb`
//! gives exactly what canonicalizing the value sent to it gave.

use std::fmt::Write as _;

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 256;
/// Longest canonical number accepted, in digits.
const MAX_NUMBER_DIGITS: i64 = 1 << 20;

/// The canonical text of a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalJson(String);

/// Why a text could not be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("invalid JSON at byte {0}")]
    Syntax(usize),
    #[error("duplicate object key")]
    DuplicateKey,
    #[error("JSON nested more than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("number too large to write out")]
    NumberTooLarge,
}

impl CanonicalJson {
    /// Canonicalizes a JSON text (whitespace around it is allowed).
    pub fn from_json_text(text: &str) -> Result<Self, CanonicalError> {
        let mut parser = Parser { text, pos: 0 };
        let mut out = String::with_capacity(text.len());
        parser.skip_ws();
        parser.value(&mut out, 0)?;
        parser.skip_ws();
        if parser.pos != text.len() {
            return Err(CanonicalError::Syntax(parser.pos));
        }
        Ok(CanonicalJson(out))
    }

    /// Canonicalizes a parsed value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, CanonicalError> {
        Self::from_json_text(&value.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn error(&self) -> CanonicalError {
        CanonicalError::Syntax(self.pos)
    }

    fn expect(&mut self, byte: u8) -> Result<(), CanonicalError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, out: &mut String, depth: usize) -> Result<(), CanonicalError> {
        if depth > MAX_DEPTH {
            return Err(CanonicalError::TooDeep);
        }
        match self.peek() {
            Some(b'{') => self.object(out, depth),
            Some(b'[') => self.array(out, depth),
            Some(b'"') => {
                let s = self.string()?;
                write_string(out, &s);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => self.number(out),
            _ => {
                for literal in ["true", "false", "null"] {
                    if self.text[self.pos..].starts_with(literal) {
                        self.pos += literal.len();
                        out.push_str(literal);
                        return Ok(());
                    }
                }
                Err(self.error())
            }
        }
    }

    fn object(&mut self, out: &mut String, depth: usize) -> Result<(), CanonicalError> {
        self.expect(b'{')?;
        let mut members: Vec<(String, String)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let key = self.string()?;
                self.skip_ws();
                self.expect(b':')?;
                self.skip_ws();
                let mut value = String::new();
                self.value(&mut value, depth + 1)?;
                members.push((key, value));
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error()),
                }
            }
        }
        members.sort_by(|a, b| a.0.cmp(&b.0));
        if members.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(CanonicalError::DuplicateKey);
        }
        out.push('{');
        for (i, (key, value)) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, key);
            out.push(':');
            out.push_str(value);
        }
        out.push('}');
        Ok(())
    }

    fn array(&mut self, out: &mut String, depth: usize) -> Result<(), CanonicalError> {
        self.expect(b'[')?;
        out.push('[');
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                self.value(out, depth + 1)?;
                self.skip_ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        out.push(',');
                    }
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error()),
                }
            }
        }
        out.push(']');
        Ok(())
    }

    /// A string token, decoded.
    fn string(&mut self) -> Result<String, CanonicalError> {
        self.expect(b'"')?;
        let mut decoded = String::new();
        loop {
            let c = self.text[self.pos..].chars().next().ok_or(self.error())?;
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(decoded);
                }
                '\\' => {
                    self.pos += 1;
                    decoded.push(self.escape()?);
                }
                c if (c as u32) < 0x20 => return Err(self.error()),
                c => {
                    self.pos += c.len_utf8();
                    decoded.push(c);
                }
            }
        }
    }

    /// The character an escape (after its backslash) stands for.
    fn escape(&mut self) -> Result<char, CanonicalError> {
        let c = self.peek().ok_or(self.error())?;
        self.pos += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low one.
                    self.expect(b'\\')?;
                    self.expect(b'u')?;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error());
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code).ok_or(self.error())?
            }
            _ => return Err(self.error()),
        })
    }

    fn hex4(&mut self) -> Result<u32, CanonicalError> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or(self.error())?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error());
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error())
    }

    fn digits(&mut self) -> &str {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn number(&mut self, out: &mut String) -> Result<(), CanonicalError> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int = self.digits().to_owned();
        if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
            return Err(self.error());
        }
        let mut frac = String::new();
        if self.peek() == Some(b'.') {
            self.pos += 1;
            frac = self.digits().to_owned();
            if frac.is_empty() {
                return Err(self.error());
            }
        }
        let mut exp: i64 = 0;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let exp_negative = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            let digits = self.digits();
            if digits.is_empty() {
                return Err(self.error());
            }
            for d in digits.bytes() {
                exp = (exp * 10 + i64::from(d - b'0')).min(MAX_NUMBER_DIGITS * 4);
            }
            if exp_negative {
                exp = -exp;
            }
        }
        write_number(out, negative, &int, &frac, exp)
    }
}

/// Writes `±(int.frac) × 10^exp` as its exact decimal value, per the rules above.
fn write_number(
    out: &mut String,
    negative: bool,
    int: &str,
    frac: &str,
    exp: i64,
) -> Result<(), CanonicalError> {
    let all = format!("{int}{frac}");
    let significant = all.trim_start_matches('0');
    if significant.is_empty() {
        out.push('0');
        return Ok(());
    }
    let trimmed = significant.trim_end_matches('0');
    // value = trimmed × 10^scale
    let scale = exp - frac.len() as i64 + (significant.len() - trimmed.len()) as i64;
    let len = trimmed.len() as i64;
    let written = if scale >= 0 { len + scale } else { len.max(-scale) + 1 };
    if written > MAX_NUMBER_DIGITS {
        return Err(CanonicalError::NumberTooLarge);
    }
    if negative {
        out.push('-');
    }
    if scale >= 0 {
        out.push_str(trimmed);
        out.extend(std::iter::repeat_n('0', scale as usize));
    } else {
        let point = len + scale; // digits before the decimal point
        if point > 0 {
            out.push_str(&trimmed[..point as usize]);
            out.push('.');
            out.push_str(&trimmed[point as usize..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(trimmed);
        }
    }
    Ok(())
}

/// Writes a string with the canonical escapes.
pub(super) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        match CanonicalJson::from_json_text(text) {
            Ok(c) => c.0,
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn sorts_keys_at_every_level_and_drops_whitespace() {
        assert_eq!(
            canon(r#" { "b" : [ 1 , { "z": 1, "a": 2 } ], "a": { "d": null, "c": true } } "#),
            r#"{"a":{"c":true,"d":null},"b":[1,{"a":2,"z":1}]}"#
        );
        assert_eq!(canon(r#"{"é":1,"z":2,"Z":3}"#), r#"{"Z":3,"z":2,"é":1}"#);
    }

    #[test]
    fn writes_numbers_by_exact_value() {
        for (text, want) in [
            ("0", "0"),
            ("-0.0", "0"),
            ("100", "100"),
            ("1e2", "100"),
            ("100.0", "100"),
            ("1.0E16", "10000000000000000"),
            ("37.50", "37.5"),
            ("-0.00120", "-0.0012"),
            ("1.5e-7", "0.00000015"),
            ("12.345e1", "123.45"),
            ("123456789012345678901234567890", "123456789012345678901234567890"),
            ("0.1000000000000000000001", "0.1000000000000000000001"),
        ] {
            assert_eq!(canon(text), want, "{text}");
        }
    }

    #[test]
    fn escapes_only_what_must_be_escaped() {
        assert_eq!(
            canon(r#""a\/b\u00e9\n\u0001\"\\ \ud83d\ude00""#),
            "\"a/bé\\n\\u0001\\\"\\\\ 😀\""
        );
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\\ud800\"",
            "tru",
            "{\"a\":1,\"a\":2}",
            "1 2",
            "\"\u{1}\"",
        ] {
            assert!(CanonicalJson::from_json_text(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn value_and_postgres_text_agree() {
        // serde_json writes 1e16 and 2.0 as floats; PostgreSQL returns them
        // as 10000000000000000 and 2.0.
        let value = serde_json::json!({"a": 1e16, "b": 2.0, "c": -0.0, "d": 0.1});
        let from_value = CanonicalJson::from_value(&value).map(|c| c.0);
        let from_pg = canon(r#"{"a": 10000000000000000, "b": 2.0, "c": 0.0, "d": 0.1}"#);
        assert_eq!(from_value, Ok(from_pg));
    }
}
