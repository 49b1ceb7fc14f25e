//! The web app's table of what each role may do (`careledger_vocab::can`)
//! against the access contract's default matrix, as the contract's own tests
//! read it (`contracts/test/fixtures/default-matrix.json`): every role, every
//! capability, the exact cells the contract consults for that action.

use std::collections::BTreeMap;

use careledger_vocab::{can, Role};
use serde::Deserialize;

const RESOURCES: [&str; 6] =
    ["USER_RECORD", "HEALTH_RECORD", "AUDIT_TRAIL", "CARE_TEAM", "EMERGENCY_ACCESS", "RESTRICTION"];
const ACTIONS: [&str; 5] = ["CREATE", "READ", "UPDATE", "DELETE", "SEARCH"];

#[derive(Deserialize)]
struct Cell {
    role: String,
    resource: String,
    action: String,
    scope: String,
}

/// (role, resource, action) → scope (`NONE`, `OWN`, `PATIENTS`, `ANY`, `CARE`).
struct Matrix(BTreeMap<(String, String, String), String>);

impl Matrix {
    fn load() -> Matrix {
        let path =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/test/fixtures/default-matrix.json");
        let text = std::fs::read_to_string(path).expect("read the default matrix fixture");
        let cells: Vec<Cell> =
            serde_json::from_str(&text).expect("parse the default matrix fixture");
        let count = cells.len();
        let map: BTreeMap<_, _> =
            cells.into_iter().map(|c| ((c.role, c.resource, c.action), c.scope)).collect();
        assert_eq!(count, map.len(), "a cell is listed twice");
        Matrix(map)
    }

    fn scope(&self, role: Role, resource: &str, action: &str) -> &str {
        let key = (role.as_str().to_owned(), resource.to_owned(), action.to_owned());
        self.0.get(&key).unwrap_or_else(|| panic!("no cell {key:?}"))
    }
}

/// One capability of the app: the cells the contract consults when the app
/// acts on it, and the scopes in which that act can be approved.
struct Capability {
    name: &'static str,
    offered: fn(Role) -> bool,
    cells: &'static [(&'static str, &'static str)],
    granting: &'static [&'static str],
}

/// OWN is no grant for acting on others (and a SEARCH has no subject to own);
/// PATIENTS is, for patients' records and accounts, and so is CARE, for the
/// patients the actor cares for.
const ON_OTHERS: &[&str] = &["PATIENTS", "ANY", "CARE"];

