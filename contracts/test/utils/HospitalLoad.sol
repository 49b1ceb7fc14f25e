// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICareLedgerAccess} from "../../src/ICareLedgerAccess.sol";

/// @dev A realistic hospital load, shared by the gas test and script/GasBench.s.sol:
///      100 distinct staff and patient actors, 200 distinct patients, batches in which every
///      request comes from a different user and about a third are denied; every clinician of
///      the mixed batches on the care team of the patient they read (`_careTeams`). And the
///      common case of the CARE scope on its own: 100 more clinicians, each reading the health
///      record of a patient whose care team they are on (`_careReads`).
abstract contract HospitalLoad {
    uint256 internal constant STAFF = 100; // distinct actors
    uint256 internal constant PATIENTS = 200; // distinct subjects
    uint256 internal constant CLINICIANS = 100; // distinct actors of the care reads, ids 2000..

    function _id(uint256 n) internal pure returns (bytes32) {
        return keccak256(abi.encode("careledger-user", n));
    }

    /// @dev Staff mix by index: 40 doctors, 20 nurses, 10 receptionists, 5 auditors,
    ///      5 admins, 20 patients acting on their own data. Ids 1000–1999 are patients; ids
    ///      from 2000 are clinicians, doctors and nurses in turn.
    function _roleOf(uint256 n) internal pure returns (ICareLedgerAccess.Role) {
        if (n >= 2000) return n % 2 == 0 ? ICareLedgerAccess.Role.DOCTOR : ICareLedgerAccess.Role.NURSE;
        if (n >= 1000) return ICareLedgerAccess.Role.PATIENT;
        uint256 k = n % 100;
        if (k < 40) return ICareLedgerAccess.Role.DOCTOR;
        if (k < 60) return ICareLedgerAccess.Role.NURSE;
        if (k < 70) return ICareLedgerAccess.Role.RECEPTIONIST;
        if (k < 75) return ICareLedgerAccess.Role.AUDITOR;
        if (k < 80) return ICareLedgerAccess.Role.ADMIN;
        return ICareLedgerAccess.Role.PATIENT;
    }

    /// @dev USER_ADDED entries for users from..from+count-1 (staff: 0..99, patients: 1000..).
    function _registrations(uint256 from, uint256 count)
        internal
        pure
        returns (ICareLedgerAccess.LifecycleEntry[] memory e)
    {
        e = new ICareLedgerAccess.LifecycleEntry[](count);
        for (uint256 i; i < count; ++i) {
            e[i] = ICareLedgerAccess.LifecycleEntry({
                entryId: keccak256(abi.encode("entry", from + i)),
                kind: ICareLedgerAccess.Lifecycle.USER_ADDED,
                actor: _id(0),
                subject: _id(from + i),
                recordId: bytes32(0),
                version: 0,
                contentHash: keccak256(abi.encode("row", from + i)),
                role: _roleOf(from + i),
                sequence: 1,
                counterpart: bytes32(0),
                department: 0,
                until: 0,
                detail: 0
            });
        }
    }

    /// @dev CARE_ADDED, by an administrator, of `clinician` to `patient`'s team (open-ended);
    ///      `sequence` is the patient's count of care changes.
    function _careAdded(uint256 clinician, uint256 patient, uint64 sequence)
        internal
        pure
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return ICareLedgerAccess.LifecycleEntry({
            entryId: keccak256(abi.encode("care-entry", clinician, patient)),
            kind: ICareLedgerAccess.Lifecycle.CARE_ADDED,
            actor: _id(75),
            subject: _id(patient),
            recordId: bytes32(0),
            version: 0,
            contentHash: bytes32(0),
            role: ICareLedgerAccess.Role.NONE,
            sequence: sequence,
            counterpart: _id(clinician),
            department: 0,
            until: 0,
            detail: 0
        });
    }

    /// @dev Each doctor and nurse of the mixed batches on the care team of the patient they
    ///      read in `_batch` (a distinct patient each: 7 and 200 are coprime): their reads are
    ///      approved, as in the hospital before the CARE scope.
    function _careTeams() internal pure returns (ICareLedgerAccess.LifecycleEntry[] memory e) {
        uint256 clinicians;
        for (uint256 i; i < STAFF; ++i) {
            if (_isClinician(_roleOf(i))) ++clinicians;
        }
        e = new ICareLedgerAccess.LifecycleEntry[](clinicians);
        uint256 k;
        for (uint256 i; i < STAFF; ++i) {
            if (_isClinician(_roleOf(i))) e[k++] = _careAdded(i, 1000 + (i * 7) % PATIENTS, 1);
        }
    }

    /// @dev Clinician 2000 + i on the care team of patient 1000 + i (the patient's second care
    ///      change: some have one from `_careTeams` already).
    function _careReadTeams(uint256 n) internal pure returns (ICareLedgerAccess.LifecycleEntry[] memory e) {
        e = new ICareLedgerAccess.LifecycleEntry[](n);
        for (uint256 i; i < n; ++i) {
            e[i] = _careAdded(2000 + i, 1000 + i, 2);
        }
    }

    /// @dev The common case of the CARE scope: clinician 2000 + i READs a health record of
    ///      patient 1000 + i, whose care team they are on. All approved.
    function _careReads(uint256 n) internal pure returns (ICareLedgerAccess.AccessRequest[] memory b) {
        b = new ICareLedgerAccess.AccessRequest[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 patient = _id(1000 + i);
            b[i] = ICareLedgerAccess.AccessRequest({
                requestId: keccak256(abi.encode("care-request", i)),
                actor: _id(2000 + i),
                action: ICareLedgerAccess.Action.READ,
                resource: ICareLedgerAccess.Resource.HEALTH_RECORD,
                subject: patient,
                recordId: keccak256(abi.encode("record", patient)),
                targetRole: ICareLedgerAccess.Role.NONE
            });
        }
    }

    function _isClinician(ICareLedgerAccess.Role role) internal pure returns (bool) {
        return role == ICareLedgerAccess.Role.DOCTOR || role == ICareLedgerAccess.Role.NURSE;
    }

    /// @dev Request i of a batch: actor i (distinct), a distinct patient, an action that suits
    ///      (or, every third request, does not suit) the actor's role.
    function _batch(uint256 n) internal pure returns (ICareLedgerAccess.AccessRequest[] memory b) {
        b = new ICareLedgerAccess.AccessRequest[](n);
        for (uint256 i; i < n; ++i) {
            ICareLedgerAccess.Role role = _roleOf(i);
            bytes32 actor = _id(i);
            bytes32 patient = _id(1000 + (i * 7) % PATIENTS);
            bool deny = i % 3 == 2;
            ICareLedgerAccess.AccessRequest memory r = ICareLedgerAccess.AccessRequest({
                requestId: keccak256(abi.encode("request", i)),
                actor: actor,
                action: ICareLedgerAccess.Action.READ,
                resource: ICareLedgerAccess.Resource.HEALTH_RECORD,
                subject: patient,
                recordId: keccak256(abi.encode("record", patient)),
                targetRole: ICareLedgerAccess.Role.NONE
            });
            if (role == ICareLedgerAccess.Role.DOCTOR || role == ICareLedgerAccess.Role.NURSE) {
                if (deny) r.action = ICareLedgerAccess.Action.DELETE; // nurses may not; doctors may
                if (deny && role == ICareLedgerAccess.Role.DOCTOR) r.subject = _id(i + 1); // a colleague
            } else if (role == ICareLedgerAccess.Role.RECEPTIONIST) {
                r.resource = ICareLedgerAccess.Resource.USER_RECORD;
                r.action = ICareLedgerAccess.Action.CREATE;
                r.subject = keccak256(abi.encode("new-patient", i));
                r.recordId = bytes32(0);
                r.targetRole = deny ? ICareLedgerAccess.Role.DOCTOR : ICareLedgerAccess.Role.PATIENT;
            } else if (role == ICareLedgerAccess.Role.AUDITOR) {
                r.resource = ICareLedgerAccess.Resource.AUDIT_TRAIL;
                r.action = deny ? ICareLedgerAccess.Action.DELETE : ICareLedgerAccess.Action.SEARCH;
                r.subject = bytes32(0);
                r.recordId = bytes32(0);
            } else if (role == ICareLedgerAccess.Role.ADMIN) {
                r.resource = ICareLedgerAccess.Resource.USER_RECORD;
                r.action = ICareLedgerAccess.Action.UPDATE;
                r.recordId = bytes32(0);
                if (deny) r.subject = _id(75 + (i + 1) % 5); // another admin
            } else {
                // a patient reading own record, or someone else's
                r.subject = deny ? patient : actor;
                r.recordId = keccak256(abi.encode("record", r.subject));
            }
            b[i] = r;
        }
    }

    /// @dev `n` sign-ins of distinct staff and patients (registered by `_registrations`), every
    ///      third one refused (SIGN_IN_FAILED at the account, zero actor): authentication
    ///      events as the api records them.
    function _authentications(uint256 n) internal pure returns (ICareLedgerAccess.LifecycleEntry[] memory b) {
        b = new ICareLedgerAccess.LifecycleEntry[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 user = _id(i);
            bool failed = i % 3 == 2;
            b[i] = ICareLedgerAccess.LifecycleEntry({
                entryId: keccak256(abi.encode("auth-entry", n, i)),
                kind: failed ? ICareLedgerAccess.Lifecycle.SIGN_IN_FAILED : ICareLedgerAccess.Lifecycle.SIGNED_IN,
                actor: failed ? bytes32(0) : user,
                subject: user,
                recordId: bytes32(0),
                version: 0,
                contentHash: bytes32(0),
                role: ICareLedgerAccess.Role.NONE,
                sequence: 0,
                counterpart: bytes32(0),
                department: 0,
                until: 0,
                detail: 0
            });
        }
    }
}
