//! The `Person` GraphQL type: a professional identity (name, role,
//! department, position), what every nested person shows — a record's
//! `author` and `patient`, an audit event's `actor` and `subject`, a search
//! result. The whole account (`User`: address, username, system id) comes
//! only from `me` and from the guarded `user(id)`.

use async_graphql::{Object, ID};

use super::user_object::Role;
use crate::users::Person;

/// A [`Person`] as the schema shows it.
pub struct PersonObject(pub Person);

/// Who someone is at the hospital, as anyone who may see a record, event or
/// search result naming them is shown. Their address, username and
/// system-wide identifier are on `User`, through `user(id)` (a USER_RECORD
/// READ of them).
#[Object(name = "Person")]
impl PersonObject {
    /// The account's id (not the system-wide identifier): pass it to
    /// `user(id)` for the whole account, or, for a patient, to
    /// `patientRecords`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }
    /// Department and position, e.g. "Cardiology — Attending Physician".
    async fn designation(&self) -> Option<String> {
        self.0.designation()
    }
}

impl From<Person> for PersonObject {
    fn from(p: Person) -> Self {
        Self(p)
    }
}

impl From<crate::users::User> for PersonObject {
    fn from(u: crate::users::User) -> Self {
        Self(u.into())
    }
}
