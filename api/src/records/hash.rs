//! The content hash of a record version: what is anchored on chain, and what
//! the integrity verifier recomputes from a stored row to prove the row was
//! not altered.
//!
//! ```text
//! content_hash = SHA-256( content_salt ‖ UTF-8(document) )
//! document     = canonical JSON (see `records::canonical`) of
//!   {"authorId":   author_id,        -- users.id of who wrote this version, a number
//!    "content":    content,          -- the jsonb object
//!    "patientId":  patient_id,       -- users.id, a number
//!    "recordId":   "<uuid>",         -- lowercase hyphenated
//!    "recordType": "<RECORD_TYPE>",  -- e.g. "LAB_RESULT"
//!    "title":      "<title>",
//!    "version":    version}          -- 1, 2, ...
//! ```
//!
//! `content_salt` is the record's 16 random bytes (`health_records.content_salt`,
//! the same for all its versions), so a hash on chain reveals nothing about the
//! content even to someone who can guess it.
//!
//! To recompute from a stored row (`health_record_versions` holds every
//! version), read the content as text, `content::text`, and canonicalize that
//! with [`CanonicalJson::from_json_text`]: decoding it into a
//! `serde_json::Value` first would round long numbers through `f64`. For
//! example:
//!
//! ```sql
//! SELECT id, version, patient_id, author_id, record_type::text, title,
//!        content::text, content_salt, content_hash
//!   FROM health_record_versions WHERE id = $1 ORDER BY version
//! ```
//!
//! `records::repo::verify` does exactly this.

use std::fmt;

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::canonical::{write_string, CanonicalJson};
use super::{RecordId, RecordType};
use crate::users::UserId;

/// A record's salt: 16 random bytes, chosen when the record is created.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ContentSalt([u8; 16]);

impl ContentSalt {
    /// A fresh salt from the operating system's CSPRNG.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        ContentSalt(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 16]>::try_from(bytes).ok().map(ContentSalt)
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for ContentSalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentSalt({})", hex::encode(self.0))
    }
}

/// A SHA-256 content hash; shown as `0x` and 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

/// The hash as anchored on chain: the same 32 bytes.
impl From<ContentHash> for alloy::primitives::B256 {
    fn from(hash: ContentHash) -> Self {
        Self::from(hash.0)
    }
}

impl ContentHash {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(ContentHash)
    }

    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        ContentHash(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

/// Everything of one version that the hash covers.
#[derive(Clone, Copy)]
pub struct HashedFields<'a> {
    pub record_id: RecordId,
    pub patient_id: UserId,
    pub author_id: UserId,
    pub record_type: RecordType,
    pub title: &'a str,
    pub version: i32,
    pub content: &'a CanonicalJson,
}

/// The canonical document that is hashed (see the module docs).
pub fn canonical_document(fields: &HashedFields<'_>) -> String {
    let content = fields.content.as_str();
    let mut doc = String::with_capacity(content.len() + fields.title.len() + 160);
    doc.push_str("{\"authorId\":");
    doc.push_str(&fields.author_id.0.to_string());
    doc.push_str(",\"content\":");
    doc.push_str(content);
    doc.push_str(",\"patientId\":");
    doc.push_str(&fields.patient_id.0.to_string());
    doc.push_str(",\"recordId\":\"");
    doc.push_str(&fields.record_id.to_string());
    doc.push_str("\",\"recordType\":\"");
    doc.push_str(fields.record_type.as_str());
    doc.push_str("\",\"title\":");
    write_string(&mut doc, fields.title);
    doc.push_str(",\"version\":");
    doc.push_str(&fields.version.to_string());
    doc.push('}');
    doc
}

/// SHA-256(salt ‖ canonical document).
pub fn content_hash(salt: &ContentSalt, fields: &HashedFields<'_>) -> ContentHash {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(canonical_document(fields).as_bytes());
    ContentHash(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_itself_canonical_and_hash_is_pinned() {
        let content = CanonicalJson::from_json_text(r#"{"dose": 5.0, "drug": "amoxicillin"}"#);
        let content = content.expect("valid json");
        let fields = HashedFields {
            record_id: "67e55044-10b1-426f-9247-bb680e5fe0c8".parse().expect("uuid"),
            patient_id: UserId(7),
            author_id: UserId(3),
            record_type: RecordType::Prescription,
            title: "Amoxicillin \"500\"",
            version: 2,
            content: &content,
        };
        let doc = canonical_document(&fields);
        assert_eq!(
            doc,
            r#"{"authorId":3,"content":{"dose":5,"drug":"amoxicillin"},"patientId":7,"recordId":"67e55044-10b1-426f-9247-bb680e5fe0c8","recordType":"PRESCRIPTION","title":"Amoxicillin \"500\"","version":2}"#
        );
        assert_eq!(
            CanonicalJson::from_json_text(&doc).map(|c| c.as_str().to_owned()),
            Ok(doc.clone())
        );

        // Pinned: computed independently (Python hashlib) from the same bytes.
        let salt = ContentSalt([0x11; 16]);
        assert_eq!(
            content_hash(&salt, &fields).to_string(),
            "0x2d19afd82fc4d765b6d836cca2c245b2c4fb01f4464d501f86c556091a559830"
        );
    }
}
