//! One module per screen.

pub mod admin;
pub mod administrators;
pub mod audit;
pub mod home;
pub mod login;
pub mod passkeys;
pub mod patients;
pub mod people;
pub mod person;
pub mod record;
pub mod record_form;
pub mod security;
