// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./TestBase.sol";
import {LedgerFixture} from "./LedgerFixture.sol";
import {ICareLedgerAccess} from "../../src/ICareLedgerAccess.sol";

/// @dev The care suites' shared set-up on top of the hospital fixture: the api's care
///      sequences (per patient; per staff member for DEPARTMENT_ASSIGNED), entry builders that
///      number them as the api does, the care events' signatures written out (the ABI the Rust
///      api decodes), and helpers that submit one thing and return exactly what it emitted.
abstract contract CareFixture is LedgerFixture {
    ICareLedgerAccess.Lifecycle internal constant CARE_ADDED = ICareLedgerAccess.Lifecycle.CARE_ADDED;
    ICareLedgerAccess.Lifecycle internal constant CARE_ENDED = ICareLedgerAccess.Lifecycle.CARE_ENDED;
    ICareLedgerAccess.Lifecycle internal constant ADMITTED = ICareLedgerAccess.Lifecycle.ADMITTED;
    ICareLedgerAccess.Lifecycle internal constant DISCHARGED = ICareLedgerAccess.Lifecycle.DISCHARGED;
    ICareLedgerAccess.Lifecycle internal constant DEPARTMENT_ASSIGNED = ICareLedgerAccess.Lifecycle.DEPARTMENT_ASSIGNED;
    ICareLedgerAccess.Lifecycle internal constant GLASS_BROKEN = ICareLedgerAccess.Lifecycle.GLASS_BROKEN;
    ICareLedgerAccess.Lifecycle internal constant GLASS_REVIEWED = ICareLedgerAccess.Lifecycle.GLASS_REVIEWED;
    ICareLedgerAccess.Lifecycle internal constant RESTRICTED = ICareLedgerAccess.Lifecycle.RESTRICTED;
    ICareLedgerAccess.Lifecycle internal constant RESTRICTION_LIFTED = ICareLedgerAccess.Lifecycle.RESTRICTION_LIFTED;

    ICareLedgerAccess.Action internal constant CREATE = ICareLedgerAccess.Action.CREATE;
    ICareLedgerAccess.Action internal constant READ = ICareLedgerAccess.Action.READ;
    ICareLedgerAccess.Action internal constant UPDATE = ICareLedgerAccess.Action.UPDATE;
    ICareLedgerAccess.Action internal constant DELETE = ICareLedgerAccess.Action.DELETE;
    ICareLedgerAccess.Action internal constant SEARCH = ICareLedgerAccess.Action.SEARCH;
    ICareLedgerAccess.Resource internal constant USER = ICareLedgerAccess.Resource.USER_RECORD;
    ICareLedgerAccess.Resource internal constant HEALTH = ICareLedgerAccess.Resource.HEALTH_RECORD;
    ICareLedgerAccess.Resource internal constant TEAM = ICareLedgerAccess.Resource.CARE_TEAM;
    ICareLedgerAccess.Resource internal constant EMERGENCY = ICareLedgerAccess.Resource.EMERGENCY_ACCESS;
    ICareLedgerAccess.Resource internal constant RESTRICTION = ICareLedgerAccess.Resource.RESTRICTION;
    ICareLedgerAccess.Role internal constant NONE = ICareLedgerAccess.Role.NONE;

    /// @dev A second department (the fixture's nurse works in WARD).
    uint32 internal constant ICU = 3;
    uint64 internal constant FOUR_HOURS = 4 * 3600;

    bytes32 internal constant CARE_ADDED_SIG =
        keccak256("CareRelationshipAdded(bytes32,bytes32,bytes32,bytes32,uint64,uint64)");
    bytes32 internal constant CARE_ENDED_SIG = keccak256("CareRelationshipEnded(bytes32,bytes32,bytes32,bytes32,uint64)");
    bytes32 internal constant ADMITTED_SIG = keccak256("PatientAdmitted(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant DISCHARGED_SIG = keccak256("PatientDischarged(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant DEPARTMENT_SIG = keccak256("DepartmentAssigned(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant GLASS_BROKEN_SIG =
        keccak256("GlassBroken(bytes32,bytes32,bytes32,uint8,bytes32,uint64,uint64)");
    bytes32 internal constant GLASS_REVIEWED_SIG =
        keccak256("GlassReviewed(bytes32,bytes32,bytes32,bytes32,bytes32,bool,bytes32,uint64)");
    bytes32 internal constant RESTRICTED_SIG = keccak256("AccessRestricted(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant LIFTED_SIG = keccak256("RestrictionLifted(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant EMERGENCY_SIG = keccak256("EmergencyAccess(bytes32,bytes32,bytes32,uint64,uint64)");
    bytes32 internal constant DURATION_CHANGED_SIG =
        keccak256("BreakGlassDurationChanged(bytes32,uint64,uint64,uint64)");
    bytes32 internal constant DURATION_DENIED_SIG = keccak256("BreakGlassDurationChangeDenied(bytes32,uint64,uint64)");
    bytes32 internal constant REFUSED_SIG =
        keccak256("LifecycleRefused(bytes32,bytes32,bytes32,uint8,uint8,uint64,uint64)");
    bytes32 internal constant RE_RECORDED_SIG = keccak256("ReRecorded(bytes32,bytes32,uint64,uint64,uint64)");

    /// @dev The api's count of care changes: per patient, per staff member for departments.
    mapping(bytes32 systemId => uint64 count) internal careCount;

    function setUp() public virtual override {
        super.setUp();
        // What the fixture's care entries used (LedgerFixture.setUp).
        careCount[PATIENT_ID] = 2;
        careCount[NURSE_ID] = 1;
        careCount[FORMER_PATIENT_ID] = 1;
    }

    // ------------------------------------------------------------ builders

    function _next(bytes32 id) internal returns (uint64) {
        return ++careCount[id];
    }

    function _addCare(bytes32 actor, bytes32 patient, bytes32 clinician, uint64 until)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return _care(CARE_ADDED, actor, patient, clinician, 0, until, 0, _next(patient));
    }

    function _endCare(bytes32 actor, bytes32 patient, bytes32 clinician)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return _care(CARE_ENDED, actor, patient, clinician, 0, 0, 0, _next(patient));
    }

    function _admit(bytes32 actor, bytes32 patient, uint32 department)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return _care(ADMITTED, actor, patient, 0, department, 0, 0, _next(patient));
    }

    function _discharge(bytes32 actor, bytes32 patient) internal returns (ICareLedgerAccess.LifecycleEntry memory) {
        return _care(DISCHARGED, actor, patient, 0, 0, 0, 0, _next(patient));
    }

    function _assign(bytes32 actor, bytes32 staff, uint32 department)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return _care(DEPARTMENT_ASSIGNED, actor, staff, 0, department, 0, 0, _next(staff));
    }

    function _breakGlass(bytes32 clinician, bytes32 patient, ICareLedgerAccess.GlassReason reason)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory e)
    {
        e = _care(GLASS_BROKEN, clinician, patient, 0, 0, 0, uint8(reason), _next(patient));
        e.contentHash = keccak256(abi.encode("salted justification", clinician, patient, e.sequence));
    }

    function _review(bytes32 auditor, bytes32 patient, bytes32 clinician, bytes32 grantEntryId, bool justified)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory e)
    {
        e = _care(GLASS_REVIEWED, auditor, patient, clinician, 0, 0, justified ? 1 : 0, _next(patient));
        e.recordId = grantEntryId;
        e.contentHash = keccak256(abi.encode("salted note", grantEntryId));
    }

    /// @dev The patient restricts (or lifts) a staff member (`staff` ≠ 0) or a department.
    function _restrict(bytes32 patient, bytes32 staff, uint32 department, bool lift)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return _care(lift ? RESTRICTION_LIFTED : RESTRICTED, patient, patient, staff, department, 0, 0, _next(patient));
    }

    // ------------------------------------------------------------ submitting

    function _recordAll(ICareLedgerAccess.LifecycleEntry[] memory entries) internal returns (Vm.Log[] memory logs) {
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recordLifecycle(entries);
        logs = vm.getRecordedLogs();
    }

    /// @dev Records one entry; asserts it emitted exactly one event, from the ledger.
    function _record(ICareLedgerAccess.LifecycleEntry memory e) internal returns (Vm.Log memory) {
        Vm.Log[] memory logs = _recordAll(_oneEntry(e));
        vm.assertEq(logs.length, 1, "one event per entry");
        vm.assertEq(logs[0].emitter, address(ledger), "emitter");
        return logs[0];
    }

    function _authorizeAll(ICareLedgerAccess.AccessRequest[] memory batch) internal returns (Vm.Log[] memory logs) {
        vm.recordLogs();
        vm.prank(gateway);
        ledger.authorize(batch);
        logs = vm.getRecordedLogs();
    }

    /// @dev Decides `r` through `check` and `authorize` and asserts the exact events: one
    ///      `AccessRequested` with every field, then `EmergencyAccess` iff `grantedUntil` ≠ 0.
    function _decides(ICareLedgerAccess.AccessRequest memory r, bool approved, uint64 grantedUntil, string memory story)
        internal
    {
        vm.assertEq(ledger.check(r), approved, string.concat("check: ", story));
        Vm.Log[] memory logs = _authorizeAll(_one(r));
        vm.assertEq(logs.length, grantedUntil == 0 ? 1 : 2, string.concat("events: ", story));
        _assertAccessRequested(logs[0], r, approved, story);
        if (grantedUntil != 0) _assertEmergency(logs[1], r, grantedUntil, story);
    }

    function _approved(bytes32 actor, ICareLedgerAccess.Action a, ICareLedgerAccess.Resource res, bytes32 subject, string memory story)
        internal
    {
        _decides(_req(actor, a, res, subject, NONE), true, 0, story);
    }

    function _denied(bytes32 actor, ICareLedgerAccess.Action a, ICareLedgerAccess.Resource res, bytes32 subject, string memory story)
        internal
    {
        _decides(_req(actor, a, res, subject, NONE), false, 0, story);
    }

    // ------------------------------------------------------------ assertions

    function _assertAccessRequested(
        Vm.Log memory log,
        ICareLedgerAccess.AccessRequest memory r,
        bool approved,
        string memory story
    ) internal view {
        vm.assertEq(log.emitter, address(ledger), string.concat(story, ": emitter"));
        vm.assertEq(log.topics[0], ACCESS_REQUESTED_SIG, string.concat(story, ": AccessRequested"));
        vm.assertEq(log.topics[1], r.actor, string.concat(story, ": actor"));
        vm.assertEq(log.topics[2], r.subject, string.concat(story, ": subject"));
        vm.assertEq(log.topics[3], r.recordId, string.concat(story, ": recordId"));
        (bytes32 id, uint8 a, uint8 res, uint8 t, bool ok, uint64 ts) =
            abi.decode(log.data, (bytes32, uint8, uint8, uint8, bool, uint64));
        vm.assertEq(id, r.requestId, string.concat(story, ": requestId"));
        vm.assertEq(a, uint8(r.action), string.concat(story, ": action"));
        vm.assertEq(res, uint8(r.resource), string.concat(story, ": resource"));
        vm.assertEq(t, uint8(r.targetRole), string.concat(story, ": targetRole"));
        vm.assertEq(ok, approved, string.concat(story, ": approved"));
        vm.assertEq(ts, block.timestamp, string.concat(story, ": timestamp"));
    }

    function _assertEmergency(
        Vm.Log memory log,
        ICareLedgerAccess.AccessRequest memory r,
        uint64 grantedUntil,
        string memory story
    ) internal view {
        vm.assertEq(log.emitter, address(ledger), string.concat(story, ": emitter"));
        vm.assertEq(log.topics.length, 3, string.concat(story, ": two indexed"));
        vm.assertEq(log.topics[0], EMERGENCY_SIG, string.concat(story, ": EmergencyAccess"));
        vm.assertEq(log.topics[1], r.actor, string.concat(story, ": emergency actor"));
        vm.assertEq(log.topics[2], r.subject, string.concat(story, ": emergency subject"));
        (bytes32 id, uint64 until, uint64 ts) = abi.decode(log.data, (bytes32, uint64, uint64));
        vm.assertEq(id, r.requestId, string.concat(story, ": emergency requestId"));
        vm.assertEq(until, grantedUntil, string.concat(story, ": grantedUntil"));
        vm.assertEq(ts, block.timestamp, string.concat(story, ": emergency timestamp"));
    }

    function _assertRefused(
        Vm.Log memory log,
        ICareLedgerAccess.LifecycleEntry memory e,
        ICareLedgerAccess.Refusal reason,
        string memory story
    ) internal view {
        vm.assertEq(log.emitter, address(ledger), string.concat(story, ": emitter"));
        vm.assertEq(log.topics[0], REFUSED_SIG, string.concat(story, ": LifecycleRefused"));
        vm.assertEq(log.topics[1], e.actor, string.concat(story, ": actor"));
        vm.assertEq(log.topics[2], e.subject, string.concat(story, ": subject"));
        (bytes32 id, uint8 kind, uint8 why, uint64 seq, uint64 ts) =
            abi.decode(log.data, (bytes32, uint8, uint8, uint64, uint64));
        vm.assertEq(id, e.entryId, string.concat(story, ": entryId"));
        vm.assertEq(kind, uint8(e.kind), string.concat(story, ": kind"));
        vm.assertEq(why, uint8(reason), string.concat(story, ": reason"));
        vm.assertEq(seq, e.sequence, string.concat(story, ": sequence"));
        vm.assertEq(ts, block.timestamp, string.concat(story, ": timestamp"));
    }

    function _assertRelationship(
        bytes32 patient,
        bytes32 staff,
        uint64 careUntil,
        uint64 glassUntil,
        bool restricted,
        string memory story
    ) internal view {
        (uint64 c, uint64 g, bool r) = ledger.relationship(patient, staff);
        vm.assertEq(c, careUntil, string.concat(story, ": careUntil"));
        vm.assertEq(g, glassUntil, string.concat(story, ": glassUntil"));
        vm.assertEq(r, restricted, string.concat(story, ": restricted"));
    }

    function _assertDepartments(bytes32 id, uint32 member, uint32 admitted, string memory story) internal view {
        (uint32 m, uint32 a) = ledger.departmentsOf(id);
        vm.assertEq(m, member, string.concat(story, ": member of"));
        vm.assertEq(a, admitted, string.concat(story, ": admitted to"));
    }
}
