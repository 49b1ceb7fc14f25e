//! Who works at and visits the demo hospital.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::Rng;

use super::names::{
    DEPARTMENTS, DOCTOR_POSITIONS, FIRST_NAMES, LAST_NAMES, NURSE_POSITIONS, STREETS, TOWNS,
};
use crate::users::Role;

/// An account to create.
#[derive(Debug, Clone)]
pub struct Person {
    pub username: String,
    pub full_name: String,
    pub address: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub role: Role,
}

/// Usernames handed out in this run.
struct Names(HashSet<String>);

impl Names {
    fn take(&mut self, base: &str) -> String {
        let base: String = base
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let mut name = base.clone();
        let mut n = 2;
        while !self.0.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }
}

fn name<R: Rng + ?Sized>(rng: &mut R) -> (&'static str, &'static str) {
    (
        FIRST_NAMES.choose(rng).copied().unwrap_or("Alex"),
        LAST_NAMES.choose(rng).copied().unwrap_or("Smith"),
    )
}

fn address(rng: &mut impl Rng) -> String {
    format!(
        "{} {}, {}",
        rng.gen_range(1..=240),
        STREETS.choose(rng).copied().unwrap_or("High Street"),
        TOWNS.choose(rng).copied().unwrap_or("Northfield")
    )
}

/// The staff: an administrator, auditors, receptionists, and doctors and
/// nurses across every department (35 people).
pub fn staff(rng: &mut impl Rng) -> Vec<Person> {
    let mut names = Names(HashSet::from(["root".to_owned()]));
    let mut people = Vec::new();
    let mut add = |rng: &mut dyn rand::RngCore,
                   role: Role,
                   prefix: &str,
                   department: Option<&str>,
                   position: &str| {
        let (first, last) = name(rng);
        people.push(Person {
            username: names.take(&format!("{prefix}{first}.{last}")),
            full_name: format!("{first} {last}"),
            address: None,
            department: department.map(str::to_owned),
            position: Some(position.to_owned()),
            role,
        });
    };
    add(rng, Role::Admin, "", Some("Administration"), "IT Administrator");
    for _ in 0..2 {
        add(rng, Role::Auditor, "", Some("Compliance"), "Compliance Officer");
    }
    for _ in 0..4 {
        add(rng, Role::Receptionist, "", Some("Front Desk"), "Receptionist");
    }
    for (i, department) in DEPARTMENTS.iter().enumerate() {
        for j in 0..2 {
            let position = DOCTOR_POSITIONS[(i + j) % DOCTOR_POSITIONS.len()];
            add(rng, Role::Doctor, "dr.", Some(department), position);
        }
        for j in 0..2 {
            let position = NURSE_POSITIONS[(i + j) % NURSE_POSITIONS.len()];
            add(rng, Role::Nurse, "", Some(department), position);
        }
    }
    people
}

/// `n` patients with home addresses.
pub fn patients(rng: &mut impl Rng, n: usize) -> Vec<Person> {
    let mut names = Names(HashSet::new());
    (0..n)
        .map(|_| {
            let (first, last) = name(rng);
            Person {
                username: names.take(&format!("{first}.{last}")),
                full_name: format!("{first} {last}"),
                address: Some(address(rng)),
                department: None,
                position: None,
                role: Role::Patient,
            }
        })
        .collect()
}
