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
    bytes32 internal constant RECORD_ID = keccak256("record:1");

    uint256 internal constant ROLE_COUNT = 8; // including NONE
    uint256 internal constant RESOURCE_COUNT = 3;
    uint256 internal constant ACTION_COUNT = 5;
    uint256 internal constant SCOPE_COUNT = 4;
    uint256 internal constant LIFECYCLE_COUNT = 6;

    bytes32 internal constant ACCESS_REQUESTED_SIG =
        keccak256("AccessRequested(bytes32,bytes32,bytes32,bytes32,uint8,uint8,uint8,bool,uint64)");

    function setUp() public virtual {
        vm.warp(1_800_000_000);
        ledger = new CareLedgerAccess(admin, gateway);
        ICareLedgerAccess.LifecycleEntry[] memory e = new ICareLedgerAccess.LifecycleEntry[](10);
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
            sequence: 1
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
        string[3] memory n = ["USER_RECORD", "HEALTH_RECORD", "AUDIT_TRAIL"];
        return n[r];
    }

    function _actionName(uint256 a) internal pure returns (string memory) {
        string[5] memory n = ["CREATE", "READ", "UPDATE", "DELETE", "SEARCH"];
        return n[a];
    }

    function _scopeName(uint256 s) internal pure returns (string memory) {
        string[4] memory n = ["NONE", "OWN", "PATIENTS", "ANY"];
        return n[s];
    }

    // ---------------------------------------------------- reference model

    function _privileged(ICareLedgerAccess.Role r) internal pure returns (bool) {
        return r == ICareLedgerAccess.Role.ROOT || r == ICareLedgerAccess.Role.ADMIN;
    }

    /// @dev The rules of the issue, written out literally and independently of the contract.
    function _model(
        ICareLedgerAccess.Role actorRole,
        ICareLedgerAccess.Scope scope,
        ICareLedgerAccess.Action action,
        ICareLedgerAccess.Resource resource,
        bool self,
        ICareLedgerAccess.Role subjectRole,
        ICareLedgerAccess.Role targetRole
    ) internal pure returns (bool) {
        if (actorRole == ICareLedgerAccess.Role.NONE) return false;
        if (scope == ICareLedgerAccess.Scope.NONE) return false;
        bool search = action == ICareLedgerAccess.Action.SEARCH;
        bool ownRead = action == ICareLedgerAccess.Action.READ && self;
        bool touchesPrivileged = resource != ICareLedgerAccess.Resource.AUDIT_TRAIL
            && (_privileged(targetRole) || (!search && _privileged(subjectRole) && !ownRead));
        if (touchesPrivileged && actorRole != ICareLedgerAccess.Role.ROOT) return false;
        bool targetOk = targetRole == ICareLedgerAccess.Role.NONE || targetRole == ICareLedgerAccess.Role.PATIENT;
        if (search) {
            return scope == ICareLedgerAccess.Scope.ANY || (scope == ICareLedgerAccess.Scope.PATIENTS && targetOk);
        }
        if (scope == ICareLedgerAccess.Scope.OWN) return self;
        if (scope == ICareLedgerAccess.Scope.PATIENTS) {
            if (resource == ICareLedgerAccess.Resource.USER_RECORD && action == ICareLedgerAccess.Action.CREATE) {
                return targetRole == ICareLedgerAccess.Role.PATIENT
                    && (subjectRole == ICareLedgerAccess.Role.NONE || subjectRole == ICareLedgerAccess.Role.PATIENT);
            }
            return subjectRole == ICareLedgerAccess.Role.PATIENT && targetOk;
        }
        return true;
    }
}
