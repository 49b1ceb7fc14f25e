//! The opaque position in a result list.

use std::fmt;
use std::str::FromStr;

use crate::db::InvalidInput;

/// Where a page ended: the sort key of its last result (match rank, negated
/// similarity, user id; the name is looked up by id, so no personal data is
/// in it). Opaque to clients: they get it as a hex string and hand it back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchCursor {
    pub(super) rank: i32,
    pub(super) neg_score: f32,
    pub(super) id: i64,
}

impl SearchCursor {
    pub(super) fn new(rank: i32, neg_score: f32, id: i64) -> Self {
        SearchCursor { rank, neg_score, id }
    }
}

impl fmt::Display for SearchCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = format!("1:{}:{:08x}:{}", self.rank, self.neg_score.to_bits(), self.id);
        f.write_str(&hex::encode(plain))
    }
}

impl FromStr for SearchCursor {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = InvalidInput::new("after", "not a cursor from this search");
        let plain =
            hex::decode(s).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(invalid.clone())?;
        let parts: Vec<&str> = plain.split(':').collect();
        let [version, rank, bits, id] = parts.as_slice() else {
            return Err(invalid);
        };
        let parsed = (*version == "1").then(|| {
            Some(SearchCursor {
                rank: rank.parse().ok()?,
                neg_score: f32::from_bits(u32::from_str_radix(bits, 16).ok()?),
                id: id.parse().ok()?,
            })
        });
        parsed.flatten().ok_or(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let cursor = SearchCursor::new(2, -0.375, 42);
        assert_eq!(cursor.to_string().parse::<SearchCursor>(), Ok(cursor));
        assert!("zz".parse::<SearchCursor>().is_err());
        assert!(hex::encode("2:0:0:1").parse::<SearchCursor>().is_err());
    }
}
