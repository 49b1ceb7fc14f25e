// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./utils/TestBase.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {CareLedgerAccess} from "../src/CareLedgerAccess.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Unit tests: hospital stories with literal verdicts, lifecycle, matrix changes, gateways.
contract CareLedgerAccessTest is LedgerFixture {
    ICareLedgerAccess.Action constant CREATE = ICareLedgerAccess.Action.CREATE;
    ICareLedgerAccess.Action constant READ = ICareLedgerAccess.Action.READ;
    ICareLedgerAccess.Action constant UPDATE = ICareLedgerAccess.Action.UPDATE;
    ICareLedgerAccess.Action constant DELETE = ICareLedgerAccess.Action.DELETE;
    ICareLedgerAccess.Action constant SEARCH = ICareLedgerAccess.Action.SEARCH;
    ICareLedgerAccess.Resource constant USER = ICareLedgerAccess.Resource.USER_RECORD;
    ICareLedgerAccess.Resource constant HEALTH = ICareLedgerAccess.Resource.HEALTH_RECORD;
    ICareLedgerAccess.Resource constant AUDIT = ICareLedgerAccess.Resource.AUDIT_TRAIL;
    ICareLedgerAccess.Role constant NONE = ICareLedgerAccess.Role.NONE;
    ICareLedgerAccess.Role constant ROOT = ICareLedgerAccess.Role.ROOT;
    ICareLedgerAccess.Role constant ADMIN = ICareLedgerAccess.Role.ADMIN;
    ICareLedgerAccess.Role constant DOCTOR = ICareLedgerAccess.Role.DOCTOR;
    ICareLedgerAccess.Role constant NURSE = ICareLedgerAccess.Role.NURSE;
    ICareLedgerAccess.Role constant PATIENT = ICareLedgerAccess.Role.PATIENT;
    ICareLedgerAccess.Role constant AUDITOR = ICareLedgerAccess.Role.AUDITOR;

    bytes32 constant NEW_USER = keccak256("user:new");

    function _expect(
        bytes32 actor,
        ICareLedgerAccess.Action a,
        ICareLedgerAccess.Resource r,
        bytes32 subject,
        ICareLedgerAccess.Role t,
        bool verdict,
        string memory story
    ) internal {
        ICareLedgerAccess.AccessRequest memory req = _req(actor, a, r, subject, t);
        vm.assertEq(ledger.check(req), verdict, string.concat("check: ", story));
        vm.assertEq(_authorizeOne(req), verdict, string.concat("authorize: ", story));
    }

    // ------------------------------------------------------------ stories

    function test_stories_clinicians() public {
        _expect(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE, true, "doctor reads a patient's record");
        _expect(DOCTOR_ID, CREATE, HEALTH, PATIENT_ID, NONE, true, "doctor creates a patient's record");
        _expect(DOCTOR_ID, UPDATE, HEALTH, PATIENT_ID, NONE, true, "doctor amends a patient's record");
        _expect(DOCTOR_ID, DELETE, HEALTH, PATIENT_ID, NONE, true, "doctor deletes a patient's record");
        _expect(DOCTOR_ID, READ, HEALTH, DOCTOR2_ID, NONE, false, "doctor reads a colleague's record");
        _expect(DOCTOR_ID, READ, HEALTH, DOCTOR_ID, NONE, false, "doctor reads own health record (not a patient)");
        _expect(DOCTOR_ID, READ, HEALTH, UNKNOWN_ID, NONE, false, "doctor reads an unknown subject");
        _expect(DOCTOR_ID, SEARCH, HEALTH, bytes32(0), NONE, false, "health records are not searchable");
        _expect(DOCTOR_ID, SEARCH, USER, bytes32(0), NONE, true, "doctor finds users");
        _expect(DOCTOR_ID, SEARCH, USER, bytes32(0), ADMIN, false, "doctor cannot search admin accounts");
        _expect(DOCTOR_ID, SEARCH, USER, bytes32(0), ROOT, false, "doctor cannot search root accounts");
        _expect(DOCTOR_ID, READ, USER, PATIENT_ID, NONE, true, "doctor reads a patient's user record");
        _expect(DOCTOR_ID, READ, USER, ROOT_ID, NONE, false, "doctor reads root's user record");
        _expect(DOCTOR_ID, UPDATE, USER, PATIENT_ID, NONE, false, "doctor edits a user record");
        _expect(DOCTOR_ID, READ, AUDIT, PATIENT_ID, NONE, false, "doctor reads the audit trail");
        _expect(NURSE_ID, READ, HEALTH, PATIENT_ID, NONE, true, "nurse reads a patient's record");
        _expect(NURSE_ID, UPDATE, HEALTH, PATIENT_ID, NONE, true, "nurse amends a patient's record");
        _expect(NURSE_ID, CREATE, HEALTH, PATIENT_ID, NONE, false, "nurse creates a record");
        _expect(NURSE_ID, DELETE, HEALTH, PATIENT_ID, NONE, false, "nurse deletes a record");
        _expect(NURSE_ID, READ, HEALTH, NURSE_ID, NONE, false, "nurse reads own health record");
        // The fixture's relationships: the doctor is on PATIENT_ID's care team, the nurse works
        // in the ward PATIENT_ID is admitted to; nobody cares for PATIENT2.
        _expect(DOCTOR2_ID, READ, HEALTH, PATIENT_ID, NONE, false, "doctor reads a patient not in their care");
        _expect(DOCTOR_ID, READ, HEALTH, PATIENT2_ID, NONE, false, "doctor reads a patient with no care team");
        _expect(NURSE_ID, READ, HEALTH, PATIENT2_ID, NONE, false, "nurse reads a patient not admitted to their ward");
    }

    function test_stories_frontDesk() public {
        bytes32 r = RECEPTIONIST_ID;
        _expect(r, CREATE, USER, NEW_USER, PATIENT, true, "receptionist registers a patient");
        _expect(r, CREATE, USER, NEW_USER, DOCTOR, false, "receptionist registers a doctor");
        _expect(r, CREATE, USER, NEW_USER, ADMIN, false, "receptionist registers an admin");
        _expect(r, CREATE, USER, NEW_USER, NONE, false, "receptionist registers without a role");
        _expect(r, CREATE, USER, DOCTOR_ID, PATIENT, false, "receptionist re-registers a doctor as patient");
        _expect(r, UPDATE, USER, PATIENT_ID, NONE, true, "receptionist updates a patient's details");
        _expect(r, UPDATE, USER, PATIENT_ID, DOCTOR, false, "receptionist promotes a patient to doctor");
        _expect(r, UPDATE, USER, DOCTOR_ID, NONE, false, "receptionist updates a doctor's details");
        _expect(r, DELETE, USER, PATIENT_ID, NONE, false, "receptionist deletes a patient");
        _expect(r, READ, USER, NURSE_ID, NONE, true, "receptionist reads a nurse's user record");
        _expect(r, READ, HEALTH, PATIENT_ID, NONE, false, "receptionist reads a health record");
    }

    function test_stories_adminAndRoot() public {
        _expect(ADMIN_ID, CREATE, USER, NEW_USER, DOCTOR, true, "admin creates a doctor");
        _expect(ADMIN_ID, CREATE, USER, NEW_USER, ADMIN, false, "admin creates an admin");
        _expect(ADMIN_ID, CREATE, USER, NEW_USER, ROOT, false, "admin creates a root");
        _expect(ADMIN_ID, UPDATE, USER, DOCTOR_ID, NURSE, true, "admin changes a doctor's role");
        _expect(ADMIN_ID, UPDATE, USER, PATIENT_ID, ADMIN, false, "admin promotes a patient to admin");
        _expect(ADMIN_ID, DELETE, USER, PATIENT_ID, NONE, true, "admin deletes a patient");
        _expect(ADMIN_ID, READ, USER, ADMIN2_ID, NONE, false, "admin reads another admin");
        _expect(ADMIN_ID, UPDATE, USER, ADMIN2_ID, NONE, false, "admin edits another admin");
        _expect(ADMIN_ID, DELETE, USER, ROOT_ID, NONE, false, "admin deletes root");
        _expect(ADMIN_ID, READ, USER, ADMIN_ID, NONE, true, "admin reads own account");
        _expect(ADMIN_ID, UPDATE, USER, ADMIN_ID, NONE, false, "admin edits own account");
        _expect(ADMIN_ID, SEARCH, USER, bytes32(0), NONE, true, "admin searches users");
        _expect(ADMIN_ID, SEARCH, USER, bytes32(0), ADMIN, false, "admin searches admins");
        _expect(ADMIN_ID, READ, HEALTH, PATIENT_ID, NONE, false, "admin reads a health record");
        _expect(ADMIN_ID, READ, AUDIT, ADMIN_ID, NONE, false, "admin reads the audit trail");
        _expect(ROOT_ID, CREATE, USER, NEW_USER, ADMIN, true, "root creates an admin");
        _expect(ROOT_ID, DELETE, USER, ADMIN_ID, NONE, true, "root deletes an admin");
        _expect(ROOT_ID, UPDATE, USER, ROOT_ID, NONE, true, "root edits own account");
        _expect(ROOT_ID, SEARCH, USER, bytes32(0), ADMIN, true, "root searches admins");
        _expect(ROOT_ID, READ, AUDIT, ADMIN_ID, NONE, true, "root reads an admin's trail");
        _expect(ROOT_ID, READ, HEALTH, PATIENT_ID, NONE, false, "root reads a health record");
    }

    function test_stories_auditorAndPatient() public {
        _expect(AUDITOR_ID, SEARCH, AUDIT, bytes32(0), NONE, true, "auditor searches the trail");
        _expect(AUDITOR_ID, READ, AUDIT, PATIENT_ID, NONE, true, "auditor reads a patient's trail");
        _expect(AUDITOR_ID, READ, AUDIT, ADMIN_ID, NONE, true, "auditor reads an admin's trail");
        _expect(AUDITOR_ID, READ, AUDIT, ROOT_ID, NONE, true, "auditor reads root's trail");
        _expect(AUDITOR_ID, READ, USER, PATIENT_ID, NONE, true, "auditor reads a user record");
        _expect(AUDITOR_ID, READ, USER, ADMIN_ID, NONE, false, "auditor reads an admin account");
        _expect(AUDITOR_ID, READ, HEALTH, PATIENT_ID, NONE, false, "auditor reads a health record");
        _expect(AUDITOR_ID, UPDATE, AUDIT, PATIENT_ID, NONE, false, "auditor edits the trail");
        _expect(PATIENT_ID, READ, USER, PATIENT_ID, NONE, true, "patient reads own user record");
        _expect(PATIENT_ID, READ, HEALTH, PATIENT_ID, NONE, true, "patient reads own health record");
        _expect(PATIENT_ID, READ, AUDIT, PATIENT_ID, NONE, true, "patient reads who accessed them");
        _expect(PATIENT_ID, READ, HEALTH, PATIENT2_ID, NONE, false, "patient reads another patient's record");
        _expect(PATIENT_ID, READ, AUDIT, PATIENT2_ID, NONE, false, "patient reads another patient's trail");
        _expect(PATIENT_ID, UPDATE, USER, PATIENT_ID, NONE, false, "patient edits own user record");
        _expect(PATIENT_ID, UPDATE, HEALTH, PATIENT_ID, NONE, false, "patient edits own health record");
        _expect(PATIENT_ID, SEARCH, USER, bytes32(0), NONE, false, "patient searches users");
        _expect(UNKNOWN_ID, READ, USER, UNKNOWN_ID, NONE, false, "unknown actor reads itself");
        _expect(bytes32(0), READ, USER, bytes32(0), NONE, false, "zero actor");
    }

    // ------------------------------------------------------------ authorize

    function test_authorize_emitsEveryFieldOncePerRequest_andDeniedDoesNotRevert() public {
        ICareLedgerAccess.AccessRequest[] memory batch = new ICareLedgerAccess.AccessRequest[](3);
        batch[0] = _req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE);
        batch[1] = _req(PATIENT_ID, READ, HEALTH, PATIENT2_ID, NONE); // denied
        batch[2] = _req(RECEPTIONIST_ID, CREATE, USER, NEW_USER, PATIENT);
        batch[1].requestId = bytes32(uint256(42));
        vm.warp(1_900_000_000);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.authorize(batch);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 3, "three events");
        bool[3] memory verdicts = [true, false, true];
        for (uint256 i; i < 3; ++i) {
            vm.assertEq(logs[i].emitter, address(ledger), "emitter");
            vm.assertEq(logs[i].topics.length, 4, "three indexed");
            vm.assertEq(logs[i].topics[0], ACCESS_REQUESTED_SIG, "signature");
            vm.assertEq(logs[i].topics[1], batch[i].actor, "actor");
            vm.assertEq(logs[i].topics[2], batch[i].subject, "subject");
            vm.assertEq(logs[i].topics[3], batch[i].recordId, "recordId");
            (bytes32 id, uint8 a, uint8 r, uint8 t, bool ok, uint64 ts) =
                abi.decode(logs[i].data, (bytes32, uint8, uint8, uint8, bool, uint64));
            vm.assertEq(id, batch[i].requestId, "requestId");
            vm.assertEq(a, uint8(batch[i].action), "action");
            vm.assertEq(r, uint8(batch[i].resource), "resource");
            vm.assertEq(t, uint8(batch[i].targetRole), "targetRole");
            vm.assertEq(ok, verdicts[i], "approved");
            vm.assertEq(ts, 1_900_000_000, "timestamp");
        }
    }

    function test_authorize_emptyBatchReverts() public {
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerEmptyBatch.selector));
        ledger.authorize(new ICareLedgerAccess.AccessRequest[](0));
    }

    function test_authorize_rejectsOutOfRangeEnumInCalldata() public {
        // Layout: selector, offset, length, then the 7 words of the request; its word 2 is
        // `action` (calldata word 4), word 3 `resource` (calldata word 5).
        vm.assertTrue(_callWithWord(4, uint256(DELETE)), "control: action 3 is fine");
        vm.assertFalse(_callWithWord(4, 5), "action 5 does not exist");
        vm.assertTrue(_callWithWord(5, uint256(ICareLedgerAccess.Resource.RESTRICTION)), "resource 5 exists");
        vm.assertFalse(_callWithWord(5, 6), "resource 6 does not exist");
    }

    /// @dev `authorize` of one doctor's request with calldata word `word` (after the selector) set to `value`.
    function _callWithWord(uint256 word, uint256 value) internal returns (bool ok) {
        bytes memory data = abi.encodeCall(ledger.authorize, (_one(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE))));
        assembly {
            mstore(add(data, add(36, mul(word, 32))), value)
        }
        vm.prank(gateway);
        (ok,) = address(ledger).call(data);
    }

    function test_checkBatch_matchesCheck() public view {
        ICareLedgerAccess.AccessRequest[] memory batch = new ICareLedgerAccess.AccessRequest[](4);
        batch[0] = _req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE);
        batch[1] = _req(PATIENT_ID, READ, HEALTH, PATIENT2_ID, NONE);
        batch[2] = _req(ADMIN_ID, DELETE, USER, ROOT_ID, NONE);
        batch[3] = _req(ROOT_ID, DELETE, USER, ADMIN_ID, NONE);
        bool[] memory v = ledger.checkBatch(batch);
        vm.assertEq(v.length, 4, "one verdict per request");
        for (uint256 i; i < 4; ++i) {
            vm.assertEq(v[i], ledger.check(batch[i]), "same decision");
        }
    }

    // ------------------------------------------------------------ lifecycle

    function _entry(
        ICareLedgerAccess.Lifecycle kind,
        bytes32 actor,
        bytes32 subject,
        bytes32 recordId,
        ICareLedgerAccess.Role role
    ) internal pure returns (ICareLedgerAccess.LifecycleEntry memory) {
        return ICareLedgerAccess.LifecycleEntry({
            entryId: keccak256(abi.encode("entry", kind, subject, recordId)),
            kind: kind,
            actor: actor,
            subject: subject,
            recordId: recordId,
            version: 7,
            contentHash: keccak256(abi.encode("hash", kind, subject)),
            role: role,
            sequence: 2,
            counterpart: bytes32(0),
            department: 0,
            until: 0,
            detail: 0
        });
    }

    function _recordOne(ICareLedgerAccess.LifecycleEntry memory e) internal returns (Vm.Log memory) {
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recordLifecycle(_oneEntry(e));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, "one event per entry");
        vm.assertEq(logs[0].emitter, address(ledger), "emitter");
        vm.assertEq(logs[0].topics[1], e.actor, "event names the actor");
        vm.assertEq(logs[0].topics[2], e.subject, "event names the subject");
        return logs[0];
    }

    function test_lifecycle_userAdded_setsRole() public {
        ICareLedgerAccess.LifecycleEntry memory e =
            _entry(ICareLedgerAccess.Lifecycle.USER_ADDED, RECEPTIONIST_ID, NEW_USER, 0, PATIENT);
        Vm.Log memory log = _recordOne(e);
        vm.assertEq(log.topics[0], keccak256("UserAdded(bytes32,bytes32,bytes32,uint8,bytes32,uint64)"), "sig");
        (bytes32 id, uint8 role, bytes32 h, uint64 ts) = abi.decode(log.data, (bytes32, uint8, bytes32, uint64));
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(role, uint8(PATIENT), "role");
        vm.assertEq(h, e.contentHash, "hash");
        vm.assertEq(ts, block.timestamp, "timestamp");
        vm.assertEq(uint256(ledger.roleOf(NEW_USER)), uint256(PATIENT), "role set");
    }

    function test_lifecycle_userModified_changesNoRole() public {
        ICareLedgerAccess.LifecycleEntry memory e =
            _entry(ICareLedgerAccess.Lifecycle.USER_MODIFIED, PATIENT_ID, PATIENT_ID, 0, ADMIN);
        Vm.Log memory log = _recordOne(e);
        vm.assertEq(log.topics[0], keccak256("UserModified(bytes32,bytes32,bytes32,bytes32,uint64)"), "sig");
        (bytes32 id, bytes32 h,) = abi.decode(log.data, (bytes32, bytes32, uint64));
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(h, e.contentHash, "hash");
        vm.assertEq(uint256(ledger.roleOf(PATIENT_ID)), uint256(PATIENT), "role unchanged");
    }

    function test_lifecycle_userDeleted_clearsRole_andDeniesAfterwards() public {
        vm.assertTrue(ledger.check(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE)), "before");
        Vm.Log memory log = _recordOne(_entry(ICareLedgerAccess.Lifecycle.USER_DELETED, ADMIN_ID, DOCTOR_ID, 0, NONE));
        vm.assertEq(log.topics[0], keccak256("UserDeleted(bytes32,bytes32,bytes32,uint64)"), "sig");
        vm.assertEq(uint256(ledger.roleOf(DOCTOR_ID)), 0, "role cleared");
        vm.assertFalse(ledger.check(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE)), "deleted doctor denied");
    }

    function test_lifecycle_roleChanged_carriesPreviousAndNew() public {
        Vm.Log memory log = _recordOne(_entry(ICareLedgerAccess.Lifecycle.ROLE_CHANGED, ADMIN_ID, NURSE_ID, 0, DOCTOR));
        vm.assertEq(log.topics[0], keccak256("RoleChanged(bytes32,bytes32,bytes32,uint8,uint8,uint64)"), "sig");
        (, uint8 prev, uint8 next,) = abi.decode(log.data, (bytes32, uint8, uint8, uint64));
        vm.assertEq(prev, uint8(NURSE), "previous");
        vm.assertEq(next, uint8(DOCTOR), "new");
        vm.assertEq(uint256(ledger.roleOf(NURSE_ID)), uint256(DOCTOR), "role set");
        vm.assertTrue(ledger.check(_req(NURSE_ID, CREATE, HEALTH, PATIENT_ID, NONE)), "now decides as a doctor");
    }

    function test_lifecycle_recordKinds_carryRecordAndVersion() public {
        ICareLedgerAccess.LifecycleEntry memory e =
            _entry(ICareLedgerAccess.Lifecycle.RECORD_VERSION_CREATED, DOCTOR_ID, PATIENT_ID, RECORD_ID, ADMIN);
        Vm.Log memory log = _recordOne(e);
        vm.assertEq(
            log.topics[0],
            keccak256("RecordVersionCreated(bytes32,bytes32,bytes32,bytes32,uint64,bytes32,uint64)"),
            "sig"
        );
        vm.assertEq(log.topics[3], RECORD_ID, "recordId");
        (bytes32 id, uint64 version, bytes32 h,) = abi.decode(log.data, (bytes32, uint64, bytes32, uint64));
        vm.assertEq(id, e.entryId, "entryId");
        vm.assertEq(version, 7, "version");
        vm.assertEq(h, e.contentHash, "hash");

        e = _entry(ICareLedgerAccess.Lifecycle.RECORD_DELETED, DOCTOR_ID, PATIENT_ID, RECORD_ID, ADMIN);
        log = _recordOne(e);
        vm.assertEq(log.topics[0], keccak256("RecordDeleted(bytes32,bytes32,bytes32,bytes32,uint64,uint64)"), "sig");
        vm.assertEq(log.topics[3], RECORD_ID, "recordId");
        (id, version,) = abi.decode(log.data, (bytes32, uint64, uint64));
        vm.assertEq(version, 7, "version");
        vm.assertEq(uint256(ledger.roleOf(PATIENT_ID)), uint256(PATIENT), "record kinds change no role");
    }

    function test_lifecycle_rejectsZeroIdentifiers() public {
        ICareLedgerAccess.LifecycleEntry[] memory batch = new ICareLedgerAccess.LifecycleEntry[](2);
        batch[0] = _entry(ICareLedgerAccess.Lifecycle.USER_MODIFIED, ADMIN_ID, PATIENT_ID, 0, NONE);
        batch[1] = _entry(ICareLedgerAccess.Lifecycle.USER_MODIFIED, bytes32(0), PATIENT_ID, 0, NONE);
        vm.prank(gateway);
        vm.expectRevert(
            abi.encodeWithSelector(ICareLedgerAccess.CareLedgerZeroIdentifier.selector, 1, batch[1].entryId, "actor")
        );
        ledger.recordLifecycle(batch);

        batch[1] = _entry(ICareLedgerAccess.Lifecycle.USER_ADDED, ADMIN_ID, bytes32(0), 0, DOCTOR);
        vm.prank(gateway);
        vm.expectRevert(
            abi.encodeWithSelector(ICareLedgerAccess.CareLedgerZeroIdentifier.selector, 1, batch[1].entryId, "subject")
        );
        ledger.recordLifecycle(batch);

        batch[1] = _entry(ICareLedgerAccess.Lifecycle.RECORD_DELETED, DOCTOR_ID, PATIENT_ID, bytes32(0), NONE);
        vm.prank(gateway);
        vm.expectRevert(
            abi.encodeWithSelector(ICareLedgerAccess.CareLedgerZeroIdentifier.selector, 1, batch[1].entryId, "recordId")
        );
        ledger.recordLifecycle(batch);
    }

    function test_lifecycle_rejectsRoleNoneWhereARoleIsGiven() public {
        ICareLedgerAccess.LifecycleEntry memory e =
            _entry(ICareLedgerAccess.Lifecycle.USER_ADDED, ADMIN_ID, NEW_USER, 0, NONE);
        vm.prank(gateway);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICareLedgerAccess.CareLedgerInvalidLifecycleRole.selector, 0, e.entryId, e.kind, NONE
            )
        );
        ledger.recordLifecycle(_oneEntry(e));

        e = _entry(ICareLedgerAccess.Lifecycle.ROLE_CHANGED, ADMIN_ID, DOCTOR_ID, 0, NONE);
        vm.prank(gateway);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICareLedgerAccess.CareLedgerInvalidLifecycleRole.selector, 0, e.entryId, e.kind, NONE
            )
        );
        ledger.recordLifecycle(_oneEntry(e));
        vm.assertEq(uint256(ledger.roleOf(DOCTOR_ID)), uint256(DOCTOR), "unchanged");
    }

    function test_lifecycle_emptyBatchReverts() public {
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerEmptyBatch.selector));
        ledger.recordLifecycle(new ICareLedgerAccess.LifecycleEntry[](0));
    }

    // ------------------------------------------------------------ commit

    // ------------------------------------------------- replays, stale entries

    bytes32 constant REFUSED_SIG = keccak256("LifecycleRefused(bytes32,bytes32,bytes32,uint8,uint8,uint64,uint64)");
    bytes32 constant RE_RECORDED_SIG = keccak256("ReRecorded(bytes32,bytes32,uint64,uint64,uint64)");

    function _assertRefused(
        Vm.Log memory log,
        ICareLedgerAccess.LifecycleEntry memory e,
        ICareLedgerAccess.Refusal reason,
        string memory story
    ) internal view {
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

    function test_lifecycle_replayedRoleEntryIsRefused_andTheRestOfTheBatchStands() public {
        ICareLedgerAccess.LifecycleEntry memory change =
            _entry(ICareLedgerAccess.Lifecycle.ROLE_CHANGED, ADMIN_ID, NURSE_ID, 0, DOCTOR);
        change.sequence = 2;
        _recordOne(change);
        vm.assertEq(uint256(ledger.roleOf(NURSE_ID)), uint256(DOCTOR), "applied");

        ICareLedgerAccess.LifecycleEntry[] memory batch = new ICareLedgerAccess.LifecycleEntry[](2);
        batch[0] = change; // delivered again (at-least-once outbox)
        batch[1] = _entry(ICareLedgerAccess.Lifecycle.USER_MODIFIED, RECEPTIONIST_ID, PATIENT_ID, 0, NONE);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recordLifecycle(batch);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 2, "one event per entry");
        _assertRefused(logs[0], change, ICareLedgerAccess.Refusal.REPLAYED, "replay");
        vm.assertEq(logs[1].topics[0], keccak256("UserModified(bytes32,bytes32,bytes32,bytes32,uint64)"), "next applies");
        vm.assertEq(ledger.roleSequence(NURSE_ID), 2, "sequence unchanged");
    }

    function test_lifecycle_aStatelessEntrySentTwiceIsEmittedTwice_andChangesNothing() public {
        // No per-entry mark (it would grow storage with every write): the copy is an event
        // like the first, which the index flags as a duplicate by kind and entry id.
        ICareLedgerAccess.LifecycleEntry memory version =
            _entry(ICareLedgerAccess.Lifecycle.RECORD_VERSION_CREATED, DOCTOR_ID, PATIENT_ID, RECORD_ID, NONE);
        Vm.Log memory first = _recordOne(version);
        Vm.Log memory second = _recordOne(version);
        vm.assertEq(second.topics[0], first.topics[0], "RecordVersionCreated again");
        vm.assertEq(second.topics[3], RECORD_ID, "same record");
        vm.assertEq(keccak256(second.data), keccak256(first.data), "same entry id, version, hash and time");
        vm.assertEq(uint256(ledger.roleOf(PATIENT_ID)), uint256(PATIENT), "no role touched");
    }

    function test_lifecycle_staleRoleChangeNeverOverwritesANewerRole() public {
        // The nurse becomes a doctor (sequence 3), then the older change to AUDITOR (2) arrives.
        ICareLedgerAccess.LifecycleEntry memory newer =
            _entry(ICareLedgerAccess.Lifecycle.ROLE_CHANGED, ADMIN_ID, NURSE_ID, 0, DOCTOR);
        newer.sequence = 3;
        ICareLedgerAccess.LifecycleEntry memory older =
            _entry(ICareLedgerAccess.Lifecycle.ROLE_CHANGED, ADMIN_ID, NURSE_ID, 0, AUDITOR);
        older.entryId = keccak256("older");
        older.sequence = 2;
        _recordOne(newer);
        Vm.Log memory log = _recordOne(older);
        _assertRefused(log, older, ICareLedgerAccess.Refusal.STALE, "stale");
        vm.assertEq(uint256(ledger.roleOf(NURSE_ID)), uint256(DOCTOR), "the newer role stands");
        vm.assertEq(ledger.roleSequence(NURSE_ID), 3, "sequence of the newer change");
        _assertRefused(_recordOne(older), older, ICareLedgerAccess.Refusal.STALE, "stale, again");

        // The number last applied is taken: a second entry carrying it is refused as that
        // entry replayed; a deletion is sequenced like a role change.
        ICareLedgerAccess.LifecycleEntry memory del =
            _entry(ICareLedgerAccess.Lifecycle.USER_DELETED, ADMIN_ID, NURSE_ID, 0, NONE);
        del.sequence = 3;
        _assertRefused(_recordOne(del), del, ICareLedgerAccess.Refusal.REPLAYED, "equal sequence");
        vm.assertEq(uint256(ledger.roleOf(NURSE_ID)), uint256(DOCTOR), "still the newer role");
        del.entryId = keccak256("delete-4");
        del.sequence = 4;
        _recordOne(del);
        vm.assertEq(uint256(ledger.roleOf(NURSE_ID)), 0, "deleted");
        vm.assertEq(ledger.roleSequence(NURSE_ID), 4, "sequence of the deletion");
    }

    function test_lifecycle_unsequencedRoleEntryIsStale() public {
        ICareLedgerAccess.LifecycleEntry memory e =
            _entry(ICareLedgerAccess.Lifecycle.USER_ADDED, RECEPTIONIST_ID, NEW_USER, 0, PATIENT);
        e.sequence = 0;
        _assertRefused(_recordOne(e), e, ICareLedgerAccess.Refusal.STALE, "sequence 0");
        vm.assertEq(uint256(ledger.roleOf(NEW_USER)), 0, "no role");
    }

    // -------------------------------------------------------------- recommit

    function _original(bytes32 txHash, bool approved) internal pure returns (ICareLedgerAccess.Original memory) {
        return ICareLedgerAccess.Original({
            transactionHash: txHash, blockNumber: 41, timestamp: 1_799_999_000, approved: approved
        });
    }

    function test_recommit_recordsTheOriginalVerdictAndTime_onceOnly() public {
        ICareLedgerAccess.AccessRequest[] memory reqs = _one(_req(PATIENT_ID, READ, HEALTH, PATIENT2_ID, NONE));
        ICareLedgerAccess.Original[] memory originals = new ICareLedgerAccess.Original[](1);
        // The api acted on an approval the chain lost; the current decision (denied) is not asked.
        originals[0] = _original(keccak256("tx:lost"), true);
        vm.warp(1_800_000_500);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recommit(reqs, originals, new ICareLedgerAccess.LifecycleEntry[](0), new ICareLedgerAccess.Original[](0));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 2, "AccessRequested then ReRecorded");
        vm.assertEq(logs[0].topics[0], ACCESS_REQUESTED_SIG, "AccessRequested");
        (bytes32 rid,,,, bool approved, uint64 when) =
            abi.decode(logs[0].data, (bytes32, uint8, uint8, uint8, bool, uint64));
        vm.assertEq(rid, reqs[0].requestId, "requestId");
        vm.assertTrue(approved, "the verdict the api acted on");
        vm.assertEq(when, 1_799_999_000, "when it really happened");
        vm.assertEq(logs[1].topics[0], RE_RECORDED_SIG, "ReRecorded");
        vm.assertEq(logs[1].topics[1], reqs[0].requestId, "marks the request");
        (bytes32 otx, uint64 ob, uint64 ots, uint64 ts) = abi.decode(logs[1].data, (bytes32, uint64, uint64, uint64));
        vm.assertEq(otx, keccak256("tx:lost"), "original transaction");
        vm.assertEq(ob, 41, "original block");
        vm.assertEq(ots, 1_799_999_000, "original timestamp");
        vm.assertEq(ts, 1_800_000_500, "re-recorded now");

        vm.recordLogs();
        vm.prank(gateway);
        ledger.recommit(reqs, originals, new ICareLedgerAccess.LifecycleEntry[](0), new ICareLedgerAccess.Original[](0));
        logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, "a second re-recording is refused");
        vm.assertEq(logs[0].topics[0], keccak256("ReRecordRefused(bytes32,uint8,uint64)"), "ReRecordRefused");
        vm.assertEq(logs[0].topics[1], reqs[0].requestId, "names the request");
    }

    function test_recommit_entriesFollowTheLifecycleRules() public {
        ICareLedgerAccess.LifecycleEntry[] memory entries = new ICareLedgerAccess.LifecycleEntry[](2);
        entries[0] = _entry(ICareLedgerAccess.Lifecycle.RECORD_VERSION_CREATED, DOCTOR_ID, PATIENT_ID, RECORD_ID, NONE);
        entries[1] = _userAdded(ROOT_ID, DOCTOR_ID, DOCTOR); // mined already (fixture): a replay
        ICareLedgerAccess.Original[] memory originals = new ICareLedgerAccess.Original[](2);
        originals[0] = _original(keccak256("tx:a"), false);
        originals[1] = _original(keccak256("tx:b"), false);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recommit(new ICareLedgerAccess.AccessRequest[](0), new ICareLedgerAccess.Original[](0), entries, originals);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 3, "version + ReRecorded, then the replay refused");
        vm.assertEq(logs[0].topics[3], RECORD_ID, "RecordVersionCreated");
        (,,, uint64 when) = abi.decode(logs[0].data, (bytes32, uint64, bytes32, uint64));
        vm.assertEq(when, 1_799_999_000, "the original time");
        vm.assertEq(logs[1].topics[0], RE_RECORDED_SIG, "ReRecorded");
        vm.assertEq(logs[1].topics[1], entries[0].entryId, "marks the entry");
        vm.assertEq(logs[2].topics[0], REFUSED_SIG, "replay refused, not marked");
    }

    function test_recommit_rejectsMalformedCalls() public {
        ICareLedgerAccess.AccessRequest[] memory reqs = _one(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE));
        ICareLedgerAccess.Original[] memory none = new ICareLedgerAccess.Original[](0);
        ICareLedgerAccess.LifecycleEntry[] memory noEntries = new ICareLedgerAccess.LifecycleEntry[](0);
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerLengthMismatch.selector, 1, 0));
        ledger.recommit(reqs, none, noEntries, none);

        ICareLedgerAccess.Original[] memory zero = new ICareLedgerAccess.Original[](1);
        vm.prank(gateway);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICareLedgerAccess.CareLedgerZeroIdentifier.selector, 0, reqs[0].requestId, "originalTransaction"
            )
        );
        ledger.recommit(reqs, zero, noEntries, none);

        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerEmptyBatch.selector));
        ledger.recommit(new ICareLedgerAccess.AccessRequest[](0), none, noEntries, none);

        bytes32 gatewayRole = ledger.GATEWAY_ROLE();
        vm.prank(admin);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, admin, gatewayRole)
        );
        ledger.recommit(reqs, zero, noEntries, none);
    }

    function test_commit_decidesRequestsBeforeEntriesChangeRoles() public {
        ICareLedgerAccess.AccessRequest[] memory reqs = _one(_req(NEW_USER, READ, USER, NEW_USER, NONE));
        ICareLedgerAccess.LifecycleEntry[] memory entries =
            _oneEntry(_entry(ICareLedgerAccess.Lifecycle.USER_ADDED, RECEPTIONIST_ID, NEW_USER, 0, PATIENT));
        vm.recordLogs();
        vm.prank(gateway);
        ledger.commit(reqs, entries);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 2, "request event + lifecycle event");
        vm.assertEq(logs[0].topics[0], ACCESS_REQUESTED_SIG, "requests first");
        (,,,, bool ok,) = abi.decode(logs[0].data, (bytes32, uint8, uint8, uint8, bool, uint64));
        vm.assertFalse(ok, "decided while the user was still unknown");
        vm.assertEq(uint256(ledger.roleOf(NEW_USER)), uint256(PATIENT), "then added");
        vm.assertTrue(ledger.check(reqs[0]), "approved from now on");
    }

    function test_commit_eitherListMayBeEmptyButNotBoth() public {
        vm.startPrank(gateway);
        ledger.commit(_one(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE)), new ICareLedgerAccess.LifecycleEntry[](0));
        ledger.commit(
            new ICareLedgerAccess.AccessRequest[](0),
            _oneEntry(_entry(ICareLedgerAccess.Lifecycle.USER_MODIFIED, PATIENT_ID, PATIENT_ID, 0, NONE))
        );
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerEmptyBatch.selector));
        ledger.commit(new ICareLedgerAccess.AccessRequest[](0), new ICareLedgerAccess.LifecycleEntry[](0));
        vm.stopPrank();
    }

    // ------------------------------------------------------------ matrix

    function test_setPermission_byRoot_appliesAndEmits() public {
        vm.assertFalse(ledger.check(_req(NURSE_ID, CREATE, HEALTH, PATIENT_ID, NONE)), "before");
        vm.recordLogs();
        vm.prank(gateway);
        ledger.setPermission(ROOT_ID, NURSE, HEALTH, CREATE, ICareLedgerAccess.Scope.PATIENTS);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, "one event");
        vm.assertEq(
            logs[0].topics[0], keccak256("PermissionChanged(bytes32,uint8,uint8,uint8,uint8,uint8,uint64)"), "sig"
        );
        vm.assertEq(logs[0].topics[1], ROOT_ID, "names root");
        (uint8 role, uint8 res, uint8 act, uint8 prev, uint8 next,) =
            abi.decode(logs[0].data, (uint8, uint8, uint8, uint8, uint8, uint64));
        vm.assertEq(role, uint8(NURSE), "role");
        vm.assertEq(res, uint8(HEALTH), "resource");
        vm.assertEq(act, uint8(CREATE), "action");
        vm.assertEq(prev, uint8(ICareLedgerAccess.Scope.NONE), "previous");
        vm.assertEq(next, uint8(ICareLedgerAccess.Scope.PATIENTS), "new");
        vm.assertEq(
            uint256(ledger.permission(NURSE, HEALTH, CREATE)), uint256(ICareLedgerAccess.Scope.PATIENTS), "applied"
        );
        vm.assertTrue(ledger.check(_req(NURSE_ID, CREATE, HEALTH, PATIENT_ID, NONE)), "after");
        // Only that cell changed: NURSE/HEALTH_RECORD/CREATE is cell (3·6 + 1)·5 + 0 = 95, the
        // 4 bits at 4·31 of word 1.
        uint256[4] memory now_ = ledger.permissionMatrix();
        uint256[4] memory default_ = ledger.defaultPermissionMatrix();
        vm.assertEq(_cellIndex(NURSE, HEALTH, CREATE), 95, "cell index");
        vm.assertEq(now_[0] ^ default_[0], 0, "word 0 unchanged");
        vm.assertEq(now_[1] ^ default_[1], uint256(2) << 124, "one cell");
        vm.assertEq(now_[2] ^ default_[2], 0, "word 2 unchanged");
        vm.assertEq(now_[3] ^ default_[3], 0, "word 3 unchanged");
    }

    function test_setPermission_byNonRoot_isRecordedAndChangesNothing() public {
        bytes32[3] memory actors = [ADMIN_ID, UNKNOWN_ID, bytes32(0)];
        for (uint256 i; i < actors.length; ++i) {
            vm.recordLogs();
            vm.prank(gateway);
            ledger.setPermission(actors[i], ADMIN, HEALTH, READ, ICareLedgerAccess.Scope.ANY);
            Vm.Log[] memory logs = vm.getRecordedLogs();
            vm.assertEq(logs.length, 1, "one event");
            vm.assertEq(
                logs[0].topics[0], keccak256("PermissionChangeDenied(bytes32,uint8,uint8,uint8,uint8,uint64)"), "sig"
            );
            vm.assertEq(logs[0].topics[1], actors[i], "names the actor");
            (,,, uint8 requested,) = abi.decode(logs[0].data, (uint8, uint8, uint8, uint8, uint64));
            vm.assertEq(requested, uint8(ICareLedgerAccess.Scope.ANY), "requested scope");
        }
        _assertMatrixEq(ledger.permissionMatrix(), ledger.defaultPermissionMatrix(), "unchanged");
    }

    function test_setPermission_roleNoneReverts() public {
        vm.prank(gateway);
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerInvalidPermissionRole.selector, NONE));
        ledger.setPermission(ROOT_ID, NONE, USER, READ, ICareLedgerAccess.Scope.ANY);
    }

    function test_setPermission_rootCannotLiftTheGuardOnPrivilegedAccounts() public {
        vm.prank(gateway);
        ledger.setPermission(ROOT_ID, ICareLedgerAccess.Role.AUDITOR, USER, DELETE, ICareLedgerAccess.Scope.ANY);
        _expect(AUDITOR_ID, DELETE, USER, PATIENT_ID, NONE, true, "granted");
        _expect(AUDITOR_ID, DELETE, USER, ADMIN_ID, NONE, false, "still never on admins");
    }

    // ------------------------------------------------------------ gateways

    function test_constructor_grantsRolesAndRejectsZeroAddresses() public {
        vm.assertTrue(ledger.hasRole(ledger.DEFAULT_ADMIN_ROLE(), admin), "admin");
        vm.assertTrue(ledger.hasRole(ledger.GATEWAY_ROLE(), gateway), "gateway");
        vm.assertFalse(ledger.hasRole(ledger.GATEWAY_ROLE(), admin), "admin is not a gateway");
        vm.assertEq(ledger.GATEWAY_ROLE(), keccak256("GATEWAY_ROLE"), "role id");
        vm.assertTrue(ledger.supportsInterface(type(IAccessControl).interfaceId), "ERC-165");
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerZeroAddress.selector, "admin"));
        new CareLedgerAccess(address(0), gateway);
        vm.expectRevert(abi.encodeWithSelector(ICareLedgerAccess.CareLedgerZeroAddress.selector, "gateway"));
        new CareLedgerAccess(admin, address(0));
    }

    function test_gateways_areRegisteredByAdmin_andOthersAreRefused() public {
        address second = address(0xBEEF);
        bytes32 gw = ledger.GATEWAY_ROLE();
        ICareLedgerAccess.AccessRequest[] memory batch = _one(_req(DOCTOR_ID, READ, HEALTH, PATIENT_ID, NONE));

        vm.prank(second);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, second, gw));
        ledger.authorize(batch);

        vm.prank(admin); // the admin key registers gateways but is not one
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, admin, gw));
        ledger.authorize(batch);

        vm.prank(gateway); // a gateway cannot register gateways
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, gateway, bytes32(0))
        );
        ledger.grantRole(gw, second);

        vm.prank(admin);
        ledger.grantRole(gw, second);
        vm.prank(second);
        ledger.authorize(batch);

        vm.prank(admin);
        ledger.revokeRole(gw, second);
        vm.prank(second);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, second, gw));
        ledger.authorize(batch);
    }
}
