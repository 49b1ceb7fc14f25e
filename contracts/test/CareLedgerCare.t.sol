// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./utils/TestBase.sol";
import {CareFixture} from "./utils/CareFixture.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";

/// @title Care relationships: care teams and their end, admissions by department, staff
///        departments, patients' restrictions, the care sequences, malformed care entries, and
///        records that outlive accounts — each with its exact events and verdicts.
/// @notice The fixture: DOCTOR on PATIENT_ID's care team (open-ended); NURSE in WARD, where
///         PATIENT_ID is admitted; DOCTOR on FORMER_PATIENT_ID's team, whose account is deleted.
///         DOCTOR2 and PATIENT2 have no relationship with anyone.
contract CareLedgerCareTest is CareFixture {
    // ------------------------------------------------------------ codes

    function test_care_enumCodesAreAppended() public pure {
        // Shared with the api's bindings: appended after the codes it already knows.
        assert(uint8(ICareLedgerAccess.Resource.AUDIT_TRAIL) == 2);
        assert(uint8(ICareLedgerAccess.Resource.CARE_TEAM) == 3);
        assert(uint8(ICareLedgerAccess.Resource.EMERGENCY_ACCESS) == 4);
        assert(uint8(ICareLedgerAccess.Resource.RESTRICTION) == 5);
        assert(uint8(ICareLedgerAccess.Scope.ANY) == 3);
        assert(uint8(ICareLedgerAccess.Scope.CARE) == 4);
        assert(uint8(ICareLedgerAccess.Lifecycle.FACTOR_RESET) == 11);
        assert(uint8(CARE_ADDED) == 12);
        assert(uint8(CARE_ENDED) == 13);
        assert(uint8(ADMITTED) == 14);
        assert(uint8(DISCHARGED) == 15);
        assert(uint8(DEPARTMENT_ASSIGNED) == 16);
        assert(uint8(GLASS_BROKEN) == 17);
        assert(uint8(GLASS_REVIEWED) == 18);
        assert(uint8(RESTRICTED) == 19);
        assert(uint8(RESTRICTION_LIFTED) == 20);
        assert(uint8(ICareLedgerAccess.GlassReason.EMERGENCY_TREATMENT) == 0);
        assert(uint8(ICareLedgerAccess.GlassReason.CONTINUITY_OF_CARE) == 1);
        assert(uint8(ICareLedgerAccess.GlassReason.PATIENT_REQUEST) == 2);
        assert(uint8(ICareLedgerAccess.GlassReason.OTHER) == 3);
    }

    // ------------------------------------------------------------ care teams

    function test_careAdded_reachesThePatient_withEveryField() public {
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, 0, false, "before");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "not on the team yet");

        uint64 until = uint64(block.timestamp + 30 days);
        ICareLedgerAccess.LifecycleEntry memory e = _addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, until);
        Vm.Log memory log = _record(e);
        vm.assertEq(log.topics.length, 4, "three indexed");
        vm.assertEq(log.topics[0], CARE_ADDED_SIG, "CareRelationshipAdded");
        vm.assertEq(log.topics[1], ADMIN_ID, "actor");
        vm.assertEq(log.topics[2], PATIENT2_ID, "patient");
        vm.assertEq(log.topics[3], DOCTOR2_ID, "clinician");
        (bytes32 id, uint64 u, uint64 ts) = abi.decode(log.data, (bytes32, uint64, uint64));
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(u, until, "until");
        vm.assertEq(ts, block.timestamp, "timestamp");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, until, 0, false, "after");

        _approved(DOCTOR2_ID, CREATE, HEALTH, PATIENT2_ID, "the doctor writes a note");
        _approved(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "reads the chart");
        _approved(DOCTOR2_ID, UPDATE, HEALTH, PATIENT2_ID, "amends");
        _approved(DOCTOR2_ID, DELETE, HEALTH, PATIENT2_ID, "deletes");
        _approved(DOCTOR2_ID, READ, TEAM, PATIENT2_ID, "sees the team");
        _approved(DOCTOR2_ID, CREATE, TEAM, PATIENT2_ID, "adds a colleague");
        _denied(DOCTOR2_ID, SEARCH, HEALTH, bytes32(0), "health records are still not searchable");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT_ID, "another patient: not on that team");
        _assertRelationship(PATIENT_ID, DOCTOR2_ID, 0, 0, false, "no relationship with the other patient");
    }

    function test_careAdded_openEnded_lastsUntilEnded() public {
        Vm.Log memory log = _record(_addCare(ADMIN_ID, PATIENT2_ID, NURSE_ID, 0));
        (, uint64 u,) = abi.decode(log.data, (bytes32, uint64, uint64));
        vm.assertEq(u, 0, "the event says open-ended");
        _assertRelationship(PATIENT2_ID, NURSE_ID, type(uint64).max, 0, false, "stored as never ending");
        vm.warp(block.timestamp + 50 * 365 days);
        _approved(NURSE_ID, READ, HEALTH, PATIENT2_ID, "fifty years later");
        _denied(NURSE_ID, CREATE, HEALTH, PATIENT2_ID, "the team does not widen the nurse's cells");
    }

    function test_careExpiry_endsAtUntil() public {
        uint64 until = uint64(block.timestamp + 1 days);
        _record(_addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, until));
        vm.warp(until - 1);
        _approved(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "the last second of the consult");
        vm.warp(until);
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "ended at until");
        _denied(DOCTOR2_ID, READ, TEAM, PATIENT2_ID, "and the team with it");
        vm.warp(until + 365 days);
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "a year later");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, until, 0, false, "the end is kept, nothing written");
    }

    function test_careAdded_alreadyOver_reachesNobody() public {
        // A consult recorded after it ended (the outbox was down): evidence, no access.
        uint64 until = uint64(block.timestamp - 1);
        _record(_addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, until));
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, until, 0, false, "stored as given");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "over already");
    }

    function test_careEnded_withEveryField_andAddedAgain() public {
        ICareLedgerAccess.LifecycleEntry memory e = _endCare(DOCTOR_ID, PATIENT_ID, DOCTOR_ID);
        Vm.Log memory log = _record(e);
        vm.assertEq(log.topics[0], CARE_ENDED_SIG, "CareRelationshipEnded");
        vm.assertEq(log.topics[1], DOCTOR_ID, "actor");
        vm.assertEq(log.topics[2], PATIENT_ID, "patient");
        vm.assertEq(log.topics[3], DOCTOR_ID, "clinician");
        (bytes32 id, uint64 ts) = abi.decode(log.data, (bytes32, uint64));
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(ts, block.timestamp, "timestamp");
        _assertRelationship(PATIENT_ID, DOCTOR_ID, 0, 0, false, "ended");
        _denied(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "off the team");
        _approved(NURSE_ID, READ, HEALTH, PATIENT_ID, "the ward's nurse is not affected");

        _record(_addCare(ADMIN_ID, PATIENT_ID, DOCTOR_ID, 0));
        _approved(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "back on the team");
    }

    // ------------------------------------------------------------ departments

    function test_admission_reachesTheDepartment_untilDischarged() public {
        ICareLedgerAccess.LifecycleEntry memory a = _assign(ADMIN_ID, DOCTOR2_ID, ICU);
        Vm.Log memory log = _record(a);
        vm.assertEq(log.topics.length, 3, "two indexed");
        vm.assertEq(log.topics[0], DEPARTMENT_SIG, "DepartmentAssigned");
        vm.assertEq(log.topics[1], ADMIN_ID, "actor");
        vm.assertEq(log.topics[2], DOCTOR2_ID, "staff");
        (uint32 d, bytes32 id, uint64 ts) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, ICU, "department");
        vm.assertEq(id, a.entryId, "entryId");
        vm.assertEq(ts, block.timestamp, "timestamp");
        _assertDepartments(DOCTOR2_ID, ICU, 0, "the doctor works in the ICU");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "the patient is not in the ICU");

        ICareLedgerAccess.LifecycleEntry memory adm = _admit(RECEPTIONIST_ID, PATIENT2_ID, ICU);
        log = _record(adm);
        vm.assertEq(log.topics[0], ADMITTED_SIG, "PatientAdmitted");
        vm.assertEq(log.topics[1], RECEPTIONIST_ID, "actor");
        vm.assertEq(log.topics[2], PATIENT2_ID, "patient");
        (d, id, ts) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, ICU, "department");
        vm.assertEq(id, adm.entryId, "entryId");
        vm.assertEq(ts, block.timestamp, "timestamp");
        _assertDepartments(PATIENT2_ID, 0, ICU, "admitted to the ICU");
        _approved(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "the ICU's doctor");
        _approved(DOCTOR2_ID, UPDATE, TEAM, PATIENT2_ID, "may discharge");
        _denied(NURSE_ID, READ, HEALTH, PATIENT2_ID, "the ward's nurse may not");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, 0, false, "no membership involved");

        ICareLedgerAccess.LifecycleEntry memory dis = _discharge(RECEPTIONIST_ID, PATIENT2_ID);
        log = _record(dis);
        vm.assertEq(log.topics[0], DISCHARGED_SIG, "PatientDischarged");
        vm.assertEq(log.topics[1], RECEPTIONIST_ID, "actor");
        vm.assertEq(log.topics[2], PATIENT2_ID, "patient");
        (d, id, ts) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, ICU, "the department left");
        vm.assertEq(id, dis.entryId, "entryId");
        _assertDepartments(PATIENT2_ID, 0, 0, "discharged");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "after the discharge");
    }

    function test_admission_transferMovesTheReach() public {
        _record(_admit(RECEPTIONIST_ID, PATIENT_ID, ICU));
        _assertDepartments(PATIENT_ID, 0, ICU, "transferred");
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "the ward's nurse, once the patient left the ward");
        _approved(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "the team follows the patient");
    }

    function test_dischargeWhenNotAdmitted_recordsDepartmentZero() public {
        Vm.Log memory log = _record(_discharge(RECEPTIONIST_ID, PATIENT2_ID));
        (uint32 d,,) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, 0, "left no department");
        _assertDepartments(PATIENT2_ID, 0, 0, "nothing changed");
    }

    function test_departmentAssigned_movesTheStaffMember() public {
        _record(_assign(ADMIN_ID, NURSE_ID, ICU));
        _assertDepartments(NURSE_ID, ICU, 0, "moved");
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "no longer in the patient's ward");
        _record(_assign(ADMIN_ID, NURSE_ID, WARD));
        _approved(NURSE_ID, READ, HEALTH, PATIENT_ID, "back");
        Vm.Log memory log = _record(_assign(ADMIN_ID, NURSE_ID, 0));
        (uint32 d,,) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, 0, "no department");
        _assertDepartments(NURSE_ID, 0, 0, "in none");
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "a department 0 reaches no admission");
    }

    // ------------------------------------------------------------ restrictions

    function test_restrictedStaff_isDeniedEvenOnTheCareTeam() public {
        ICareLedgerAccess.LifecycleEntry memory e = _restrict(PATIENT_ID, DOCTOR_ID, 0, false);
        Vm.Log memory log = _record(e);
        vm.assertEq(log.topics.length, 3, "two indexed");
        vm.assertEq(log.topics[0], RESTRICTED_SIG, "AccessRestricted");
        vm.assertEq(log.topics[1], PATIENT_ID, "patient");
        vm.assertEq(log.topics[2], DOCTOR_ID, "staff");
        (uint32 d, bytes32 id, uint64 ts) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, 0, "not a department");
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(ts, block.timestamp, "timestamp");
        _assertRelationship(PATIENT_ID, DOCTOR_ID, type(uint64).max, 0, true, "on the team, restricted");

        // Denied exactly like a doctor with no relationship: one event, nothing more.
        _denied(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "restricted, on the team");
        _denied(DOCTOR_ID, UPDATE, HEALTH, PATIENT_ID, "nor amend");
        _denied(DOCTOR_ID, READ, TEAM, PATIENT_ID, "nor see the team");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT_ID, "as a doctor with no relationship");
        _approved(NURSE_ID, READ, HEALTH, PATIENT_ID, "the nurse is not restricted");
        _approved(DOCTOR_ID, READ, HEALTH, FORMER_PATIENT_ID, "nor the doctor for another patient");
        _approved(DOCTOR_ID, READ, USER, PATIENT_ID, "user records are not the patient's to restrict");

        e = _restrict(PATIENT_ID, DOCTOR_ID, 0, true);
        log = _record(e);
        vm.assertEq(log.topics[0], LIFTED_SIG, "RestrictionLifted");
        vm.assertEq(log.topics[1], PATIENT_ID, "patient");
        vm.assertEq(log.topics[2], DOCTOR_ID, "staff");
        (d, id, ts) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, 0, "not a department");
        vm.assertEq(id, e.entryId, "entryId");
        _assertRelationship(PATIENT_ID, DOCTOR_ID, type(uint64).max, 0, false, "lifted");
        _approved(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "lifted: the team reaches again");
    }

    function test_restrictedStaff_withoutRelationship_storesOnlyTheRestriction() public {
        _record(_restrict(PATIENT2_ID, DOCTOR2_ID, 0, false));
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, 0, true, "a restriction before any care");
        _record(_addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0));
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "added to the team later, still restricted");
    }

    function test_restrictedDepartment_deniesItsStaff() public {
        ICareLedgerAccess.LifecycleEntry memory e = _restrict(PATIENT_ID, bytes32(0), WARD, false);
        Vm.Log memory log = _record(e);
        vm.assertEq(log.topics[0], RESTRICTED_SIG, "AccessRestricted");
        vm.assertEq(log.topics[1], PATIENT_ID, "patient");
        vm.assertEq(log.topics[2], bytes32(0), "no staff member");
        (uint32 d, bytes32 id,) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, WARD, "the department");
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertTrue(ledger.departmentRestricted(PATIENT_ID, WARD), "restricted");
        vm.assertFalse(ledger.departmentRestricted(PATIENT_ID, ICU), "only that one");
        vm.assertFalse(ledger.departmentRestricted(PATIENT2_ID, WARD), "only for that patient");

        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "the ward's nurse, though the patient is in the ward");
        _approved(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "the team's doctor works in no department");
        _record(_assign(ADMIN_ID, DOCTOR_ID, WARD));
        _denied(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "until they join the restricted ward: on the team or not");
        _record(_assign(ADMIN_ID, DOCTOR_ID, ICU));
        _approved(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "and leaves it");

        e = _restrict(PATIENT_ID, bytes32(0), WARD, true);
        log = _record(e);
        vm.assertEq(log.topics[0], LIFTED_SIG, "RestrictionLifted");
        vm.assertEq(log.topics[2], bytes32(0), "no staff member");
        (d,,) = abi.decode(log.data, (uint32, bytes32, uint64));
        vm.assertEq(d, WARD, "the department");
        vm.assertFalse(ledger.departmentRestricted(PATIENT_ID, WARD), "lifted");
        _approved(NURSE_ID, READ, HEALTH, PATIENT_ID, "the ward reaches again");
    }

    function test_restrictedDepartments_countedOnce() public {
        // The contract counts a patient's restricted departments to skip the look-up for the
        // many who restrict none: restricting one twice, or lifting another, must not unbalance it.
        _record(_restrict(PATIENT_ID, bytes32(0), WARD, false));
        _record(_restrict(PATIENT_ID, bytes32(0), ICU, false));
        _record(_restrict(PATIENT_ID, bytes32(0), WARD, false)); // again: no change
        _record(_restrict(PATIENT_ID, bytes32(0), ICU, true));
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "WARD still restricted");
        _record(_restrict(PATIENT_ID, bytes32(0), ICU, true)); // lifted again: no change
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "WARD still restricted after a second lift of ICU");
        _record(_restrict(PATIENT_ID, bytes32(0), WARD, true));
        _approved(NURSE_ID, READ, HEALTH, PATIENT_ID, "nothing restricted");
        _record(_restrict(PATIENT_ID, bytes32(0), WARD, false));
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "restricted once more");
    }

    // ------------------------------------------------------------ sequences

    /// @dev Each piece of state takes an entry only when newer than the last it took: the same
    ///      entry again is REPLAYED, an older one (delivered late) STALE; the rest of the batch stands.
    function test_careSequences_replayedAndStaleAreRefused() public {
        ICareLedgerAccess.LifecycleEntry memory ended = _endCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID); // 1, delivered late
        ICareLedgerAccess.LifecycleEntry memory added = _addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0); // 2
        _record(added);
        _assertRefused(_record(added), added, ICareLedgerAccess.Refusal.REPLAYED, "care: the same entry again");
        _assertRefused(_record(ended), ended, ICareLedgerAccess.Refusal.STALE, "care: the older end");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, type(uint64).max, 0, false, "the newer membership stands");

        ICareLedgerAccess.LifecycleEntry memory discharge = _discharge(RECEPTIONIST_ID, PATIENT2_ID); // 3, late
        ICareLedgerAccess.LifecycleEntry memory admit = _admit(RECEPTIONIST_ID, PATIENT2_ID, ICU); // 4
        _record(admit);
        _assertRefused(_record(admit), admit, ICareLedgerAccess.Refusal.REPLAYED, "admission again");
        _assertRefused(_record(discharge), discharge, ICareLedgerAccess.Refusal.STALE, "older discharge");
        _assertDepartments(PATIENT2_ID, 0, ICU, "still admitted");

        ICareLedgerAccess.LifecycleEntry memory oldDept = _assign(ADMIN_ID, DOCTOR2_ID, WARD); // doctor's 1
        ICareLedgerAccess.LifecycleEntry memory newDept = _assign(ADMIN_ID, DOCTOR2_ID, ICU); // doctor's 2
        _record(newDept);
        _assertRefused(_record(newDept), newDept, ICareLedgerAccess.Refusal.REPLAYED, "department again");
        _assertRefused(_record(oldDept), oldDept, ICareLedgerAccess.Refusal.STALE, "older department");
        _assertDepartments(DOCTOR2_ID, ICU, 0, "the newer department");

        ICareLedgerAccess.LifecycleEntry memory restrict = _restrict(PATIENT2_ID, DOCTOR2_ID, 0, false); // 5
        ICareLedgerAccess.LifecycleEntry memory lift = _restrict(PATIENT2_ID, DOCTOR2_ID, 0, true); // 6
        _record(lift);
        _assertRefused(_record(restrict), restrict, ICareLedgerAccess.Refusal.STALE, "older restriction");
        _assertRefused(_record(lift), lift, ICareLedgerAccess.Refusal.REPLAYED, "lift again");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, type(uint64).max, 0, false, "never restricted by the late copy");

        ICareLedgerAccess.LifecycleEntry memory wardOn = _restrict(PATIENT2_ID, bytes32(0), ICU, false); // 7
        ICareLedgerAccess.LifecycleEntry memory wardOff = _restrict(PATIENT2_ID, bytes32(0), ICU, true); // 8
        _record(wardOff);
        _assertRefused(_record(wardOn), wardOn, ICareLedgerAccess.Refusal.STALE, "older department restriction");
        vm.assertFalse(ledger.departmentRestricted(PATIENT2_ID, ICU), "not restricted by the late copy");
        _approved(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "team and ICU admission both reach");

        // In a batch the refusal is an event like the others; the rest stands.
        ICareLedgerAccess.LifecycleEntry[] memory batch = new ICareLedgerAccess.LifecycleEntry[](2);
        batch[0] = ended;
        batch[1] = _endCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID); // 9
        Vm.Log[] memory logs = _recordAll(batch);
        vm.assertEq(logs.length, 2, "one event per entry");
        _assertRefused(logs[0], ended, ICareLedgerAccess.Refusal.STALE, "in a batch");
        vm.assertEq(logs[1].topics[0], CARE_ENDED_SIG, "the next one applies");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, 0, false, "ended");
    }

    function test_careSequences_arePerPieceOfState() public {
        // Patient 2's count reaches 3 on DOCTOR2's membership; an entry numbered 1 for another
        // piece of the same patient (NURSE's membership, delivered late) is still newer there.
        ICareLedgerAccess.LifecycleEntry memory nurse = _addCare(ADMIN_ID, PATIENT2_ID, NURSE_ID, 0); // 1
        _record(_addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0)); // 2
        _record(_restrict(PATIENT2_ID, DOCTOR2_ID, 0, false)); // 3: the same slot, another piece
        _record(nurse);
        _assertRelationship(PATIENT2_ID, NURSE_ID, type(uint64).max, 0, false, "the late entry took its own piece");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, type(uint64).max, 0, true, "membership and restriction");
        // The restriction's number (3) does not make the membership's (2) stale, nor the reverse.
        _record(_endCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID)); // 4
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, 0, true, "ended, still restricted");
    }

    // ------------------------------------------------------------ malformed

    /// @dev A malformed care entry is an api bug: it reverts the whole batch, naming its
    ///      index, entry id and field. Batch = [a valid entry, the malformed one].
    function _rejects(ICareLedgerAccess.LifecycleEntry memory bad, bytes4 error, string memory field) internal {
        ICareLedgerAccess.LifecycleEntry[] memory batch = new ICareLedgerAccess.LifecycleEntry[](2);
        batch[0] = _care(CARE_ADDED, ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0, 0, 0, 1);
        batch[1] = bad;
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(error, 1, bad.entryId, field));
        ledger.recordLifecycle(batch);
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, 0, false, string.concat(field, ": nothing applied"));
    }

    function test_malformedCareEntries_revertNamingTheField() public {
        bytes4 zero = ICareLedgerAccess.CareLedgerZeroIdentifier.selector;
        bytes4 invalid = ICareLedgerAccess.CareLedgerInvalidLifecycleField.selector;
        _rejects(_care(CARE_ADDED, bytes32(0), PATIENT_ID, NURSE_ID, 0, 0, 0, 5), zero, "actor");
        _rejects(_care(GLASS_BROKEN, DOCTOR_ID, bytes32(0), 0, 0, 0, 0, 5), zero, "subject");
        _rejects(_care(ADMITTED, RECEPTIONIST_ID, PATIENT_ID, 0, ICU, 0, 0, 0), invalid, "sequence");
        _rejects(_care(RESTRICTED, PATIENT_ID, PATIENT_ID, DOCTOR_ID, 0, 0, 0, uint64(type(uint32).max) + 1), invalid, "sequence");
        _rejects(_care(CARE_ADDED, ADMIN_ID, PATIENT_ID, 0, 0, 0, 0, 5), zero, "counterpart");
        _rejects(_care(CARE_ENDED, ADMIN_ID, PATIENT_ID, 0, 0, 0, 0, 5), zero, "counterpart");
        _rejects(_care(ADMITTED, RECEPTIONIST_ID, PATIENT_ID, 0, 0, 0, 0, 5), invalid, "department");
        _rejects(_care(GLASS_BROKEN, DOCTOR_ID, PATIENT_ID, 0, 0, 0, 4, 5), invalid, "detail");
        ICareLedgerAccess.LifecycleEntry memory review = _care(GLASS_REVIEWED, AUDITOR_ID, PATIENT_ID, DOCTOR_ID, 0, 0, 1, 5);
        _rejects(review, zero, "recordId");
        review.recordId = keccak256("grant");
        review.counterpart = bytes32(0);
        _rejects(review, zero, "counterpart");
        review.counterpart = DOCTOR_ID;
        review.detail = 2;
        _rejects(review, invalid, "detail");
        _rejects(_care(RESTRICTED, PATIENT_ID, PATIENT_ID, DOCTOR_ID, WARD, 0, 0, 5), invalid, "department");
        _rejects(_care(RESTRICTION_LIFTED, PATIENT_ID, PATIENT_ID, 0, 0, 0, 0, 5), zero, "counterpart");
        // The largest sequence the contract keeps is fine.
        _record(_care(CARE_ADDED, ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0, 0, 0, type(uint32).max));
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, type(uint64).max, 0, false, "sequence 2^32 - 1 applies");
    }

    // ------------------------------------------------------------ records outlive accounts

    function test_recordsOutliveAccounts_deletedPatient() public {
        // The fixture's former patient: deleted, DOCTOR still on the care team.
        vm.assertEq(uint256(ledger.roleOf(FORMER_PATIENT_ID)), 0, "no account");
        _approved(DOCTOR_ID, READ, HEALTH, FORMER_PATIENT_ID, "the team's doctor reads the kept record");
        _approved(DOCTOR_ID, UPDATE, HEALTH, FORMER_PATIENT_ID, "and amends it");
        _denied(DOCTOR2_ID, READ, HEALTH, FORMER_PATIENT_ID, "no relationship, no access");
        _denied(FORMER_PATIENT_ID, READ, HEALTH, FORMER_PATIENT_ID, "the patient's own access ended");
        _approved(ADMIN_ID, UPDATE, TEAM, FORMER_PATIENT_ID, "administrators still manage the team");
        _denied(RECEPTIONIST_ID, UPDATE, USER, FORMER_PATIENT_ID, "but the account itself is gone");

        // Deleting a patient now: the same, from one block to the next.
        _approved(PATIENT_ID, READ, HEALTH, PATIENT_ID, "before: own record");
        ICareLedgerAccess.LifecycleEntry memory del = _userAdded(ADMIN_ID, PATIENT_ID, NONE);
        del.kind = ICareLedgerAccess.Lifecycle.USER_DELETED;
        del.entryId = keccak256("delete the patient");
        del.sequence = 2;
        _record(del);
        _denied(PATIENT_ID, READ, HEALTH, PATIENT_ID, "after: own access ended");
        _denied(PATIENT_ID, READ, ICareLedgerAccess.Resource.AUDIT_TRAIL, PATIENT_ID, "and own trail");
        _approved(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "the team's doctor");
        _approved(NURSE_ID, READ, HEALTH, PATIENT_ID, "the ward's nurse: the admission stands");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT_ID, "nobody else");
    }

    function test_recordsOutliveAccounts_roleChanges() public {
        _record(_addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0));
        ICareLedgerAccess.LifecycleEntry memory change = _userAdded(ADMIN_ID, PATIENT2_ID, ICareLedgerAccess.Role.NURSE);
        change.kind = ICareLedgerAccess.Lifecycle.ROLE_CHANGED;
        change.entryId = keccak256("to nurse");
        change.sequence = 2;
        _record(change);
        _approved(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "a patient who became a nurse: the records stay");
        _denied(PATIENT2_ID, READ, HEALTH, PATIENT2_ID, "their own chart now needs a relationship like anyone's");
        _denied(RECEPTIONIST_ID, UPDATE, USER, PATIENT2_ID, "a nurse's account is no patient's");

        change.role = ICareLedgerAccess.Role.ADMIN;
        change.sequence = 3;
        change.entryId = keccak256("to admin");
        _record(change);
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "ROOT and ADMIN accounts are out of reach");
    }

    function test_neverAPatient_isNeverReached() public {
        // Care entries are trusted, but a relationship makes no patient.
        _record(_addCare(ADMIN_ID, DOCTOR2_ID, DOCTOR_ID, 0));
        _denied(DOCTOR_ID, READ, HEALTH, DOCTOR2_ID, "a colleague's chart");
        _record(_addCare(ADMIN_ID, UNKNOWN_ID, DOCTOR_ID, 0));
        _denied(DOCTOR_ID, READ, HEALTH, UNKNOWN_ID, "an unknown id");
        _record(_addCare(ADMIN_ID, ADMIN2_ID, DOCTOR_ID, 0));
        _denied(DOCTOR_ID, READ, HEALTH, ADMIN2_ID, "an administrator");
    }

    // ------------------------------------------------------------ the new resources

    function test_careResources_defaultCells() public {
        _approved(DOCTOR_ID, CREATE, TEAM, PATIENT_ID, "a doctor on the team adds a colleague");
        _approved(DOCTOR_ID, DELETE, TEAM, PATIENT_ID, "and ends a membership");
        _denied(DOCTOR2_ID, CREATE, TEAM, PATIENT_ID, "a doctor off the team does not");
        _approved(NURSE_ID, READ, TEAM, PATIENT_ID, "the ward's nurse sees the team");
        _denied(NURSE_ID, CREATE, TEAM, PATIENT_ID, "but changes nothing");
        _approved(RECEPTIONIST_ID, UPDATE, TEAM, PATIENT2_ID, "the front desk admits any patient");
        _denied(RECEPTIONIST_ID, UPDATE, TEAM, DOCTOR_ID, "but no doctor");
        _denied(RECEPTIONIST_ID, CREATE, TEAM, PATIENT2_ID, "nor builds care teams");
        _approved(ADMIN_ID, CREATE, TEAM, PATIENT2_ID, "administrators manage memberships");
        _approved(PATIENT_ID, READ, TEAM, PATIENT_ID, "a patient sees their team");
        _denied(PATIENT_ID, READ, TEAM, PATIENT2_ID, "not another's");

        _approved(DOCTOR2_ID, CREATE, EMERGENCY, PATIENT2_ID, "any doctor may break the glass on a patient");
        _approved(NURSE_ID, CREATE, EMERGENCY, PATIENT2_ID, "any nurse too");
        _denied(DOCTOR2_ID, CREATE, EMERGENCY, DOCTOR_ID, "not on a colleague");
        _denied(RECEPTIONIST_ID, CREATE, EMERGENCY, PATIENT2_ID, "not the front desk");
        _approved(AUDITOR_ID, SEARCH, EMERGENCY, bytes32(0), "auditors list the reviews");
        _approved(AUDITOR_ID, UPDATE, EMERGENCY, PATIENT_ID, "and close them");
        _denied(DOCTOR_ID, READ, EMERGENCY, PATIENT_ID, "clinicians do not review");

        _approved(PATIENT_ID, CREATE, RESTRICTION, PATIENT_ID, "a patient restricts");
        _approved(PATIENT_ID, READ, RESTRICTION, PATIENT_ID, "lists their restrictions");
        _approved(PATIENT_ID, DELETE, RESTRICTION, PATIENT_ID, "lifts one");
        _denied(PATIENT_ID, CREATE, RESTRICTION, PATIENT2_ID, "never for another patient");
        _denied(DOCTOR_ID, READ, RESTRICTION, PATIENT_ID, "a restriction is never revealed to staff");
        _denied(FORMER_PATIENT_ID, READ, RESTRICTION, FORMER_PATIENT_ID, "nor to a deleted account");
    }

    function test_commit_decidesRequestsBeforeCareEntries() public {
        ICareLedgerAccess.AccessRequest[] memory reqs = _one(_req(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, NONE));
        ICareLedgerAccess.LifecycleEntry memory e = _addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.commit(reqs, _oneEntry(e));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 2, "the request, then the entry");
        _assertAccessRequested(logs[0], reqs[0], false, "decided before the membership");
        vm.assertEq(logs[1].topics[0], CARE_ADDED_SIG, "then added");
        vm.assertTrue(ledger.check(reqs[0]), "approved from now on");
    }

    // ------------------------------------------------------------ fuzz

    /// forge-config: default.fuzz.runs = 256
    function testFuzz_careExpiry(uint64 untilSeed, uint64 later, bool openEnded) public {
        uint64 start = uint64(block.timestamp);
        uint64 until = openEnded ? 0 : uint64(bound(untilSeed, start + 1, start + 3650 days));
        _record(_addCare(ADMIN_ID, PATIENT2_ID, NURSE_ID, until));
        vm.warp(bound(later, start, start + 4000 days));
        bool active = openEnded || block.timestamp < until;
        _decides(_req(NURSE_ID, READ, HEALTH, PATIENT2_ID, NONE), active, 0, "membership until its end");
        _decides(_req(NURSE_ID, CREATE, HEALTH, PATIENT2_ID, NONE), false, 0, "never beyond the cell");
    }

    /// @dev Whatever the resource, the action, the membership or admission: a restricted
    ///      clinician (by name or by department) is denied wherever the scope is CARE.
    function testFuzz_restrictedClinicianIsDeniedUnderCare(
        uint256 resourceSeed,
        uint256 actionSeed,
        bool byDepartment,
        bool onTeam,
        bool admitted
    ) public {
        ICareLedgerAccess.Resource resource = ICareLedgerAccess.Resource(resourceSeed % RESOURCE_COUNT);
        ICareLedgerAccess.Action action = ICareLedgerAccess.Action(actionSeed % 4); // SEARCH has no subject
        _record(_assign(ADMIN_ID, DOCTOR2_ID, ICU));
        if (onTeam) _record(_addCare(ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0));
        if (admitted) _record(_admit(RECEPTIONIST_ID, PATIENT2_ID, ICU));
        _record(_restrict(PATIENT2_ID, byDepartment ? bytes32(0) : DOCTOR2_ID, byDepartment ? ICU : 0, false));
        ICareLedgerAccess.AccessRequest memory r = _req(DOCTOR2_ID, action, resource, PATIENT2_ID, NONE);
        ICareLedgerAccess.Scope scope = ledger.permission(ICareLedgerAccess.Role.DOCTOR, resource, action);
        bool expected = _model(
            ICareLedgerAccess.Role.DOCTOR, scope, action, resource, false, ICareLedgerAccess.Role.PATIENT, NONE,
            _careFacts(DOCTOR2_ID, PATIENT2_ID)
        );
        if (scope == ICareLedgerAccess.Scope.CARE) vm.assertFalse(expected, "the model agrees: restricted");
        _decides(r, expected, 0, "restricted clinician");
    }

    /// @dev A random care state (the actor's department, a membership with a random end or
    ///      ended, an admission, restrictions by name and by department, a grant), a random
    ///      wait, a random request — and, half the time, the cell under test set to CARE by
    ///      ROOT: the verdict and the EmergencyAccess mark equal the reference model's.
    /// forge-config: default.fuzz.runs = 1024
    function testFuzz_careDecisionMatchesModel(uint256 state, uint256 request, uint64 wait) public {
        ICareLedgerAccess.AccessRequest memory r = _fuzzRequest(request);
        uint64 start = uint64(block.timestamp);
        // The state is built for the patient the request names (SEARCH: for PATIENT2).
        _fuzzCareState(r.actor, r.subject == bytes32(0) ? PATIENT2_ID : r.subject, state, start);
        vm.warp(start + bound(wait, 0, 6 hours));
        _decidesAsModel(r);
    }

    function _fuzzRequest(uint256 request) internal returns (ICareLedgerAccess.AccessRequest memory r) {
        bytes32[3] memory clinicians = [DOCTOR2_ID, NURSE_ID, DOCTOR_ID];
        bytes32[4] memory subjects = [PATIENT2_ID, FORMER_PATIENT_ID, PATIENT_ID, DOCTOR2_ID];
        uint8[3] memory targets = [0, 7, 3]; // NONE, PATIENT, DOCTOR
        ICareLedgerAccess.Action action = ICareLedgerAccess.Action((request >> 24) % ACTION_COUNT);
        r = _req(
            clinicians[request % 3],
            action,
            ICareLedgerAccess.Resource((request >> 16) % RESOURCE_COUNT),
            action == SEARCH ? bytes32(0) : subjects[(request >> 8) % 4],
            ICareLedgerAccess.Role(targets[(request >> 32) % 3])
        );
        if ((request >> 40) % 2 == 0) {
            ICareLedgerAccess.Role role = ledger.roleOf(r.actor);
            vm.prank(gateway);
            ledger.setPermission(ROOT_ID, role, r.resource, r.action, ICareLedgerAccess.Scope.CARE);
        }
    }

    function _fuzzCareState(bytes32 actor, bytes32 patient, uint256 state, uint64 start) internal {
        uint32[3] memory departments = [uint32(0), WARD, ICU];
        _record(_assign(ADMIN_ID, actor, departments[state % 3]));
        uint256 membership = (state >> 8) % 4; // none, until a random time, open-ended, ended
        if (membership != 0) {
            _record(_addCare(ADMIN_ID, patient, actor, membership == 1 ? start + uint64((state >> 16) % 12 hours) : 0));
        }
        if (membership == 3) _record(_endCare(ADMIN_ID, patient, actor));
        if ((state >> 32) % 3 != 0) _record(_admit(RECEPTIONIST_ID, patient, departments[(state >> 32) % 3]));
        if ((state >> 40) % 4 == 0) _record(_restrict(patient, actor, 0, false));
        if ((state >> 48) % 3 != 0) _record(_restrict(patient, bytes32(0), departments[(state >> 48) % 3], false));
        if ((state >> 56) % 3 == 0) _record(_breakGlass(actor, patient, ICareLedgerAccess.GlassReason.OTHER));
    }

    function _decidesAsModel(ICareLedgerAccess.AccessRequest memory r) internal {
        ICareLedgerAccess.Role actorRole = ledger.roleOf(r.actor);
        (bool approved, bool emergency) = _modelDecision(
            actorRole,
            ledger.permission(actorRole, r.resource, r.action),
            r.action,
            r.resource,
            r.subject == r.actor,
            ledger.roleOf(r.subject),
            r.targetRole,
            _careFacts(r.actor, r.subject)
        );
        (, uint64 glassUntil,) = ledger.relationship(r.subject, r.actor);
        _decides(r, approved, emergency ? glassUntil : 0, "decision == model");
    }

    /// @dev Two entries for the same piece of state, in either order: the second applies iff
    ///      its sequence is higher, else it is REPLAYED (equal) or STALE (lower).
    function testFuzz_careSequences(uint32 first, uint32 second, uint256 piece) public {
        first = uint32(bound(first, 1, type(uint32).max));
        second = uint32(bound(second, 1, type(uint32).max));
        piece %= 4;
        ICareLedgerAccess.LifecycleEntry memory a = _pieceEntry(piece, first, false);
        ICareLedgerAccess.LifecycleEntry memory b = _pieceEntry(piece, second, true);
        _record(a);
        Vm.Log memory log = _record(b);
        if (second > first) {
            vm.assertTrue(log.topics[0] != REFUSED_SIG, "a newer entry applies");
        } else {
            _assertRefused(
                log,
                b,
                second == first ? ICareLedgerAccess.Refusal.REPLAYED : ICareLedgerAccess.Refusal.STALE,
                "an entry no newer is refused"
            );
        }
        // State: the second entry's when it applied, else the first's.
        bool secondWon = second > first;
        if (piece == 0) {
            _assertRelationship(PATIENT2_ID, DOCTOR2_ID, secondWon ? 0 : type(uint64).max, 0, false, "membership");
        } else if (piece == 1) {
            _assertDepartments(PATIENT2_ID, 0, secondWon ? 0 : ICU, "admission");
        } else if (piece == 2) {
            _assertDepartments(DOCTOR2_ID, secondWon ? WARD : ICU, 0, "department");
        } else {
            vm.assertEq(ledger.departmentRestricted(PATIENT2_ID, ICU), !secondWon, "department restriction");
        }
    }

    /// @dev piece 0: membership (add, then end); 1: admission (admit, then discharge);
    ///      2: DOCTOR2's department (ICU, then WARD); 3: restriction of ICU (on, then lifted).
    function _pieceEntry(uint256 piece, uint64 sequence, bool second)
        internal
        pure
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        if (piece == 0) {
            return _care(second ? CARE_ENDED : CARE_ADDED, ADMIN_ID, PATIENT2_ID, DOCTOR2_ID, 0, 0, 0, sequence);
        }
        if (piece == 1) {
            return _care(second ? DISCHARGED : ADMITTED, RECEPTIONIST_ID, PATIENT2_ID, 0, second ? 0 : ICU, 0, 0, sequence);
        }
        if (piece == 2) return _care(DEPARTMENT_ASSIGNED, ADMIN_ID, DOCTOR2_ID, 0, second ? WARD : ICU, 0, 0, sequence);
        return _care(second ? RESTRICTION_LIFTED : RESTRICTED, PATIENT2_ID, PATIENT2_ID, 0, ICU, 0, 0, sequence);
    }
}
