// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase, Vm} from "./TestBase.sol";
import {CareLedgerAccess} from "../../src/CareLedgerAccess.sol";
import {ICareLedgerAccess} from "../../src/ICareLedgerAccess.sol";

/// @dev Shared set-up: a deployed ledger with one hospital's worth of users on chain, request
///      builders, enum names (as used in test/fixtures/default-matrix.json) and an independent
///      reference model of the access rules.
abstract contract LedgerFixture is TestBase {
    CareLedgerAccess internal ledger;

    address internal admin = address(0xA11CE);
    address internal gateway = address(0x6A7E);

    // Hospital users (system ids). `unknown` is never registered.
    bytes32 internal constant ROOT_ID = keccak256("user:root");
    bytes32 internal constant ADMIN_ID = keccak256("user:admin");
    bytes32 internal constant ADMIN2_ID = keccak256("user:admin2");
    bytes32 internal constant DOCTOR_ID = keccak256("user:doctor");
    bytes32 internal constant NURSE_ID = keccak256("user:nurse");
    bytes32 internal constant RECEPTIONIST_ID = keccak256("user:receptionist");
    bytes32 internal constant AUDITOR_ID = keccak256("user:auditor");
    bytes32 internal constant PATIENT_ID = keccak256("user:patient");
    bytes32 internal constant PATIENT2_ID = keccak256("user:patient2");
    bytes32 internal constant DOCTOR2_ID = keccak256("user:doctor2");
    bytes32 internal constant UNKNOWN_ID = keccak256("user:unknown");
    /// @dev Added as a patient, then deleted: their records outlive the account.
    bytes32 internal constant FORMER_PATIENT_ID = keccak256("user:former-patient");
    bytes32 internal constant RECORD_ID = keccak256("record:1");
    /// @dev The nurse's department, where PATIENT_ID is admitted (an opaque id).
    uint32 internal constant WARD = 7;

    uint256 internal constant ROLE_COUNT = 8; // including NONE
    uint256 internal constant RESOURCE_COUNT = 6;
    uint256 internal constant ACTION_COUNT = 5;
    uint256 internal constant SCOPE_COUNT = 5;
    uint256 internal constant LIFECYCLE_COUNT = 21;
    uint256 internal constant CELL_COUNT = 210; // 7 real roles × 6 resources × 5 actions

    /// @dev Who was ever a patient (the contract keeps this in the account; no view exposes it).
    mapping(bytes32 systemId => bool) internal everPatient;

    bytes32 internal constant ACCESS_REQUESTED_SIG =
        keccak256("AccessRequested(bytes32,bytes32,bytes32,bytes32,uint8,uint8,uint8,bool,uint64)");

    /// @dev The hospital: one user of every role (two admins, two doctors, two patients), a
    ///      former patient, and the care relationships that make the clinicians' stories work —
    ///      the doctor on PATIENT_ID's care team, the nurse in the WARD where PATIENT_ID is
    ///      admitted, the doctor on the former patient's team. DOCTOR2 and PATIENT2 have none.
    function setUp() public virtual {
        vm.warp(1_800_000_000);
        ledger = new CareLedgerAccess(admin, gateway);
        ICareLedgerAccess.LifecycleEntry[] memory e = new ICareLedgerAccess.LifecycleEntry[](11);
        e[0] = _userAdded(ROOT_ID, ROOT_ID, ICareLedgerAccess.Role.ROOT);
        e[1] = _userAdded(ROOT_ID, ADMIN_ID, ICareLedgerAccess.Role.ADMIN);
        e[2] = _userAdded(ROOT_ID, ADMIN2_ID, ICareLedgerAccess.Role.ADMIN);
        e[3] = _userAdded(ADMIN_ID, DOCTOR_ID, ICareLedgerAccess.Role.DOCTOR);
        e[4] = _userAdded(ADMIN_ID, NURSE_ID, ICareLedgerAccess.Role.NURSE);
        e[5] = _userAdded(ADMIN_ID, RECEPTIONIST_ID, ICareLedgerAccess.Role.RECEPTIONIST);
        e[6] = _userAdded(ADMIN_ID, AUDITOR_ID, ICareLedgerAccess.Role.AUDITOR);
        e[7] = _userAdded(RECEPTIONIST_ID, PATIENT_ID, ICareLedgerAccess.Role.PATIENT);
        e[8] = _userAdded(RECEPTIONIST_ID, PATIENT2_ID, ICareLedgerAccess.Role.PATIENT);
        e[9] = _userAdded(ADMIN_ID, DOCTOR2_ID, ICareLedgerAccess.Role.DOCTOR);
        e[10] = _userAdded(RECEPTIONIST_ID, FORMER_PATIENT_ID, ICareLedgerAccess.Role.PATIENT);
        vm.prank(gateway);
        ledger.recordLifecycle(e);
        everPatient[PATIENT_ID] = true;
        everPatient[PATIENT2_ID] = true;
        everPatient[FORMER_PATIENT_ID] = true;

        e = new ICareLedgerAccess.LifecycleEntry[](5);
        e[0] = _care(ICareLedgerAccess.Lifecycle.CARE_ADDED, ADMIN_ID, PATIENT_ID, DOCTOR_ID, 0, 0, 0, 1);
        e[1] = _care(ICareLedgerAccess.Lifecycle.DEPARTMENT_ASSIGNED, ADMIN_ID, NURSE_ID, 0, WARD, 0, 0, 1);
        e[2] = _care(ICareLedgerAccess.Lifecycle.ADMITTED, RECEPTIONIST_ID, PATIENT_ID, 0, WARD, 0, 0, 2);
        e[3] = _care(ICareLedgerAccess.Lifecycle.CARE_ADDED, ADMIN_ID, FORMER_PATIENT_ID, DOCTOR_ID, 0, 0, 0, 1);
        e[4] = _userAdded(ADMIN_ID, FORMER_PATIENT_ID, ICareLedgerAccess.Role.PATIENT);
        e[4].kind = ICareLedgerAccess.Lifecycle.USER_DELETED;
        e[4].entryId = keccak256(abi.encode("delete", FORMER_PATIENT_ID));
        e[4].sequence = 2;
        vm.prank(gateway);
        ledger.recordLifecycle(e);
    }

    // ------------------------------------------------------------ builders

    function _userAdded(bytes32 actor, bytes32 subject, ICareLedgerAccess.Role role)
        internal
        pure
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return ICareLedgerAccess.LifecycleEntry({
            entryId: keccak256(abi.encode("add", subject)),
            kind: ICareLedgerAccess.Lifecycle.USER_ADDED,
            actor: actor,
            subject: subject,
            recordId: bytes32(0),
            version: 0,
            contentHash: keccak256(abi.encode("row", subject)),
            role: role,
            sequence: 1,
            counterpart: bytes32(0),
            department: 0,
            until: 0,
            detail: 0
        });
    }

    /// @dev A care entry (CARE_ADDED … RESTRICTION_LIFTED) with the fields its kind uses.
    function _care(
        ICareLedgerAccess.Lifecycle kind,
        bytes32 actor,
        bytes32 subject,
        bytes32 counterpart,
        uint32 department,
        uint64 until,
        uint8 detail,
        uint64 sequence
    ) internal pure returns (ICareLedgerAccess.LifecycleEntry memory) {
        return ICareLedgerAccess.LifecycleEntry({
            entryId: keccak256(abi.encode("care", kind, subject, counterpart, department, sequence)),
            kind: kind,
            actor: actor,
            subject: subject,
            recordId: bytes32(0),
            version: 0,
            contentHash: bytes32(0),
            role: ICareLedgerAccess.Role.NONE,
            sequence: sequence,
            counterpart: counterpart,
            department: department,
            until: until,
            detail: detail
        });
    }

    function _req(
        bytes32 actor,
        ICareLedgerAccess.Action action,
        ICareLedgerAccess.Resource resource,
        bytes32 subject,
        ICareLedgerAccess.Role targetRole
    ) internal pure returns (ICareLedgerAccess.AccessRequest memory) {
        return ICareLedgerAccess.AccessRequest({
            requestId: keccak256(abi.encode(actor, action, resource, subject, targetRole)),
            actor: actor,
            action: action,
            resource: resource,
            subject: subject,
            recordId: resource == ICareLedgerAccess.Resource.HEALTH_RECORD ? RECORD_ID : bytes32(0),
            targetRole: targetRole
        });
    }

    function _one(ICareLedgerAccess.AccessRequest memory r)
        internal
        pure
        returns (ICareLedgerAccess.AccessRequest[] memory batch)
    {
        batch = new ICareLedgerAccess.AccessRequest[](1);
        batch[0] = r;
    }

    function _oneEntry(ICareLedgerAccess.LifecycleEntry memory e)
        internal
        pure
        returns (ICareLedgerAccess.LifecycleEntry[] memory batch)
    {
        batch = new ICareLedgerAccess.LifecycleEntry[](1);
        batch[0] = e;
    }

    /// @dev Submit one request through `authorize` and return the verdict from its event.
    function _authorizeOne(ICareLedgerAccess.AccessRequest memory r) internal returns (bool approved) {
        vm.recordLogs();
        vm.prank(gateway);
        ledger.authorize(_one(r));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, "one event per request");
        (,,,, approved,) = abi.decode(logs[0].data, (bytes32, uint8, uint8, uint8, bool, uint64));
    }

    /// @dev The system id holding `role` in the fixture population (NONE → unknown).
    function _idOf(ICareLedgerAccess.Role role) internal pure returns (bytes32) {
        if (role == ICareLedgerAccess.Role.ROOT) return ROOT_ID;
        if (role == ICareLedgerAccess.Role.ADMIN) return ADMIN_ID;
        if (role == ICareLedgerAccess.Role.DOCTOR) return DOCTOR_ID;
        if (role == ICareLedgerAccess.Role.NURSE) return NURSE_ID;
        if (role == ICareLedgerAccess.Role.RECEPTIONIST) return RECEPTIONIST_ID;
        if (role == ICareLedgerAccess.Role.AUDITOR) return AUDITOR_ID;
        if (role == ICareLedgerAccess.Role.PATIENT) return PATIENT_ID;
        return UNKNOWN_ID;
    }

    /// @dev A second user holding `role` (ROOT has only one), used as "someone else".
    function _otherIdOf(ICareLedgerAccess.Role role) internal pure returns (bytes32) {
        if (role == ICareLedgerAccess.Role.ADMIN) return ADMIN2_ID;
        if (role == ICareLedgerAccess.Role.DOCTOR) return DOCTOR2_ID;
        if (role == ICareLedgerAccess.Role.PATIENT) return PATIENT2_ID;
        return bytes32(0);
    }

    // --------------------------------------------------------- enum names

    function _roleName(uint256 r) internal pure returns (string memory) {
        string[8] memory n = ["NONE", "ROOT", "ADMIN", "DOCTOR", "NURSE", "RECEPTIONIST", "AUDITOR", "PATIENT"];
        return n[r];
    }

    function _resourceName(uint256 r) internal pure returns (string memory) {
        string[6] memory n =
            ["USER_RECORD", "HEALTH_RECORD", "AUDIT_TRAIL", "CARE_TEAM", "EMERGENCY_ACCESS", "RESTRICTION"];
        return n[r];
    }

    function _actionName(uint256 a) internal pure returns (string memory) {
        string[5] memory n = ["CREATE", "READ", "UPDATE", "DELETE", "SEARCH"];
        return n[a];
    }

    function _scopeName(uint256 s) internal pure returns (string memory) {
        string[5] memory n = ["NONE", "OWN", "PATIENTS", "ANY", "CARE"];
        return n[s];
    }

    // ------------------------------------------------------------ matrix

    /// @dev The scope of cell i (enum order) in a packed matrix: 4 bits at 4·(i mod 64) of word i / 64.
    function _cellOf(uint256[4] memory m, uint256 i) internal pure returns (uint256) {
        return (m[i / 64] >> (4 * (i % 64))) & 15;
    }

    function _cellIndex(ICareLedgerAccess.Role role, ICareLedgerAccess.Resource res, ICareLedgerAccess.Action act)
        internal
        pure
        returns (uint256)
    {
        return ((uint256(role) - 1) * RESOURCE_COUNT + uint256(res)) * ACTION_COUNT + uint256(act);
    }

    function _assertMatrixEq(uint256[4] memory a, uint256[4] memory b, string memory what) internal pure {
        for (uint256 w; w < 4; ++w) {
            vm.assertEq(a[w], b[w], string.concat(what, ", word ", vm.toString(w)));
        }
    }

    // ---------------------------------------------------- reference model

    /// @dev What the care rules look at, read from the views (each view is checked against
    ///      the events elsewhere): the subject ever a patient, the actor's care-team membership
    ///      not ended, the subject admitted to the actor's department, a restriction of the
    ///      actor or of their department, the actor's break-the-glass grant in force.
    struct Care {
        bool everPatient;
        bool member;
        bool admitted;
        bool restricted;
        bool glass;
    }

    function _careFacts(bytes32 actor, bytes32 subject) internal view returns (Care memory c) {
        c.everPatient = everPatient[subject];
        (uint64 careUntil, uint64 glassUntil, bool restricted) = ledger.relationship(subject, actor);
        (uint32 department,) = ledger.departmentsOf(actor);
        (, uint32 admittedTo) = ledger.departmentsOf(subject);
        c.member = careUntil > block.timestamp;
        c.glass = glassUntil > block.timestamp;
        c.admitted = department != 0 && admittedTo == department;
        c.restricted = restricted || (department != 0 && ledger.departmentRestricted(subject, department));
    }

    function _privileged(ICareLedgerAccess.Role r) internal pure returns (bool) {
        return r == ICareLedgerAccess.Role.ROOT || r == ICareLedgerAccess.Role.ADMIN;
    }

    /// @dev The rules of the issues, written out literally and independently of the contract.
    function _model(
        ICareLedgerAccess.Role actorRole,
        ICareLedgerAccess.Scope scope,
        ICareLedgerAccess.Action action,
        ICareLedgerAccess.Resource resource,
        bool self,
        ICareLedgerAccess.Role subjectRole,
        ICareLedgerAccess.Role targetRole,
        Care memory care
    ) internal pure returns (bool approved) {
        (approved,) = _modelDecision(actorRole, scope, action, resource, self, subjectRole, targetRole, care);
    }

    /// @dev The verdict, and whether a break-the-glass grant decided it (EmergencyAccess follows).
    function _modelDecision(
        ICareLedgerAccess.Role actorRole,
        ICareLedgerAccess.Scope scope,
        ICareLedgerAccess.Action action,
        ICareLedgerAccess.Resource resource,
        bool self,
        ICareLedgerAccess.Role subjectRole,
        ICareLedgerAccess.Role targetRole,
        Care memory care
    ) internal pure returns (bool approved, bool emergency) {
        if (actorRole == ICareLedgerAccess.Role.NONE) return (false, false);
        if (scope == ICareLedgerAccess.Scope.NONE) return (false, false);
        bool search = action == ICareLedgerAccess.Action.SEARCH;
        bool ownRead = action == ICareLedgerAccess.Action.READ && self;
        bool touchesPrivileged = resource != ICareLedgerAccess.Resource.AUDIT_TRAIL
            && (_privileged(targetRole) || (!search && _privileged(subjectRole) && !ownRead));
        if (touchesPrivileged && actorRole != ICareLedgerAccess.Role.ROOT) return (false, false);
        bool targetOk = targetRole == ICareLedgerAccess.Role.NONE || targetRole == ICareLedgerAccess.Role.PATIENT;
        bool patientScope = scope == ICareLedgerAccess.Scope.PATIENTS || scope == ICareLedgerAccess.Scope.CARE;
        if (search) return (scope == ICareLedgerAccess.Scope.ANY || (patientScope && targetOk), false);
        if (scope == ICareLedgerAccess.Scope.OWN) return (self, false);
        if (scope == ICareLedgerAccess.Scope.ANY) return (true, false);
        // PATIENTS or CARE: first the subject must be a patient.
        bool patient;
        if (resource == ICareLedgerAccess.Resource.USER_RECORD) {
            // A user record is a live account: a patient is a PATIENT account. Registering one
            // needs no relationship, whatever the scope (there is nobody to care for yet).
            if (action == ICareLedgerAccess.Action.CREATE) {
                return (
                    targetRole == ICareLedgerAccess.Role.PATIENT
                        && (subjectRole == ICareLedgerAccess.Role.NONE || subjectRole == ICareLedgerAccess.Role.PATIENT),
                    false
                );
            }
            patient = subjectRole == ICareLedgerAccess.Role.PATIENT;
        } else {
            // Records outlive accounts: anyone ever a patient, unless ROOT or ADMIN now.
            patient = care.everPatient && !_privileged(subjectRole);
        }
        if (!patient || !targetOk) return (false, false);
        if (scope == ICareLedgerAccess.Scope.PATIENTS) return (true, false);
        // CARE: on health records a grant in force decides (over any restriction); else a
        // restriction denies; else a membership not ended, or an admission to the actor's
        // department. A grant opens records only, never the care team.
        if (care.glass && resource == ICareLedgerAccess.Resource.HEALTH_RECORD) return (true, true);
        if (care.restricted) return (false, false);
        return (care.member || care.admitted, false);
    }
}
