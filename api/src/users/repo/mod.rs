//! Reading and writing `users`. Reads take any executor (`&PgPool`, a
//! connection, a transaction); writes take `&mut PgConnection`, so callers can
//! commit them together with rows of their own.

mod create;
mod delete;
mod many;
mod read;
mod row;
pub mod search;
mod system_id;
mod update;

pub use create::create;
pub use delete::soft_delete;
pub use many::{get_many, get_many_by_system_id};
pub use read::{get, get_by_system_id, get_by_username};
pub use search::{administrators, search};
pub use system_id::{assign_system_id, system_id_of};
pub use update::{set_role, update};

/// An optional free-text field as stored: trimmed, and blank means absent.
fn optional_text(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}
