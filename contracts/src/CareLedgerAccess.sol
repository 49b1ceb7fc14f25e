// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ICareLedgerAccess} from "./ICareLedgerAccess.sol";

/// @title CareLedgerAccess — role-based access decisions and tamper-evident audit trail
/// @notice See {ICareLedgerAccess}. Registered gateways (the api servers) submit batches of
///         access requests (`authorize`) and of committed data changes (`recordLifecycle`);
///         every request and every change becomes one event. Denied requests are recorded,
///         not reverted: a revert would discard the evidence.
/// @dev Gas: the whole permission matrix (7 roles × 3 resources × 5 actions × 2 bits = 210
///      bits) is packed in one storage word, read once per batch; deciding a request costs at
///      most two role look-ups (actor, subject) and writes nothing.
contract CareLedgerAccess is ICareLedgerAccess, AccessControl {
    /// @inheritdoc ICareLedgerAccess
    bytes32 public constant override GATEWAY_ROLE = keccak256("GATEWAY_ROLE");

    uint256 private constant ROLES = 7; // real roles, ROOT..PATIENT
    uint256 private constant RESOURCES = 3;
    uint256 private constant ACTIONS = 5;

    /// @dev A user's role and the sequence of the last role-bearing entry applied for them,
    ///      packed in one slot.
    struct Account {
        Role role;
        uint64 sequence;
    }

    /// @dev system id → account; unknown ids read as Role.NONE, sequence 0.
    mapping(bytes32 systemId => Account account) private _accounts;

    /// @dev access request ids recorded again by `recommit`: each is re-recorded once.
    mapping(bytes32 requestId => bool done) private _reRecordedRequests;

    /// @dev cell (role, resource, action) holds its Scope in bits [2·i, 2·i+1] with
    ///      i = ((role − 1)·3 + resource)·5 + action.
    uint256 private _matrix;

    /// @param admin   receives DEFAULT_ADMIN_ROLE (registers and removes gateways)
    /// @param gateway receives GATEWAY_ROLE (the first api server's signing key)
    constructor(address admin, address gateway) {
        if (admin == address(0)) revert CareLedgerZeroAddress("admin");
        if (gateway == address(0)) revert CareLedgerZeroAddress("gateway");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GATEWAY_ROLE, gateway);
        _matrix = _defaultMatrix();
    }

    // ====================================================== external: gateway

    /// @inheritdoc ICareLedgerAccess
    function authorize(AccessRequest[] calldata requests) external override onlyRole(GATEWAY_ROLE) {
        if (requests.length == 0) revert CareLedgerEmptyBatch();
        _authorize(requests);
    }

    /// @inheritdoc ICareLedgerAccess
    function recordLifecycle(LifecycleEntry[] calldata entries) external override onlyRole(GATEWAY_ROLE) {
        if (entries.length == 0) revert CareLedgerEmptyBatch();
        _recordLifecycle(entries);
    }

    /// @inheritdoc ICareLedgerAccess
    function commit(AccessRequest[] calldata requests, LifecycleEntry[] calldata entries)
        external
        override
        onlyRole(GATEWAY_ROLE)
    {
        if (requests.length == 0 && entries.length == 0) revert CareLedgerEmptyBatch();
        _authorize(requests);
        _recordLifecycle(entries);
    }

    /// @inheritdoc ICareLedgerAccess
    function recommit(
        AccessRequest[] calldata requests,
        Original[] calldata requestOriginals,
        LifecycleEntry[] calldata entries,
        Original[] calldata entryOriginals
    ) external override onlyRole(GATEWAY_ROLE) {
        if (requests.length == 0 && entries.length == 0) revert CareLedgerEmptyBatch();
        if (requests.length != requestOriginals.length) {
            revert CareLedgerLengthMismatch(requests.length, requestOriginals.length);
        }
        if (entries.length != entryOriginals.length) {
            revert CareLedgerLengthMismatch(entries.length, entryOriginals.length);
        }
        uint64 ts = uint64(block.timestamp);
        for (uint256 i; i < requests.length; ++i) {
            _reRecordRequest(i, requests[i], requestOriginals[i], ts);
        }
        for (uint256 i; i < entries.length; ++i) {
            Original calldata o = entryOriginals[i];
            LifecycleEntry calldata e = entries[i];
            if (o.transactionHash == bytes32(0)) revert CareLedgerZeroIdentifier(i, e.entryId, "originalTransaction");
            if (_recordEntry(i, e, o.timestamp)) {
                emit ReRecorded(e.entryId, o.transactionHash, o.blockNumber, o.timestamp, ts);
            }
        }
    }

    /// @inheritdoc ICareLedgerAccess
    function setPermission(bytes32 actor, Role role, Resource resource, Action action, Scope scope)
        external
        override
        onlyRole(GATEWAY_ROLE)
    {
        if (role == Role.NONE) revert CareLedgerInvalidPermissionRole(role);
        _setPermission(actor, role, resource, action, scope);
    }

    // ========================================================= external: views

    /// @inheritdoc ICareLedgerAccess
    function roleOf(bytes32 systemId) external view override returns (Role) {
        return _accounts[systemId].role;
    }

    /// @inheritdoc ICareLedgerAccess
    function roleSequence(bytes32 systemId) external view override returns (uint64) {
        return _accounts[systemId].sequence;
    }

    /// @inheritdoc ICareLedgerAccess
    function permission(Role role, Resource resource, Action action) external view override returns (Scope) {
        return _scopeOf(_matrix, role, resource, action);
    }

    /// @inheritdoc ICareLedgerAccess
    function check(AccessRequest calldata request) external view override returns (bool approved) {
        return _decide(request, _matrix);
    }

    /// @notice The decisions `authorize` would make for a batch now, without recording them.
    /// @param requests the requests to decide
    /// @return approved one verdict per request, in order
    function checkBatch(AccessRequest[] calldata requests) external view returns (bool[] memory approved) {
        uint256 m = _matrix;
        approved = new bool[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            approved[i] = _decide(requests[i], m);
        }
    }

    /// @notice The packed permission matrix (2 bits per cell, see `_matrix`).
    /// @return the current packed matrix
    function permissionMatrix() external view returns (uint256) {
        return _matrix;
    }

    /// @notice The packed default matrix installed by the constructor.
    /// @return the default packed matrix
    function defaultPermissionMatrix() external pure returns (uint256) {
        return _defaultMatrix();
    }

    // ================================================================ internal

    function _authorize(AccessRequest[] calldata requests) internal {
        uint256 m = _matrix; // one SLOAD per batch
        uint64 ts = uint64(block.timestamp);
        uint256 n = requests.length;
        for (uint256 i; i < n;) {
            AccessRequest calldata r = requests[i];
            bool approved = _decide(r, m);
            emit AccessRequested(
                r.actor, r.subject, r.recordId, r.requestId, r.action, r.resource, r.targetRole, approved, ts
            );
            unchecked {
                ++i;
            }
        }
    }

    function _recordLifecycle(LifecycleEntry[] calldata entries) internal {
        uint64 ts = uint64(block.timestamp);
        uint256 n = entries.length;
        for (uint256 i; i < n;) {
            _recordEntry(i, entries[i], ts);
            unchecked {
                ++i;
            }
        }
    }

    function _reRecordRequest(uint256 index, AccessRequest calldata r, Original calldata o, uint64 ts) internal {
        bytes32 id = r.requestId;
        if (o.transactionHash == bytes32(0)) revert CareLedgerZeroIdentifier(index, id, "originalTransaction");
        if (_reRecordedRequests[id]) {
            emit ReRecordRefused(id, Refusal.REPLAYED, ts);
            return;
        }
        _reRecordedRequests[id] = true;
        emit AccessRequested(
            r.actor, r.subject, r.recordId, id, r.action, r.resource, r.targetRole, o.approved, o.timestamp
        );
        emit ReRecorded(id, o.transactionHash, o.blockNumber, o.timestamp, ts);
    }

    /// @dev Applies one entry, or records why not; returns whether it was applied.
    ///      Malformed entries (zero ids, a missing role) revert the batch: they are api bugs,
    ///      not facts to record. A replayed or stale role-bearing entry is a fact: recorded,
    ///      never reverted. Entries that change no state (USER_MODIFIED, RECORD_*, and the
    ///      authentication kinds, `_recordAuthentication`) keep no
    ///      mark: one storage slot per entry would grow the contract's storage with every
    ///      write (contracts/README.md, "Each entry is applied once"); a second copy is
    ///      emitted again and the index flags it as a duplicate.
    function _recordEntry(uint256 index, LifecycleEntry calldata e, uint64 ts) internal returns (bool) {
        Lifecycle kind = e.kind;
        if (uint8(kind) >= uint8(Lifecycle.SIGNED_IN)) return _recordAuthentication(index, e, ts);
        if (e.actor == bytes32(0)) revert CareLedgerZeroIdentifier(index, e.entryId, "actor");
        if (e.subject == bytes32(0)) revert CareLedgerZeroIdentifier(index, e.entryId, "subject");
        bool record = kind == Lifecycle.RECORD_VERSION_CREATED || kind == Lifecycle.RECORD_DELETED;
        if (record && e.recordId == bytes32(0)) revert CareLedgerZeroIdentifier(index, e.entryId, "recordId");
        bool setsRole = kind == Lifecycle.USER_ADDED || kind == Lifecycle.ROLE_CHANGED;
        if (setsRole && e.role == Role.NONE) revert CareLedgerInvalidLifecycleRole(index, e.entryId, kind, e.role);

        if (setsRole || kind == Lifecycle.USER_DELETED) return _applyRoleEntry(e, ts);
        if (kind == Lifecycle.USER_MODIFIED) {
            emit UserModified(e.actor, e.subject, e.entryId, e.contentHash, ts);
        } else if (kind == Lifecycle.RECORD_VERSION_CREATED) {
            emit RecordVersionCreated(e.actor, e.subject, e.recordId, e.entryId, e.version, e.contentHash, ts);
        } else {
            // Lifecycle.RECORD_DELETED: the ABI decoder rejects any other value.
            emit RecordDeleted(e.actor, e.subject, e.recordId, e.entryId, e.version, ts);
        }
        return true;
    }

    /// @dev SIGNED_IN … FACTOR_RESET: one `AuthenticationRecorded`, no state. A refused sign-in
    ///      has no proven actor, and no subject when the account tried does not exist, so
    ///      SIGN_IN_FAILED alone may carry zeros; every other kind names both. A copy is
    ///      emitted again (the index flags it as a duplicate), like the other stateless kinds.
    function _recordAuthentication(uint256 index, LifecycleEntry calldata e, uint64 ts) internal returns (bool) {
        Lifecycle kind = e.kind;
        if (kind != Lifecycle.SIGN_IN_FAILED) {
            if (e.actor == bytes32(0)) revert CareLedgerZeroIdentifier(index, e.entryId, "actor");
            if (e.subject == bytes32(0)) revert CareLedgerZeroIdentifier(index, e.entryId, "subject");
        }
        emit AuthenticationRecorded(e.actor, e.subject, e.entryId, kind, ts);
        return true;
    }

    /// @dev USER_ADDED, ROLE_CHANGED, USER_DELETED: applied only when newer than the subject's
    ///      last applied role-bearing entry, so a late copy never overwrites a newer role. The
    ///      api numbers a subject's role-bearing entries one by one, so an entry carrying the
    ///      last applied number is that entry again (REPLAYED); a lower one is STALE.
    function _applyRoleEntry(LifecycleEntry calldata e, uint64 ts) internal returns (bool) {
        Account storage account = _accounts[e.subject];
        Lifecycle kind = e.kind;
        uint64 last = account.sequence;
        if (e.sequence <= last) {
            Refusal why = e.sequence == last && last != 0 ? Refusal.REPLAYED : Refusal.STALE;
            emit LifecycleRefused(e.actor, e.subject, e.entryId, kind, why, e.sequence, ts);
            return false;
        }
        Role previous = account.role;
        Role role = kind == Lifecycle.USER_DELETED ? Role.NONE : e.role;
        account.role = role;
        account.sequence = e.sequence;
        if (kind == Lifecycle.USER_ADDED) {
            emit UserAdded(e.actor, e.subject, e.entryId, role, e.contentHash, ts);
        } else if (kind == Lifecycle.ROLE_CHANGED) {
            emit RoleChanged(e.actor, e.subject, e.entryId, previous, role, ts);
        } else {
            emit UserDeleted(e.actor, e.subject, e.entryId, ts);
        }
        return true;
    }

    function _setPermission(bytes32 actor, Role role, Resource resource, Action action, Scope scope) internal {
        uint64 ts = uint64(block.timestamp);
        if (actor == bytes32(0) || _accounts[actor].role != Role.ROOT) {
            emit PermissionChangeDenied(actor, role, resource, action, scope, ts);
            return;
        }
        uint256 m = _matrix;
        Scope previous = _scopeOf(m, role, resource, action);
        uint256 shift = _cellIndex(role, resource, action) * 2;
        _matrix = (m & ~(uint256(3) << shift)) | (uint256(scope) << shift);
        emit PermissionChanged(actor, role, resource, action, previous, scope, ts);
    }

    /// @dev The access decision (shared by `authorize`, `check` and `checkBatch`):
    ///  1. the actor must have a role (NONE is always denied) and a non-NONE scope for the cell;
    ///  2. only ROOT may act on ROOT/ADMIN accounts: on USER_RECORD and HEALTH_RECORD a
    ///     non-ROOT actor is denied when the targetRole is ROOT/ADMIN, or when the subject's
    ///     role is ROOT/ADMIN, except when READing their own record. AUDIT_TRAIL is exempt:
    ///     reading what privileged users did is what the trail is for (its cells decide);
    ///  3. SEARCH (subject bytes32(0)): approved for scope ANY or PATIENTS (for PATIENTS a
    ///     non-NONE targetRole must be PATIENT); subject checks are skipped;
    ///  4. OWN: subject == actor;
    ///     PATIENTS: subject's role is PATIENT and targetRole is NONE or PATIENT — except for
    ///     USER_RECORD CREATE, where the new user's targetRole must be PATIENT and the subject
    ///     must not hold another role already;
    ///     ANY: approved.
    function _decide(AccessRequest calldata r, uint256 m) internal view returns (bool) {
        bytes32 actor = r.actor;
        Role actorRole = _accounts[actor].role;
        if (actorRole == Role.NONE) return false;

        Action action = r.action;
        Resource resource = r.resource;
        Scope scope = _scopeOf(m, actorRole, resource, action);
        if (scope == Scope.NONE) return false;

        Role targetRole = r.targetRole;
        // Rule 2 guards accounts and their data; the audit trail stays open to its readers
        // (auditors must be able to follow what ROOT and ADMIN did).
        bool guarded = actorRole != Role.ROOT && resource != Resource.AUDIT_TRAIL;
        if (guarded && _isPrivileged(targetRole)) return false;

        if (action == Action.SEARCH) {
            if (scope == Scope.ANY) return true;
            if (scope == Scope.PATIENTS) return targetRole == Role.NONE || targetRole == Role.PATIENT;
            return false; // OWN: a search has no subject to own
        }

        bytes32 subject = r.subject;
        if (scope == Scope.OWN) {
            if (subject != actor) return false;
            // The subject is the actor; only READing one's own record is exempt from rule 2.
            return !guarded || action == Action.READ || !_isPrivileged(actorRole);
        }

        Role subjectRole = _accounts[subject].role;
        if (guarded && _isPrivileged(subjectRole) && !(action == Action.READ && subject == actor)) return false;

        if (scope == Scope.PATIENTS) {
            if (resource == Resource.USER_RECORD && action == Action.CREATE) {
                return targetRole == Role.PATIENT && (subjectRole == Role.NONE || subjectRole == Role.PATIENT);
            }
            return subjectRole == Role.PATIENT && (targetRole == Role.NONE || targetRole == Role.PATIENT);
        }
        return true; // Scope.ANY
    }

    function _isPrivileged(Role role) private pure returns (bool) {
        return role == Role.ROOT || role == Role.ADMIN;
    }

    function _cellIndex(Role role, Resource resource, Action action) private pure returns (uint256) {
        unchecked {
            return ((uint256(role) - 1) * RESOURCES + uint256(resource)) * ACTIONS + uint256(action);
        }
    }

    function _scopeOf(uint256 m, Role role, Resource resource, Action action) internal pure returns (Scope) {
        if (role == Role.NONE) return Scope.NONE;
        return Scope((m >> (_cellIndex(role, resource, action) * 2)) & 3);
    }

    function _cell(uint256 m, Role role, Resource resource, Action action, Scope scope) private pure returns (uint256) {
        return m | (uint256(scope) << (_cellIndex(role, resource, action) * 2));
    }

    /// @dev The default matrix of the hospital (the same table as test/fixtures/default-matrix.json).
    function _defaultMatrix() internal pure returns (uint256 m) {
        Resource U = Resource.USER_RECORD;
        Resource H = Resource.HEALTH_RECORD;
        Resource A = Resource.AUDIT_TRAIL;
        // ROOT and ADMIN: every action on user records, any subject (ADMIN still never on ROOT/ADMIN).
        for (uint256 a; a < ACTIONS; ++a) {
            m = _cell(m, Role.ROOT, U, Action(a), Scope.ANY);
            m = _cell(m, Role.ADMIN, U, Action(a), Scope.ANY);
        }
        m = _cell(m, Role.ROOT, A, Action.READ, Scope.ANY);
        m = _cell(m, Role.ROOT, A, Action.SEARCH, Scope.ANY);
        // Clinical and front-desk staff, auditors: find and read any user.
        for (uint256 r = uint256(Role.DOCTOR); r <= uint256(Role.AUDITOR); ++r) {
            m = _cell(m, Role(r), U, Action.READ, Scope.ANY);
            m = _cell(m, Role(r), U, Action.SEARCH, Scope.ANY);
        }
        m = _cell(m, Role.DOCTOR, H, Action.CREATE, Scope.PATIENTS);
        m = _cell(m, Role.DOCTOR, H, Action.READ, Scope.PATIENTS);
        m = _cell(m, Role.DOCTOR, H, Action.UPDATE, Scope.PATIENTS);
        m = _cell(m, Role.DOCTOR, H, Action.DELETE, Scope.PATIENTS);
        m = _cell(m, Role.NURSE, H, Action.READ, Scope.PATIENTS);
        m = _cell(m, Role.NURSE, H, Action.UPDATE, Scope.PATIENTS);
        m = _cell(m, Role.RECEPTIONIST, U, Action.CREATE, Scope.PATIENTS);
        m = _cell(m, Role.RECEPTIONIST, U, Action.UPDATE, Scope.PATIENTS);
        m = _cell(m, Role.AUDITOR, A, Action.READ, Scope.ANY);
        m = _cell(m, Role.AUDITOR, A, Action.SEARCH, Scope.ANY);
        m = _cell(m, Role.PATIENT, U, Action.READ, Scope.OWN);
        m = _cell(m, Role.PATIENT, H, Action.READ, Scope.OWN);
        m = _cell(m, Role.PATIENT, A, Action.READ, Scope.OWN);
    }
}
