//! What each role is offered in the web app. It follows the access
//! contract's default matrix (`contracts/test/fixtures/default-matrix.json`;
//! `tests/default_matrix.rs` checks every answer against it); the contract
//! still decides, and its refusals are shown.

use crate::Role;

/// Find people by name (USER_RECORD SEARCH).
pub fn search_people(r: Role) -> bool {
    !matches!(r, Role::Patient)
}
/// Open any patient's health records (HEALTH_RECORD READ, not only one's own).
pub fn read_records(r: Role) -> bool {
    matches!(r, Role::Doctor | Role::Nurse)
}
/// One's own health records (HEALTH_RECORD READ, own only).
pub fn own_records(r: Role) -> bool {
    matches!(r, Role::Patient)
}
pub fn create_record(r: Role) -> bool {
    matches!(r, Role::Doctor)
}
pub fn update_record(r: Role) -> bool {
    matches!(r, Role::Doctor | Role::Nurse)
}
pub fn delete_record(r: Role) -> bool {
    matches!(r, Role::Doctor)
}
/// Create and edit accounts (receptionists: patients only).
pub fn manage_users(r: Role) -> bool {
    matches!(r, Role::Root | Role::Admin | Role::Receptionist)
}
pub fn delete_user(r: Role) -> bool {
    matches!(r, Role::Root | Role::Admin)
}
/// Change an account's role.
pub fn set_role(r: Role) -> bool {
    matches!(r, Role::Root | Role::Admin)
}
/// Root's list of administrators (USER_RECORD SEARCH naming ADMIN as its
/// targetRole: the contract refuses it to every role but ROOT).
pub fn list_administrators(r: Role) -> bool {
    matches!(r, Role::Root)
}
/// The live feed and the searchable audit trail.
pub fn audit(r: Role) -> bool {
    matches!(r, Role::Auditor | Role::Root)
}
/// Who accessed one's own records (AUDIT_TRAIL READ, own only).
pub fn own_access_trail(r: Role) -> bool {
    matches!(r, Role::Patient)
}
/// A patient's care team and admission (CARE_TEAM READ of another: the
/// patients one cares for, or any patient at the front desk and for
/// administrators).
pub fn read_care_team(r: Role) -> bool {
    matches!(r, Role::Admin | Role::Doctor | Role::Nurse | Role::Receptionist)
}
/// One's own care team (CARE_TEAM READ, own only).
pub fn own_care_team(r: Role) -> bool {
    matches!(r, Role::Patient)
}
/// Put a doctor or nurse on a patient's care team (CARE_TEAM CREATE).
pub fn add_care_member(r: Role) -> bool {
    matches!(r, Role::Admin | Role::Doctor)
}
/// End a clinician's care relationship with a patient (CARE_TEAM DELETE).
pub fn end_care_member(r: Role) -> bool {
    matches!(r, Role::Admin | Role::Doctor)
}
/// Admit a patient to a department, or discharge them (CARE_TEAM UPDATE).
pub fn admit_patients(r: Role) -> bool {
    matches!(r, Role::Admin | Role::Doctor | Role::Receptionist)
}
/// Break the glass: time-boxed access to a patient one does not care for
/// (EMERGENCY_ACCESS CREATE).
pub fn break_glass(r: Role) -> bool {
    matches!(r, Role::Doctor | Role::Nurse)
}
/// The review queue: list break-the-glass accesses, count the open ones
/// and close their reviews (EMERGENCY_ACCESS SEARCH, READ and UPDATE).
pub fn review_break_glass(r: Role) -> bool {
    matches!(r, Role::Auditor)
}
/// Restrict staff members or departments from one's own records, list and
/// lift those restrictions (RESTRICTION CREATE, READ and DELETE, own only).
pub fn restrict_own_records(r: Role) -> bool {
    matches!(r, Role::Patient)
}
/// Root's permission matrix editor (`setPermission`,
/// `setBreakGlassDuration`). Not a cell of the matrix: the contract applies
/// these changes for ROOT alone, whatever the matrix says.
pub fn edit_permissions(r: Role) -> bool {
    matches!(r, Role::Root)
}
/// The roles an account of role `r` may create. ROOT is never offered: the
/// root account is made at first start (the contract would let root create
/// another; the matrix test names this one difference).
pub fn creatable_roles(r: Role) -> &'static [Role] {
    const BELOW_ROOT: [Role; 6] =
        [Role::Admin, Role::Doctor, Role::Nurse, Role::Receptionist, Role::Auditor, Role::Patient];
    match r {
        Role::Root => &BELOW_ROOT,
        Role::Admin => &Role::SEARCHABLE,
        Role::Receptionist => &[Role::Patient],
        _ => &[],
    }
}
