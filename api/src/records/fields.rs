//! The parts of a record an author writes: its title and its content.

use std::fmt;

use serde_json::Value;

use super::canonical::CanonicalJson;
use crate::db::InvalidInput;

/// A record title: trimmed, 1 to 200 characters, one line.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordTitle(String);

impl RecordTitle {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let title = raw.trim();
        if title.is_empty() || title.chars().count() > careledger_vocab::limits::TITLE_MAX_CHARS {
            return Err(InvalidInput::new("title", "must be 1 to 200 characters"));
        }
        if title.chars().any(char::is_control) {
            return Err(InvalidInput::new("title", "must be one line without control characters"));
        }
        Ok(RecordTitle(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Never printed: a title can say what a patient suffers from.
impl fmt::Debug for RecordTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordTitle(..)")
    }
}

/// Most bytes of canonical JSON one record's content may take.
pub const MAX_CONTENT_BYTES: usize = careledger_vocab::limits::CONTENT_MAX_BYTES;
/// Deepest nesting of content.
pub const MAX_CONTENT_DEPTH: usize = careledger_vocab::limits::CONTENT_MAX_DEPTH;

/// The structured content of a record: a JSON object that PostgreSQL's
/// `jsonb` can store (no U+0000 in any string), at most 256 KiB and 32 levels,
/// with its canonical form (see [`super::canonical`]) computed once.
#[derive(Clone)]
pub struct RecordContent {
    value: Value,
    canonical: CanonicalJson,
}

impl RecordContent {
    pub fn parse(value: Value) -> Result<Self, InvalidInput> {
        if !value.is_object() {
            return Err(InvalidInput::new("content", "must be a JSON object"));
        }
        check_nested(&value, 0)?;
        let canonical = CanonicalJson::from_value(&value)
            .map_err(|_| InvalidInput::new("content", "cannot be canonicalized"))?;
        if canonical.as_str().len() > MAX_CONTENT_BYTES {
            return Err(InvalidInput::new("content", "must be at most 256 KiB"));
        }
        Ok(RecordContent { value, canonical })
    }

    pub fn as_value(&self) -> &Value {
        &self.value
    }

    pub fn into_value(self) -> Value {
        self.value
    }

    pub fn canonical(&self) -> &CanonicalJson {
        &self.canonical
    }
}

/// Never printed: content is patient data.
impl fmt::Debug for RecordContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordContent(..)")
    }
}

fn check_nested(value: &Value, depth: usize) -> Result<(), InvalidInput> {
    if depth > MAX_CONTENT_DEPTH {
        return Err(InvalidInput::new("content", "must nest at most 32 levels"));
    }
    let nul = InvalidInput::new("content", "must not contain U+0000");
    match value {
        Value::String(s) if s.contains('\0') => Err(nul),
        Value::Array(items) => items.iter().try_for_each(|v| check_nested(v, depth + 1)),
        Value::Object(members) => members.iter().try_for_each(|(k, v)| {
            if k.contains('\0') {
                return Err(nul.clone());
            }
            check_nested(v, depth + 1)
        }),
        _ => Ok(()),
    }
}