const CAPABILITIES: &[Capability] = &[
    Capability {
        name: "search_people",
        offered: can::search_people,
        cells: &[("USER_RECORD", "SEARCH")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "read_records",
        offered: can::read_records,
        cells: &[("HEALTH_RECORD", "READ")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "own_records",
        offered: can::own_records,
        cells: &[("HEALTH_RECORD", "READ")],
        granting: &["OWN"],
    },
    Capability {
        name: "create_record",
        offered: can::create_record,
        cells: &[("HEALTH_RECORD", "CREATE")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "update_record",
        offered: can::update_record,
        cells: &[("HEALTH_RECORD", "UPDATE")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "delete_record",
        offered: can::delete_record,
        cells: &[("HEALTH_RECORD", "DELETE")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "manage_users",
        offered: can::manage_users,
        cells: &[("USER_RECORD", "CREATE"), ("USER_RECORD", "UPDATE")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "delete_user",
        offered: can::delete_user,
        cells: &[("USER_RECORD", "DELETE")],
        granting: ON_OTHERS,
    },
    // `setUserRole` is USER_RECORD UPDATE with the new role as targetRole: under
    // PATIENTS a patient could only be "changed" to a patient.
    Capability {
        name: "set_role",
        offered: can::set_role,
        cells: &[("USER_RECORD", "UPDATE")],
        granting: &["ANY"],
    },
    // The live feed and the trail search are AUDIT_TRAIL SEARCH.
    Capability {
        name: "audit",
        offered: can::audit,
        cells: &[("AUDIT_TRAIL", "SEARCH")],
        granting: ON_OTHERS,
    },
    // A patient's "who accessed my records" is AUDIT_TRAIL READ on themself.
    Capability {
        name: "own_access_trail",
        offered: can::own_access_trail,
        cells: &[("AUDIT_TRAIL", "READ")],
        granting: &["OWN"],
    },
    // A patient's care team, as others see it (the patients one cares for;
    // any patient for the front desk and administrators) and as the patient does.
    Capability {
        name: "read_care_team",
        offered: can::read_care_team,
        cells: &[("CARE_TEAM", "READ")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "own_care_team",
        offered: can::own_care_team,
        cells: &[("CARE_TEAM", "READ")],
        granting: &["OWN"],
    },
    Capability {
        name: "add_care_member",
        offered: can::add_care_member,
        cells: &[("CARE_TEAM", "CREATE")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "end_care_member",
        offered: can::end_care_member,
        cells: &[("CARE_TEAM", "DELETE")],
        granting: ON_OTHERS,
    },
    // Admitting and discharging are CARE_TEAM UPDATE.
    Capability {
        name: "admit_patients",
        offered: can::admit_patients,
        cells: &[("CARE_TEAM", "UPDATE")],
        granting: ON_OTHERS,
    },
    Capability {
        name: "break_glass",
        offered: can::break_glass,
        cells: &[("EMERGENCY_ACCESS", "CREATE")],
        granting: ON_OTHERS,
    },
    // The queue is a SEARCH, each grant listed a READ of its patient, and
    // closing a review an UPDATE.
    Capability {
        name: "review_break_glass",
        offered: can::review_break_glass,
        cells: &[
            ("EMERGENCY_ACCESS", "SEARCH"),
            ("EMERGENCY_ACCESS", "READ"),
            ("EMERGENCY_ACCESS", "UPDATE"),
        ],
        granting: ON_OTHERS,
    },
    Capability {
        name: "restrict_own_records",
        offered: can::restrict_own_records,
        cells: &[("RESTRICTION", "CREATE"), ("RESTRICTION", "READ"), ("RESTRICTION", "DELETE")],
        granting: &["OWN"],
    },
];

#[test]
fn the_fixture_has_every_cell_once() {
    let m = Matrix::load();
    assert_eq!(m.0.len(), Role::ALL.len() * RESOURCES.len() * ACTIONS.len());
    for role in Role::ALL {
        for resource in RESOURCES {
            for action in ACTIONS {
                let scope = m.scope(role, resource, action);
                assert!(
                    ["NONE", "OWN", "PATIENTS", "ANY", "CARE"].contains(&scope),
                    "scope {scope}"
                );
            }
        }
    }
}

#[test]
fn every_capability_matches_the_default_matrix() {
    let m = Matrix::load();
    let mut mismatches = Vec::new();
    for cap in CAPABILITIES {
        for role in Role::ALL {
            let scopes: Vec<&str> = cap.cells.iter().map(|(r, a)| m.scope(role, r, a)).collect();
            let granted = scopes.iter().all(|s| cap.granting.contains(s));
            if (cap.offered)(role) != granted {
                mismatches.push(format!(
                    "can::{}({role}) is {} but the matrix says {scopes:?}",
                    cap.name,
                    (cap.offered)(role)
                ));
            }
        }
    }
    assert_eq!(mismatches, Vec::<String>::new());
}

/// The roles the contract lets `actor` create (USER_RECORD CREATE, the new
/// account's role as targetRole, its subject holding no role yet): only ROOT
/// may make ROOT or ADMIN accounts; under PATIENTS only patients.
fn creatable_by_contract(m: &Matrix, actor: Role) -> Vec<Role> {
    let scope = m.scope(actor, "USER_RECORD", "CREATE");
    let privileged = |r: Role| matches!(r, Role::Root | Role::Admin);
    Role::ALL
        .into_iter()
        .filter(|&target| match scope {
            _ if actor != Role::Root && privileged(target) => false,
            "ANY" => true,
            "PATIENTS" => target == Role::Patient,
            _ => false,
        })
        .collect()
}

#[test]
fn creatable_roles_match_the_default_matrix_but_for_a_second_root() {
    let m = Matrix::load();
    for actor in Role::ALL {
        let mut expected = creatable_by_contract(&m, actor);
        if actor == Role::Root {
            // The one deliberate difference: the contract would let root create
            // another root account; the app never offers ROOT.
            assert_eq!(expected.first(), Some(&Role::Root));
            expected.remove(0);
        }
        assert_eq!(can::creatable_roles(actor), expected.as_slice(), "creatable_roles({actor})");
    }
}

/// Whether the contract lets `actor` search accounts of role `target`
/// (USER_RECORD SEARCH with `target` as targetRole): only ROOT may search
/// ROOT or ADMIN accounts; under PATIENTS only patients.
fn searchable_by_contract(m: &Matrix, actor: Role, target: Role) -> bool {
    match m.scope(actor, "USER_RECORD", "SEARCH") {
        _ if actor != Role::Root && matches!(target, Role::Root | Role::Admin) => false,
        "ANY" => true,
        "PATIENTS" => target == Role::Patient,
        _ => false,
    }
}

#[test]
fn the_administrators_list_is_offered_as_the_default_matrix_allows() {
    let m = Matrix::load();
    for actor in Role::ALL {
        assert_eq!(
            can::list_administrators(actor),
            searchable_by_contract(&m, actor, Role::Admin),
            "list_administrators({actor})"
        );
    }
}

/// The matrix editor is no cell: the contract applies `setPermission` and
/// `setBreakGlassDuration` for ROOT alone and records anyone else's attempt
/// as refused (contracts/README.md), so only root is offered it.
#[test]
fn only_root_is_offered_the_matrix_editor() {
    let offered: Vec<Role> = Role::ALL.into_iter().filter(|&r| can::edit_permissions(r)).collect();
    assert_eq!(offered, [Role::Root]);
}
