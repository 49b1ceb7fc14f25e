//! The sizes the api enforces on what people type, so the web app can say
//! them and the bench can stay within them. Lengths are in characters unless
//! named in bytes.

/// Usernames: 3 to 64 of `a-z 0-9 . _ -`.
pub const USERNAME_MIN_CHARS: usize = 3;
pub const USERNAME_MAX_CHARS: usize = 64;

/// Passwords: 12 to 128 characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A person's full name: 1 to 200 characters.
pub const FULL_NAME_MAX_CHARS: usize = 200;

/// Address, designation and department: at most 300 characters each.
pub const FREE_TEXT_MAX_CHARS: usize = 300;

/// A record's title: one line of 1 to 200 characters.
pub const TITLE_MAX_CHARS: usize = 200;

/// A record's content: a JSON object of at most 256 KiB in canonical form,
/// nested at most 32 levels.
pub const CONTENT_MAX_BYTES: usize = 256 * 1024;
pub const CONTENT_MAX_DEPTH: usize = 32;

/// User search: the longest query, and the most results on one page.
pub const SEARCH_QUERY_MAX_CHARS: usize = 100;
pub const SEARCH_PAGE_MAX: i64 = 100;
