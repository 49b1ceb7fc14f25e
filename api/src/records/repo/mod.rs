//! Reading and writing health records. Versions, periods and history rows are
//! the triggers' job; these functions compute each version's content hash and
//! refuse stale updates.

mod create;
mod delete;
mod read;
mod row;
mod subject;
mod temporal;
mod update;
mod verify;

pub use create::create;
pub use delete::delete;
pub use read::{for_patient, for_patients, get, get_many};
pub use subject::subject_of;
pub use temporal::{as_of, history, version};
pub use update::{update, update_in};
pub use verify::{verify, VersionCheck};
