//! The demo hospital's people: departments, positions and names.

/// Departments and the positions their doctors and nurses hold.
pub const DEPARTMENTS: [&str; 7] = [
    "Cardiology",
    "Emergency Medicine",
    "Internal Medicine",
    "Pediatrics",
    "Oncology",
    "Orthopedics",
    "Neurology",
];

pub const DOCTOR_POSITIONS: [&str; 4] =
    ["Attending Physician", "Consultant", "Resident Physician", "Fellow"];
pub const NURSE_POSITIONS: [&str; 3] = ["Registered Nurse", "Charge Nurse", "Nurse Practitioner"];

pub const FIRST_NAMES: [&str; 48] = [
    "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Grace", "Leo", "Freya",
    "Oscar", "Lily", "Harry", "Ella", "Jack", "Sofia", "Theo", "Ivy", "Henry", "Aisha", "Mohammed",
    "Priya", "Arjun", "Mei", "Wei", "Yuki", "Hiro", "Chloe", "Lucas", "Zara", "Ethan", "Nora",
    "Samuel", "Leah", "Daniel", "Fatima", "Omar", "Elena", "Mateo", "Hannah", "Jonas", "Clara",
    "Felix", "Ingrid", "Tomas", "Rosa", "Kofi",
];

pub const LAST_NAMES: [&str; 48] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Singh", "Chen", "Nguyen", "Kim", "Tanaka", "Garcia",
    "Martinez", "Rossi", "Muller", "Schmidt", "Novak", "Kowalski", "Okafor", "Mensah", "Haddad",
    "Cohen", "Larsen", "Berg", "Costa", "Silva", "Murphy", "Kelly", "Byrne", "Fischer", "Weber",
    "Dubois",
];

pub const STREETS: [&str; 12] = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Avenue",
    "Mill Road",
    "Victoria Street",
    "Queen's Road",
    "Elm Grove",
    "Riverside Walk",
    "Orchard Close",
    "Kingsway",
    "Harbour View",
];

pub const TOWNS: [&str; 6] =
    ["Northfield", "Eastbridge", "Westmoor", "Southport", "Ashby", "Lindale"];
