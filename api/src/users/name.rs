//! A person's full name, as entered.

use std::fmt;

use crate::db::InvalidInput;

/// Characters that change how text around them is shown without being seen
/// themselves: bidirectional embeddings, overrides, isolates and marks
/// (`"\u{202E}"` shows `Ann\u{202E}ffuts` as `Annstuff`), and zero-width or
/// blank-looking characters (`"Ann\u{200B}"` looks like `Ann` but is
/// another person in the directory and the trail). The zero-width joiner
/// and non-joiner are letters' business in scripts such as Persian, Arabic
/// and the Indic scripts, so they are allowed between two visible non-ASCII
/// characters (letters, or signs such as the Devanagari virama) and refused
/// anywhere else.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'            // Arabic letter mark
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
            | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels (invisible)
            | '\u{180E}'      // Mongolian vowel separator
            | '\u{200B}'      // zero-width space
            | '\u{200E}' | '\u{200F}' // left-to-right and right-to-left marks
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{FEFF}'      // zero-width no-break space
    )
}

/// The first character of `text` that would let it pose as other text
/// (see [`is_invisible`]), if any.
pub fn deceptive_char(text: &str) -> Option<char> {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().find_map(|(i, &c)| {
        let joiner = c == '\u{200C}' || c == '\u{200D}';
        let letter = |j: Option<usize>| {
            j.and_then(|j| chars.get(j)).is_some_and(|&n| {
                !n.is_ascii()
                    && !n.is_whitespace()
                    && !is_invisible(n)
                    && n != '\u{200C}'
                    && n != '\u{200D}'
            })
        };
        let refused =
            is_invisible(c) || (joiner && !(letter(i.checked_sub(1)) && letter(Some(i + 1))));
        refused.then_some(c)
    })
}

/// The message for text refused by [`deceptive_char`].
pub const DECEPTIVE: &str = "must not contain invisible or direction-changing characters \
                             (zero-width spaces, right-to-left overrides and the like)";

/// A full name: trimmed, 1 to 200 characters, no control characters and no
/// invisible or direction-changing ones ([`deceptive_char`]).
#[derive(Clone, PartialEq, Eq)]
pub struct FullName(String);

/// A name as entered into `field`: trimmed, 1 to `max` characters (else
/// `length`, the refusal's wording), no control characters and no invisible
/// or direction-changing ones ([`deceptive_char`]).
pub fn plain_name(
    raw: &str,
    field: &'static str,
    max: usize,
    length: &'static str,
) -> Result<String, InvalidInput> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(InvalidInput::new(field, length));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidInput::new(field, "must not contain control characters"));
    }
    if deceptive_char(name).is_some() {
        return Err(InvalidInput::new(field, DECEPTIVE));
    }
    Ok(name.to_owned())
}

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let max = careledger_vocab::limits::FULL_NAME_MAX_CHARS;
        plain_name(raw, "fullName", max, "must be 1 to 200 characters").map(FullName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shown as `FullName(..)`: a name is personal data and stays out of logs.
impl fmt::Debug for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FullName(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> Option<String> {
        FullName::parse(raw).err().map(|e| e.reason.to_owned())
    }

    #[test]
    fn names_that_pose_as_others_are_refused() {
        for (raw, code) in [
            ("Ann\u{202E}ffuts", "202E"),
            ("\u{2067}Ann Smith", "2067"),
            ("Ann\u{200B} Smith", "200B"),
            ("Ann Smith\u{FEFF}", "FEFF"),
            ("Ann\u{200F}", "200F"),
            ("Ann\u{2060}Smith", "2060"),
            ("A\u{200D}nn", "200D"),
            ("\u{200C}\u{0645}", "200C"),
            ("Ann \u{3164}", "3164"),
        ] {
            assert_eq!(refused(raw).as_deref(), Some(DECEPTIVE), "{raw:?}");
            let found = deceptive_char(raw).map(|c| format!("{:04X}", u32::from(c)));
            assert_eq!(found.as_deref(), Some(code), "{raw:?}");
        }
    }

    #[test]
    fn joiners_inside_scripts_that_need_them_are_names() {
        // Persian: the non-joiner between two letters of one name.
        let persian = "\u{0645}\u{062D}\u{0645}\u{062F}\u{200C}\u{0631}\u{0636}\u{0627}";
        assert_eq!(
            FullName::parse(persian).ok().map(|n| n.as_str().to_owned()).as_deref(),
            Some(persian)
        );
        // Devanagari: the joiner between a consonant and a sign.
        let hindi = "\u{0915}\u{094D}\u{200D}\u{0937}";
        assert!(FullName::parse(hindi).is_ok());
        assert!(FullName::parse("Zoë Ødegård-Ñúñez").is_ok());
    }
}
