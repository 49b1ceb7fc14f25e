// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./utils/TestBase.sol";
import {CareFixture} from "./utils/CareFixture.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Break-the-glass: the grant and how long it lasts, the accesses it marks with
///        `EmergencyAccess`, its override of restrictions, its review, its duration setting
///        (ROOT only, within bounds), and its re-recording.
contract CareLedgerBreakGlassTest is CareFixture {
    ICareLedgerAccess.GlassReason constant EMERGENCY_TREATMENT = ICareLedgerAccess.GlassReason.EMERGENCY_TREATMENT;
    ICareLedgerAccess.GlassReason constant CONTINUITY_OF_CARE = ICareLedgerAccess.GlassReason.CONTINUITY_OF_CARE;
    ICareLedgerAccess.GlassReason constant OTHER = ICareLedgerAccess.GlassReason.OTHER;

    /// @dev Breaks the glass and checks the GlassBroken event, every field; returns the grant's end.
    function _break(bytes32 clinician, bytes32 patient, ICareLedgerAccess.GlassReason reason)
        internal
        returns (uint64 until, ICareLedgerAccess.LifecycleEntry memory e)
    {
        e = _breakGlass(clinician, patient, reason);
        Vm.Log memory log = _record(e);
        vm.assertEq(log.topics.length, 3, "two indexed");
        vm.assertEq(log.topics[0], GLASS_BROKEN_SIG, "GlassBroken");
        vm.assertEq(log.topics[1], clinician, "actor: the clinician");
        vm.assertEq(log.topics[2], patient, "patient");
        (bytes32 id, uint8 why, bytes32 justification, uint64 u, uint64 ts) =
            abi.decode(log.data, (bytes32, uint8, bytes32, uint64, uint64));
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(why, uint8(reason), "reason");
        vm.assertEq(justification, e.contentHash, "the justification's salted hash");
        vm.assertEq(u, block.timestamp + ledger.breakGlassDuration(), "until: now + the duration");
        vm.assertEq(ts, block.timestamp, "timestamp");
        until = u;
    }

    function test_breakGlass_grantsFourHours_andMarksEveryAccess() public {
        vm.assertEq(ledger.breakGlassDuration(), 4 hours, "default: four hours");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "not in their care");

        (uint64 until,) = _break(DOCTOR2_ID, PATIENT2_ID, EMERGENCY_TREATMENT);
        vm.assertEq(until, block.timestamp + FOUR_HOURS, "four hours from now");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, until, false, "a grant, no membership");

        // One batch: every access under the grant is marked right after its AccessRequested;
        // the others are not.
        ICareLedgerAccess.AccessRequest[] memory batch = new ICareLedgerAccess.AccessRequest[](6);
        batch[0] = _req(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, NONE);
        batch[1] = _req(DOCTOR2_ID, UPDATE, HEALTH, PATIENT2_ID, NONE);
        batch[2] = _req(DOCTOR_ID, READ, HEALTH, PATIENT2_ID, NONE); // another doctor: no grant
        batch[3] = _req(DOCTOR2_ID, READ, USER, PATIENT2_ID, NONE); // scope ANY: no grant needed
        batch[4] = _req(DOCTOR2_ID, READ, TEAM, PATIENT2_ID, NONE); // a grant opens records only
        batch[5] = _req(DOCTOR2_ID, CREATE, TEAM, PATIENT2_ID, NONE); // never the care team
        Vm.Log[] memory logs = _authorizeAll(batch);
        vm.assertEq(logs.length, 8, "six AccessRequested, two EmergencyAccess");
        _assertAccessRequested(logs[0], batch[0], true, "read under the grant");
        _assertEmergency(logs[1], batch[0], until, "read under the grant");
        _assertAccessRequested(logs[2], batch[1], true, "amend under the grant");
        _assertEmergency(logs[3], batch[1], until, "amend under the grant");
        _assertAccessRequested(logs[4], batch[2], false, "someone else's grant is no grant");
        _assertAccessRequested(logs[5], batch[3], true, "a user record: not an emergency access");
        _assertAccessRequested(logs[6], batch[4], false, "the care team is not opened by a grant");
        _assertAccessRequested(logs[7], batch[5], false, "nor may its holder join the team");

        vm.warp(until - 1);
        _decides(_req(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, NONE), true, until, "the grant's last second");
        vm.warp(until);
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "the grant has ended: denied, unmarked");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, until, false, "the end is kept");
    }

    function test_breakGlass_onlyWidensTheClinician_withinTheirCells() public {
        (uint64 until,) = _break(NURSE_ID, PATIENT2_ID, OTHER);
        _decides(_req(NURSE_ID, READ, HEALTH, PATIENT2_ID, NONE), true, until, "a nurse reads under the grant");
        _denied(NURSE_ID, CREATE, HEALTH, PATIENT2_ID, "the grant gives no cell the role lacks");
        _denied(NURSE_ID, DELETE, HEALTH, PATIENT2_ID, "nor deletion");
        _denied(NURSE_ID, READ, HEALTH, DOCTOR_ID, "a grant on one patient reaches no one else");
        _denied(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, "and only for the clinician who broke it");
    }

    function test_breakGlass_overridesRestrictions_andIsMarked() public {
        _record(_restrict(PATIENT_ID, DOCTOR_ID, 0, false));
        _record(_restrict(PATIENT_ID, bytes32(0), WARD, false));
        _denied(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "restricted by name, on the team");
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "restricted by department, in the ward");

        (uint64 doctorUntil,) = _break(DOCTOR_ID, PATIENT_ID, CONTINUITY_OF_CARE);
        (uint64 nurseUntil,) = _break(NURSE_ID, PATIENT_ID, EMERGENCY_TREATMENT);
        _decides(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE), true, doctorUntil, "the glass overrides the name");
        _decides(_req(NURSE_ID, UPDATE, HEALTH, PATIENT_ID, NONE), true, nurseUntil, "and the department");
        _assertRelationship(PATIENT_ID, DOCTOR_ID, type(uint64).max, doctorUntil, true, "the restriction stands");
        vm.assertTrue(ledger.departmentRestricted(PATIENT_ID, WARD), "both stand");

        vm.warp(doctorUntil);
        _denied(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "after the grant: restricted again, team or not");
        _denied(NURSE_ID, READ, HEALTH, PATIENT_ID, "both");
    }

    function test_breakGlass_onTheCareTeam_isStillMarked() public {
        (uint64 until,) = _break(DOCTOR_ID, PATIENT_ID, EMERGENCY_TREATMENT);
        _decides(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE), true, until, "a grant in force marks every access");
        vm.warp(until);
        _approved(DOCTOR_ID, READ, HEALTH, PATIENT_ID, "then the team alone, unmarked");
    }

    function test_breakGlass_again_startsFromThen_andACopyExtendsNothing() public {
        (uint64 first, ICareLedgerAccess.LifecycleEntry memory e) = _break(DOCTOR2_ID, PATIENT2_ID, OTHER);
        vm.warp(block.timestamp + 3 hours);
        _assertRefused(_record(e), e, ICareLedgerAccess.Refusal.REPLAYED, "the same glass broken again");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, first, false, "the copy extends nothing");
        (uint64 second,) = _break(DOCTOR2_ID, PATIENT2_ID, OTHER);
        vm.assertEq(second, first + 3 hours, "a new break: four hours from then");
        vm.warp(first);
        _decides(_req(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, NONE), true, second, "under the new grant");
    }

    function test_breakGlass_staleEntryNeverShortensAGrant() public {
        ICareLedgerAccess.LifecycleEntry memory late = _breakGlass(DOCTOR2_ID, PATIENT2_ID, OTHER); // 1
        vm.warp(block.timestamp + 1 hours);
        (uint64 until,) = _break(DOCTOR2_ID, PATIENT2_ID, OTHER); // 2
        _assertRefused(_record(late), late, ICareLedgerAccess.Refusal.STALE, "an older break delivered late");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, until, false, "the newer grant stands");
    }

    // ------------------------------------------------------------ review

    function test_glassReviewed_recordsTheVerdict_andChangesNothing() public {
        (uint64 until, ICareLedgerAccess.LifecycleEntry memory grant) = _break(DOCTOR2_ID, PATIENT2_ID, OTHER);
        ICareLedgerAccess.LifecycleEntry memory e = _review(AUDITOR_ID, PATIENT2_ID, DOCTOR2_ID, grant.entryId, true);
        Vm.Log memory log = _record(e);
        vm.assertEq(log.topics.length, 4, "three indexed");
        vm.assertEq(log.topics[0], GLASS_REVIEWED_SIG, "GlassReviewed");
        vm.assertEq(log.topics[1], AUDITOR_ID, "actor: the auditor");
        vm.assertEq(log.topics[2], PATIENT2_ID, "patient");
        vm.assertEq(log.topics[3], DOCTOR2_ID, "clinician");
        (bytes32 id, bytes32 grantId, bool justified, bytes32 note, uint64 ts) =
            abi.decode(log.data, (bytes32, bytes32, bool, bytes32, uint64));
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(grantId, grant.entryId, "the reviewed break");
        vm.assertTrue(justified, "justified");
        vm.assertEq(note, e.contentHash, "the note's salted hash");
        vm.assertEq(ts, block.timestamp, "timestamp");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, until, false, "a review changes no grant");
        _decides(_req(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, NONE), true, until, "still in force");

        e = _review(AUDITOR_ID, PATIENT2_ID, DOCTOR2_ID, grant.entryId, false);
        (,, justified,,) = abi.decode(_record(e).data, (bytes32, bytes32, bool, bytes32, uint64));
        vm.assertFalse(justified, "detail 0: not justified");
        // Stateless: a copy is emitted again, like a record version (the index flags it).
        Vm.Log memory copy = _record(e);
        vm.assertEq(copy.topics[0], GLASS_REVIEWED_SIG, "emitted again");
        vm.assertEq(keccak256(copy.data), keccak256(abi.encode(e.entryId, grant.entryId, false, e.contentHash, block.timestamp)), "the same fields");
    }

    // ------------------------------------------------------------ duration

    function test_setBreakGlassDuration_rootOnly() public {
        bytes32[5] memory others = [ADMIN_ID, DOCTOR_ID, AUDITOR_ID, UNKNOWN_ID, bytes32(0)];
        for (uint256 i; i < others.length; ++i) {
            vm.recordLogs();
            vm.prank(gateway);
            ledger.setBreakGlassDuration(others[i], 1 hours);
            Vm.Log[] memory logs = vm.getRecordedLogs();
            vm.assertEq(logs.length, 1, "one event");
            vm.assertEq(logs[0].topics[0], DURATION_DENIED_SIG, "BreakGlassDurationChangeDenied");
            vm.assertEq(logs[0].topics[1], others[i], "names the actor");
            (uint64 requested, uint64 ts) = abi.decode(logs[0].data, (uint64, uint64));
            vm.assertEq(requested, 1 hours, "requested");
            vm.assertEq(ts, block.timestamp, "timestamp");
            vm.assertEq(ledger.breakGlassDuration(), 4 hours, "unchanged");
        }

        (uint64 before,) = _break(DOCTOR2_ID, PATIENT2_ID, OTHER);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.setBreakGlassDuration(ROOT_ID, 1 hours);
        Vm.Log[] memory changed = vm.getRecordedLogs();
        vm.assertEq(changed.length, 1, "one event");
        vm.assertEq(changed[0].topics[0], DURATION_CHANGED_SIG, "BreakGlassDurationChanged");
        vm.assertEq(changed[0].topics[1], ROOT_ID, "names root");
        (uint64 previous, uint64 next, uint64 when) = abi.decode(changed[0].data, (uint64, uint64, uint64));
        vm.assertEq(previous, 4 hours, "previous");
        vm.assertEq(next, 1 hours, "new");
        vm.assertEq(when, block.timestamp, "timestamp");
        vm.assertEq(ledger.breakGlassDuration(), 1 hours, "applied");

        (uint64 after_,) = _break(NURSE_ID, PATIENT2_ID, OTHER);
        vm.assertEq(after_, block.timestamp + 1 hours, "a new grant lasts the new duration");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, before, false, "a grant in force keeps its end");
    }

    function test_setBreakGlassDuration_bounds() public {
        uint64[4] memory invalid = [uint64(0), 59, 7 days + 1, type(uint64).max];
        for (uint256 i; i < invalid.length; ++i) {
            // Checked before the actor: out of bounds is an api bug, whoever asks.
            vm.prank(gateway);
            vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerInvalidDuration.selector, invalid[i]));
            ledger.setBreakGlassDuration(ROOT_ID, invalid[i]);
            vm.prank(gateway);
            vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerInvalidDuration.selector, invalid[i]));
            ledger.setBreakGlassDuration(DOCTOR_ID, invalid[i]);
        }
        vm.startPrank(gateway);
        ledger.setBreakGlassDuration(ROOT_ID, 60);
        vm.assertEq(ledger.breakGlassDuration(), 60, "one minute is the least");
        ledger.setBreakGlassDuration(ROOT_ID, 7 days);
        vm.assertEq(ledger.breakGlassDuration(), 7 days, "seven days the most");
        vm.stopPrank();

        bytes32 gw = ledger.GATEWAY_ROLE();
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, admin, gw));
        ledger.setBreakGlassDuration(ROOT_ID, 1 hours);
    }

    // ------------------------------------------------------------ re-recording

    function test_recommit_glassBrokenKeepsItsOriginalTime() public {
        uint64 original = uint64(block.timestamp - 1 hours);
        ICareLedgerAccess.LifecycleEntry[] memory entries = _oneEntry(_breakGlass(DOCTOR2_ID, PATIENT2_ID, OTHER));
        ICareLedgerAccess.Original[] memory originals = new ICareLedgerAccess.Original[](1);
        originals[0] = ICareLedgerAccess.Original({
            transactionHash: keccak256("tx:glass"), blockNumber: 40, timestamp: original, approved: false
        });
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recommit(new ICareLedgerAccess.AccessRequest[](0), new ICareLedgerAccess.Original[](0), entries, originals);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 2, "GlassBroken, then its mark");
        vm.assertEq(logs[0].topics[0], GLASS_BROKEN_SIG, "GlassBroken");
        (,,, uint64 until, uint64 ts) = abi.decode(logs[0].data, (bytes32, uint8, bytes32, uint64, uint64));
        vm.assertEq(ts, original, "when the glass was really broken");
        vm.assertEq(until, original + FOUR_HOURS, "the grant runs from then");
        vm.assertEq(logs[1].topics[0], RE_RECORDED_SIG, "ReRecorded");
        vm.assertEq(logs[1].topics[1], entries[0].entryId, "marks the entry");
        _assertRelationship(PATIENT2_ID, DOCTOR2_ID, 0, original + FOUR_HOURS, false, "three hours left");
    }

    // ------------------------------------------------------------ fuzz

    /// @dev Any duration within bounds, any wait: approved (and marked, with the grant's end)
    ///      exactly while the grant is in force.
    /// forge-config: default.fuzz.runs = 256
    function testFuzz_glassExpiry(uint64 seconds_, uint64 wait, bool restricted) public {
        seconds_ = uint64(bound(seconds_, 60, 7 days));
        vm.prank(gateway);
        ledger.setBreakGlassDuration(ROOT_ID, seconds_);
        if (restricted) _record(_restrict(PATIENT2_ID, DOCTOR2_ID, 0, false));
        uint64 start = uint64(block.timestamp);
        (uint64 until,) = _break(DOCTOR2_ID, PATIENT2_ID, EMERGENCY_TREATMENT);
        vm.assertEq(until, start + seconds_, "until");
        vm.warp(start + bound(wait, 0, 8 days));
        bool inForce = block.timestamp < until;
        _decides(_req(DOCTOR2_ID, READ, HEALTH, PATIENT2_ID, NONE), inForce, inForce ? until : 0, "under the grant");
    }

    /// @dev Out of bounds reverts for anyone; within bounds only ROOT changes it, with one event either way.
    function testFuzz_setBreakGlassDuration(uint64 seconds_, uint256 actorSeed) public {
        bytes32[6] memory actors = [ROOT_ID, ADMIN_ID, DOCTOR_ID, AUDITOR_ID, UNKNOWN_ID, bytes32(0)];
        bytes32 actor = actors[actorSeed % actors.length];
        if ((actorSeed >> 128) % 2 == 0) seconds_ = uint64(bound(seconds_, 0, 8 days)); // near the bounds
        if (seconds_ < 60 || seconds_ > 7 days) {
            vm.prank(gateway);
            vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerInvalidDuration.selector, seconds_));
            ledger.setBreakGlassDuration(actor, seconds_);
            vm.assertEq(ledger.breakGlassDuration(), 4 hours, "unchanged");
            return;
        }
        vm.recordLogs();
        vm.prank(gateway);
        ledger.setBreakGlassDuration(actor, seconds_);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, "one event either way");
        vm.assertEq(logs[0].topics[1], actor, "names the actor");
        bool root = actor == ROOT_ID;
        vm.assertEq(logs[0].topics[0], root ? DURATION_CHANGED_SIG : DURATION_DENIED_SIG, "changed iff root");
        vm.assertEq(ledger.breakGlassDuration(), root ? seconds_ : 4 hours, "the duration");
    }
}
