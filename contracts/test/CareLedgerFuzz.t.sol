// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./utils/TestBase.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Fuzz properties of the access decision and of the event record.
contract CareLedgerFuzzTest is LedgerFixture {
    bytes32[11] internal population;

    function setUp() public override {
        super.setUp();
        population = [
            ROOT_ID,
            ADMIN_ID,
            ADMIN2_ID,
            DOCTOR_ID,
            DOCTOR2_ID,
            NURSE_ID,
            RECEPTIONIST_ID,
            AUDITOR_ID,
            PATIENT_ID,
            PATIENT2_ID,
            FORMER_PATIENT_ID
        ];
    }

    /// @dev A request from fuzzed words, each enum folded into range.
    function _fuzzReq(
        bytes32 requestId,
        bytes32 actor,
        uint256 action,
        uint256 resource,
        bytes32 subject,
        bytes32 recordId,
        uint256 targetRole
    ) internal pure returns (ICareLedgerAccess.AccessRequest memory) {
        return ICareLedgerAccess.AccessRequest({
            requestId: requestId,
            actor: actor,
            action: ICareLedgerAccess.Action(action % ACTION_COUNT),
            resource: ICareLedgerAccess.Resource(resource % RESOURCE_COUNT),
            subject: subject,
            recordId: recordId,
            targetRole: ICareLedgerAccess.Role(targetRole % ROLE_COUNT)
        });
    }

    /// @dev Pick a population member or (1 in 12) an arbitrary id.
    function _pick(uint256 seed, bytes32 fallbackId) internal view returns (bytes32) {
        uint256 i = seed % (population.length + 1);
        return i == population.length ? fallbackId : population[i];
    }

    /// @dev Let ROOT set a fuzzed scope on one matrix cell (exercises non-default matrices).
    function _fuzzMatrixCell(uint256 seed) internal {
        ICareLedgerAccess.Role role = ICareLedgerAccess.Role(1 + (seed % 7));
        ICareLedgerAccess.Resource res = ICareLedgerAccess.Resource((seed >> 8) % RESOURCE_COUNT);
        ICareLedgerAccess.Action act = ICareLedgerAccess.Action((seed >> 16) % ACTION_COUNT);
        ICareLedgerAccess.Scope scope = ICareLedgerAccess.Scope((seed >> 24) % SCOPE_COUNT);
        vm.prank(gateway);
        ledger.setPermission(ROOT_ID, role, res, act, scope);
    }

    // ------------------------------------------------------------------

    /// forge-config: default.fuzz.runs = 1024
    function testFuzz_unknownActorsAreAlwaysDenied(
        bytes32 actor,
        uint256 action,
        uint256 resource,
        uint256 subjectSeed,
        bytes32 recordId,
        uint256 targetRole,
        uint256 matrixSeed
    ) public {
        vm.assume(ledger.roleOf(actor) == ICareLedgerAccess.Role.NONE);
        _fuzzMatrixCell(matrixSeed);
        // Even against the actor itself, or any real user, whatever the matrix says.
        bytes32 subject = subjectSeed % 3 == 0 ? actor : _pick(subjectSeed, bytes32(subjectSeed));
        ICareLedgerAccess.AccessRequest memory r =
            _fuzzReq(keccak256(abi.encode(actor)), actor, action, resource, subject, recordId, targetRole);
        vm.assertFalse(ledger.check(r), "check denies unknown actor");
        vm.assertFalse(_authorizeOne(r), "authorize denies unknown actor");
    }

    function testFuzz_unknownSubjectsAreNeverPatients(
        uint256 actorSeed,
        bytes32 subject,
        uint256 action,
        uint256 resource
    ) public view {
        vm.assume(ledger.roleOf(subject) == ICareLedgerAccess.Role.NONE && subject != bytes32(0));
        bytes32 actor = population[actorSeed % population.length];
        ICareLedgerAccess.AccessRequest memory r = _fuzzReq(bytes32(0), actor, action, resource, subject, bytes32(0), 0);
        ICareLedgerAccess.Scope scope = ledger.permission(ledger.roleOf(actor), r.resource, r.action);
        bool patientScope = scope == ICareLedgerAccess.Scope.PATIENTS || scope == ICareLedgerAccess.Scope.CARE;
        if (patientScope && r.action != ICareLedgerAccess.Action.SEARCH) {
            vm.assertFalse(ledger.check(r), "PATIENTS and CARE scopes need a known patient");
        }
        if (scope == ICareLedgerAccess.Scope.OWN) vm.assertFalse(ledger.check(r), "OWN needs subject == actor");
    }

    function testFuzz_nonGatewaysCanSubmitNothing(address caller, uint256 seed) public {
        vm.assume(caller != gateway);
        vm.assume(ledger.roleOf(bytes32(seed | 1)) == ICareLedgerAccess.Role.NONE);
        bytes32 gw = ledger.GATEWAY_ROLE();
        bytes memory refusal =
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, gw);
        ICareLedgerAccess.AccessRequest[] memory reqs = _one(
            _fuzzReq(bytes32(seed), _pick(seed, bytes32(seed)), seed, seed >> 8, _pick(seed >> 16, 0), 0, seed >> 24)
        );
        ICareLedgerAccess.LifecycleEntry[] memory entries =
            _oneEntry(_userAdded(ROOT_ID, bytes32(seed | 1), ICareLedgerAccess.Role.ROOT));
        uint256[4] memory matrixBefore = ledger.permissionMatrix();
        uint64 durationBefore = ledger.breakGlassDuration();

        vm.recordLogs();
        vm.prank(caller);
        vm.expectRevert(refusal);
        ledger.authorize(reqs);
        vm.prank(caller);
        vm.expectRevert(refusal);
        ledger.recordLifecycle(entries);
        vm.prank(caller);
        vm.expectRevert(refusal);
        ledger.commit(reqs, entries);
        vm.prank(caller);
        vm.expectRevert(refusal);
        ledger.setPermission(
            ROOT_ID,
            ICareLedgerAccess.Role.PATIENT,
            ICareLedgerAccess.Resource.HEALTH_RECORD,
            ICareLedgerAccess.Action.DELETE,
            ICareLedgerAccess.Scope.ANY
        );
        vm.prank(caller);
        vm.expectRevert(refusal);
        ledger.setBreakGlassDuration(ROOT_ID, 1 hours);

        vm.assertEq(vm.getRecordedLogs().length, 0, "no event");
        _assertMatrixEq(ledger.permissionMatrix(), matrixBefore, "matrix unchanged");
        vm.assertEq(ledger.breakGlassDuration(), durationBefore, "duration unchanged");
        vm.assertEq(uint256(ledger.roleOf(bytes32(seed | 1))), 0, "no role added");
    }

    /// forge-config: default.fuzz.runs = 256
    function testFuzz_oneEventPerRequestWithExactlyTheSubmittedFields(uint256 seed, uint256 count, uint64 when) public {
        uint256 n = bound(count, 1, 40);
        vm.warp(bound(when, 1, type(uint64).max));
        ICareLedgerAccess.AccessRequest[] memory batch = new ICareLedgerAccess.AccessRequest[](n);
        bool[] memory expected = new bool[](n);
        for (uint256 i; i < n; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            batch[i] = _fuzzReq(
                keccak256(abi.encode("req", s)),
                _pick(s, keccak256(abi.encode("stranger", s))),
                s >> 8,
                s >> 16,
                (s >> 24) % 7 == 0 ? bytes32(0) : _pick(s >> 32, keccak256(abi.encode("subject", s))),
                (s >> 40) % 2 == 0 ? bytes32(0) : keccak256(abi.encode("record", s)),
                s >> 48
            );
            expected[i] = ledger.check(batch[i]);
        }
        vm.recordLogs();
        vm.prank(gateway);
        ledger.authorize(batch);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, n, "exactly one event per request");
        for (uint256 i; i < n; ++i) {
            Vm.Log memory log = logs[i];
            vm.assertEq(log.emitter, address(ledger), "emitter");
            vm.assertEq(log.topics.length, 4, "topics");
            vm.assertEq(log.topics[0], ACCESS_REQUESTED_SIG, "event");
            vm.assertEq(log.topics[1], batch[i].actor, "actor");
            vm.assertEq(log.topics[2], batch[i].subject, "subject");
            vm.assertEq(log.topics[3], batch[i].recordId, "recordId");
            vm.assertEq(log.data.length, 6 * 32, "data words");
            (bytes32 id, uint8 a, uint8 r, uint8 t, bool ok, uint64 ts) =
                abi.decode(log.data, (bytes32, uint8, uint8, uint8, bool, uint64));
            vm.assertEq(id, batch[i].requestId, "requestId");
            vm.assertEq(a, uint8(batch[i].action), "action");
            vm.assertEq(r, uint8(batch[i].resource), "resource");
            vm.assertEq(t, uint8(batch[i].targetRole), "targetRole");
            vm.assertEq(ok, expected[i], "approved == check()");
            vm.assertEq(ts, uint64(block.timestamp), "timestamp");
        }
    }

    function testFuzz_adminNeverTouchesRootOrAdminAccounts(
        uint256 action,
        uint256 resource,
        uint256 which,
        uint256 targetRole,
        bool viaTarget,
        uint256 matrixSeed
    ) public {
        // Whatever ROOT grants ADMIN (here: the fuzzed cell, and the cell under test set to ANY) ...
        _fuzzMatrixCell(matrixSeed);
        ICareLedgerAccess.AccessRequest memory r =
            _fuzzReq(bytes32(0), ADMIN_ID, action, resource, bytes32(0), RECORD_ID, targetRole);
        vm.assume(r.resource != ICareLedgerAccess.Resource.AUDIT_TRAIL); // the trail is not an account
        vm.prank(gateway);
        ledger.setPermission(
            ROOT_ID,
            ICareLedgerAccess.Role.ADMIN,
            r.resource,
            r.action,
            [ICareLedgerAccess.Scope.ANY, ICareLedgerAccess.Scope.PATIENTS, ICareLedgerAccess.Scope.CARE][matrixSeed % 3]
        );

        bytes32[3] memory privileged = [ROOT_ID, ADMIN_ID, ADMIN2_ID];
        if (viaTarget) {
            // ... creating or turning someone into ROOT/ADMIN is refused ...
            r.targetRole = targetRole % 2 == 0 ? ICareLedgerAccess.Role.ROOT : ICareLedgerAccess.Role.ADMIN;
            r.subject = r.action == ICareLedgerAccess.Action.SEARCH ? bytes32(0) : _pick(which, keccak256("fresh"));
        } else {
            // ... and so is any action on a ROOT/ADMIN account, bar reading one's own.
            vm.assume(r.action != ICareLedgerAccess.Action.SEARCH);
            r.subject = privileged[which % 3];
            vm.assume(!(r.action == ICareLedgerAccess.Action.READ && r.subject == ADMIN_ID));
        }
        vm.assertFalse(ledger.check(r), "check: admin on privileged account");
        vm.assertFalse(_authorizeOne(r), "authorize: admin on privileged account");
    }

    function testFuzz_decisionMatchesReferenceModel(uint256 seed, uint256 matrixSeed) public {
        _fuzzMatrixCell(matrixSeed);
        _fuzzMatrixCell(uint256(keccak256(abi.encode(matrixSeed))));
        ICareLedgerAccess.AccessRequest memory r = _fuzzReq(
            bytes32(seed),
            _pick(seed, keccak256(abi.encode(seed))),
            seed >> 8,
            seed >> 16,
            (seed >> 24) % 5 == 0 ? bytes32(0) : _pick(seed >> 32, keccak256(abi.encode("s", seed))),
            0,
            seed >> 40
        );
        if ((seed >> 48) % 4 == 0) r.subject = r.actor;
        ICareLedgerAccess.Role actorRole = ledger.roleOf(r.actor);
        bool expected = _model(
            actorRole,
            ledger.permission(actorRole, r.resource, r.action),
            r.action,
            r.resource,
            r.subject == r.actor,
            ledger.roleOf(r.subject),
            r.targetRole,
            _careFacts(r.actor, r.subject)
        );
        vm.assertEq(ledger.check(r), expected, "check == model");
        vm.assertEq(_authorizeOne(r), expected, "authorize == model");
    }

    function testFuzz_onlyRootChangesTheMatrix(uint256 actorSeed, uint256 cellSeed) public {
        bytes32 actor = _pick(actorSeed, bytes32(actorSeed));
        uint256[4] memory before = ledger.permissionMatrix();
        _setAs(actor, cellSeed);
        if (ledger.roleOf(actor) != ICareLedgerAccess.Role.ROOT) {
            _assertMatrixEq(ledger.permissionMatrix(), before, "non-root changes nothing");
        }
    }

    function _setAs(bytes32 actor, uint256 seed) internal {
        vm.recordLogs();
        vm.prank(gateway);
        ledger.setPermission(
            actor,
            ICareLedgerAccess.Role(1 + seed % 7),
            ICareLedgerAccess.Resource((seed >> 8) % RESOURCE_COUNT),
            ICareLedgerAccess.Action((seed >> 16) % ACTION_COUNT),
            ICareLedgerAccess.Scope((seed >> 24) % SCOPE_COUNT)
        );
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, "one event either way");
        vm.assertEq(logs[0].topics[1], actor, "names the actor");
        bytes32 expectedSig = ledger.roleOf(actor) == ICareLedgerAccess.Role.ROOT
            ? keccak256("PermissionChanged(bytes32,uint8,uint8,uint8,uint8,uint8,uint64)")
            : keccak256("PermissionChangeDenied(bytes32,uint8,uint8,uint8,uint8,uint64)");
        vm.assertEq(logs[0].topics[0], expectedSig, "changed iff root");
    }
}
