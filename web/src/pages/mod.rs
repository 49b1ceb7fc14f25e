//! One module per screen.

pub mod admin;
pub mod administrators;
pub mod audit;
pub mod break_glass;
pub mod care_team;
pub mod home;
pub mod login;
pub mod matrix;
pub mod passkeys;
pub mod patients;
pub mod people;
pub mod person;
pub mod record;
pub mod record_form;
pub mod restrictions;
pub mod reviews;
pub mod security;
