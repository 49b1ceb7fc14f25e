// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./utils/TestBase.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";

/// @title The authentication kinds of `recordLifecycle`: sign-ins, refused sign-ins, sign-outs
///        and second-factor events. One `AuthenticationRecorded` each, no state, and the
///        zero-identifier rules (only SIGN_IN_FAILED may name nobody).
contract CareLedgerAuthenticationTest is LedgerFixture {
    bytes32 constant AUTHENTICATED_SIG = keccak256("AuthenticationRecorded(bytes32,bytes32,bytes32,uint8,uint64)");
    bytes32 constant RE_RECORDED_SIG = keccak256("ReRecorded(bytes32,bytes32,uint64,uint64,uint64)");

    ICareLedgerAccess.Lifecycle constant SIGNED_IN = ICareLedgerAccess.Lifecycle.SIGNED_IN;
    ICareLedgerAccess.Lifecycle constant SIGN_IN_FAILED = ICareLedgerAccess.Lifecycle.SIGN_IN_FAILED;
    ICareLedgerAccess.Lifecycle constant SIGNED_OUT = ICareLedgerAccess.Lifecycle.SIGNED_OUT;
    ICareLedgerAccess.Lifecycle constant FACTOR_ENROLLED = ICareLedgerAccess.Lifecycle.FACTOR_ENROLLED;
    ICareLedgerAccess.Lifecycle constant FACTOR_USED = ICareLedgerAccess.Lifecycle.FACTOR_USED;
    ICareLedgerAccess.Lifecycle constant FACTOR_RESET = ICareLedgerAccess.Lifecycle.FACTOR_RESET;

    function _auth(ICareLedgerAccess.Lifecycle kind, bytes32 actor, bytes32 subject)
        internal
        pure
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return ICareLedgerAccess.LifecycleEntry({
            entryId: keccak256(abi.encode("auth", kind, actor, subject)),
            kind: kind,
            actor: actor,
            subject: subject,
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

    /// @dev Records `e` alone and checks its one event, every field.
    function _recordAndCheck(ICareLedgerAccess.LifecycleEntry memory e, string memory story) internal {
        uint256[4] memory matrix = ledger.permissionMatrix();
        ICareLedgerAccess.Role actorRole = ledger.roleOf(e.actor);
        ICareLedgerAccess.Role subjectRole = ledger.roleOf(e.subject);
        uint64 subjectSequence = ledger.roleSequence(e.subject);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recordLifecycle(_oneEntry(e));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, string.concat(story, ": one event"));
        vm.assertEq(logs[0].emitter, address(ledger), string.concat(story, ": emitter"));
        vm.assertEq(logs[0].topics.length, 3, string.concat(story, ": two indexed words"));
        vm.assertEq(logs[0].topics[0], AUTHENTICATED_SIG, string.concat(story, ": AuthenticationRecorded"));
        vm.assertEq(logs[0].topics[1], e.actor, string.concat(story, ": actor"));
        vm.assertEq(logs[0].topics[2], e.subject, string.concat(story, ": subject"));
        (bytes32 id, uint8 kind, uint64 ts) = abi.decode(logs[0].data, (bytes32, uint8, uint64));
        vm.assertEq(id, e.entryId, string.concat(story, ": entryId"));
        vm.assertEq(kind, uint8(e.kind), string.concat(story, ": kind"));
        vm.assertEq(ts, block.timestamp, string.concat(story, ": timestamp"));
        _assertMatrixEq(ledger.permissionMatrix(), matrix, string.concat(story, ": matrix unchanged"));
        vm.assertEq(uint256(ledger.roleOf(e.actor)), uint256(actorRole), string.concat(story, ": actor's role"));
        vm.assertEq(
            uint256(ledger.roleOf(e.subject)), uint256(subjectRole), string.concat(story, ": subject's role")
        );
        vm.assertEq(ledger.roleSequence(e.subject), subjectSequence, string.concat(story, ": subject's sequence"));
    }

    function test_authentication_kindsAreAppendedAfterTheDataChanges() public pure {
        // The ABI is shared with the api (LifecycleKind codes 6..11): appended, never reordered.
        assert(uint8(ICareLedgerAccess.Lifecycle.RECORD_DELETED) == 5);
        assert(uint8(SIGNED_IN) == 6);
        assert(uint8(SIGN_IN_FAILED) == 7);
        assert(uint8(SIGNED_OUT) == 8);
        assert(uint8(FACTOR_ENROLLED) == 9);
        assert(uint8(FACTOR_USED) == 10);
        assert(uint8(FACTOR_RESET) == 11);
    }

    function test_authentication_eachKindIsOneEventWithEveryField_andChangesNothing() public {
        _recordAndCheck(_auth(SIGNED_IN, PATIENT_ID, PATIENT_ID), "signed in");
        _recordAndCheck(_auth(SIGN_IN_FAILED, bytes32(0), DOCTOR_ID), "failed at an account");
        _recordAndCheck(_auth(SIGN_IN_FAILED, bytes32(0), bytes32(0)), "failed, no such account");
        _recordAndCheck(_auth(SIGNED_OUT, PATIENT_ID, PATIENT_ID), "signed out");
        _recordAndCheck(_auth(FACTOR_ENROLLED, NURSE_ID, NURSE_ID), "factor enrolled");
        _recordAndCheck(_auth(FACTOR_USED, NURSE_ID, NURSE_ID), "factor used");
        _recordAndCheck(_auth(FACTOR_RESET, ADMIN_ID, NURSE_ID), "factor reset by an administrator");
        // An unknown id is recorded too: the contract decides nothing here, it only records.
        _recordAndCheck(_auth(SIGNED_IN, UNKNOWN_ID, UNKNOWN_ID), "unknown to the contract");
        vm.assertEq(uint256(ledger.roleOf(UNKNOWN_ID)), 0, "still unknown");
    }

    function test_authentication_onlyAFailedSignInMayNameNobody() public {
        ICareLedgerAccess.Lifecycle[5] memory named = [SIGNED_IN, SIGNED_OUT, FACTOR_ENROLLED, FACTOR_USED, FACTOR_RESET];
        for (uint256 i; i < named.length; ++i) {
            ICareLedgerAccess.LifecycleEntry[] memory batch = new ICareLedgerAccess.LifecycleEntry[](2);
            batch[0] = _auth(SIGN_IN_FAILED, bytes32(0), bytes32(0)); // fine on its own
            batch[1] = _auth(named[i], bytes32(0), PATIENT_ID);
            vm.recordLogs();
            vm.prank(gateway);
            vm.expectRevert(
                abi.encodeWithSelector(
                    ICareLedgerAccess.CareLedgerZeroIdentifier.selector, 1, batch[1].entryId, "actor"
                )
            );
            ledger.recordLifecycle(batch);

            batch[1] = _auth(named[i], PATIENT_ID, bytes32(0));
            vm.prank(gateway);
            vm.expectRevert(
                abi.encodeWithSelector(
                    ICareLedgerAccess.CareLedgerZeroIdentifier.selector, 1, batch[1].entryId, "subject"
                )
            );
            ledger.recordLifecycle(batch);
        }
    }

    function test_authentication_aCopyIsEmittedAgain() public {
        ICareLedgerAccess.LifecycleEntry memory e = _auth(SIGN_IN_FAILED, bytes32(0), PATIENT_ID);
        _recordAndCheck(e, "first");
        _recordAndCheck(e, "copy: the index flags it a duplicate");
    }

    function test_authentication_outOfRangeKindIsRejected() public {
        bytes memory data = abi.encodeCall(ledger.recordLifecycle, (_oneEntry(_auth(FACTOR_RESET, ADMIN_ID, NURSE_ID))));
        // Layout (after the bytes length word): selector, offset, length, then the 13 words of
        // the entry; its word 1 is `kind`, at 4 + 3 * 32. The kinds end at RESTRICTION_LIFTED (20).
        assembly {
            mstore(add(data, add(32, add(4, mul(3, 32)))), 21)
        }
        vm.prank(gateway);
        (bool ok,) = address(ledger).call(data);
        vm.assertFalse(ok, "kind 21 does not exist");
    }

    function test_authentication_nonGatewayRecordsNothing() public {
        vm.prank(admin);
        (bool ok,) = address(ledger).call(
            abi.encodeCall(ledger.recordLifecycle, (_oneEntry(_auth(SIGNED_IN, PATIENT_ID, PATIENT_ID))))
        );
        vm.assertFalse(ok, "only a gateway records");
    }

    function test_authentication_reRecordedWithItsOriginalTime() public {
        ICareLedgerAccess.LifecycleEntry[] memory entries = _oneEntry(_auth(SIGNED_OUT, DOCTOR_ID, DOCTOR_ID));
        ICareLedgerAccess.Original[] memory originals = new ICareLedgerAccess.Original[](1);
        originals[0] = ICareLedgerAccess.Original({
            transactionHash: keccak256("tx:signout"), blockNumber: 41, timestamp: 1_799_999_000, approved: false
        });
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recommit(new ICareLedgerAccess.AccessRequest[](0), new ICareLedgerAccess.Original[](0), entries, originals);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 2, "the event, then its mark");
        vm.assertEq(logs[0].topics[0], AUTHENTICATED_SIG, "AuthenticationRecorded");
        (bytes32 id, uint8 kind, uint64 when) = abi.decode(logs[0].data, (bytes32, uint8, uint64));
        vm.assertEq(id, entries[0].entryId, "entryId");
        vm.assertEq(kind, uint8(SIGNED_OUT), "kind");
        vm.assertEq(when, 1_799_999_000, "the original time");
        vm.assertEq(logs[1].topics[0], RE_RECORDED_SIG, "ReRecorded");
        vm.assertEq(logs[1].topics[1], entries[0].entryId, "marks the entry");
    }

    /// @dev Whatever ids and kind: a sign-in-family entry never changes a role or a sequence.
    function testFuzz_authentication_neverChangesState(uint8 k, bytes32 actor, bytes32 subject) public {
        ICareLedgerAccess.Lifecycle kind = ICareLedgerAccess.Lifecycle(bound(k, 6, 11));
        if (kind != SIGN_IN_FAILED) {
            vm.assume(actor != bytes32(0) && subject != bytes32(0));
        }
        _recordAndCheck(_auth(kind, actor, subject), "fuzzed");
    }
}
