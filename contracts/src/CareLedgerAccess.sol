// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ICareLedgerAccess} from "./ICareLedgerAccess.sol";

/// @title CareLedgerAccess — role-based access decisions and tamper-evident audit trail
/// @notice See {ICareLedgerAccess}. Registered gateways (the api servers) submit batches of
///         access requests (`authorize`) and of committed data changes (`recordLifecycle`);
///         every request and every change becomes one event. Denied requests are recorded,
///         not reverted: a revert would discard the evidence.
/// @dev Gas: the permission matrix (7 roles × 6 resources × 5 actions, 4 bits a cell) is
///      packed in four storage words, warm after a batch's first request; deciding a request
///      costs at most two account look-ups (actor, subject), and for the CARE scope one more
///      slot (the patient–staff relationship), and writes nothing. State grows with users and
///      relationships, never with records or accesses.
contract CareLedgerAccess is ICareLedgerAccess, AccessControl {
    /// @inheritdoc ICareLedgerAccess
    bytes32 public constant override GATEWAY_ROLE = keccak256("GATEWAY_ROLE");

    uint256 private constant ROLES = 7; // real roles, ROOT..PATIENT
    uint256 private constant RESOURCES = 6;
    uint256 private constant ACTIONS = 5;

    /// @dev How long a break-the-glass grant lasts unless ROOT changes it: 4 hours.
    uint64 private constant DEFAULT_GLASS_SECONDS = 4 hours;
    uint64 private constant MIN_GLASS_SECONDS = 1 minutes;
    uint64 private constant MAX_GLASS_SECONDS = 7 days;

    /// @dev One slot per user: the role and the sequence of the last role-bearing entry applied
    ///      for them; the department they work in and the one they are admitted to (opaque ids,
    ///      0 none) with the sequence of the last entry that set each; how many departments they
    ///      restrict as a patient; whether they were ever a patient (their records stay
    ///      reachable under the care rules when the account is deleted or changes role).
    struct Account {
        Role role;
        uint64 sequence;
        uint32 department;
        uint32 admittedTo;
        uint32 departmentSequence;
        uint32 admissionSequence;
        uint16 departmentRestrictions;
        bool everPatient;
    }

    /// @dev One slot per (patient, staff member) who ever had anything to do with each other:
    ///      care-team membership (0 none, type(uint64).max open-ended), break-the-glass grant
    ///      end, the patient's restriction, and the last sequence each took.
    struct Relation {
        uint64 careUntil;
        uint64 glassUntil;
        uint32 careSequence;
        uint32 glassSequence;
        uint32 restrictionSequence;
        bool restricted;
    }

    /// @dev A patient's restriction of a whole department, and the last sequence it took.
    struct DepartmentRestriction {
        bool restricted;
        uint32 sequence;
    }

    /// @dev system id → account; unknown ids read as Role.NONE, sequence 0.
    mapping(bytes32 systemId => Account account) private _accounts;

    /// @dev access request ids recorded again by `recommit`: each is re-recorded once.
    mapping(bytes32 requestId => bool done) private _reRecordedRequests;

    /// @dev cell (role, resource, action) holds its Scope in the 4 bits at 4·(i mod 64) of word
    ///      i / 64, with i = ((role − 1)·6 + resource)·5 + action.
    uint256[4] private _matrix;

    /// @dev patient → staff member → their relationship.
    mapping(bytes32 patient => mapping(bytes32 staff => Relation relation)) private _relations;

    /// @dev patient → department → the patient's restriction of it.
    mapping(bytes32 patient => mapping(uint32 department => DepartmentRestriction restriction)) private
        _departmentRestrictions;

    /// @dev how long a break-the-glass grant lasts, in seconds.
    uint64 private _glassSeconds;

    /// @param admin   receives DEFAULT_ADMIN_ROLE (registers and removes gateways)
    /// @param gateway receives GATEWAY_ROLE (the first api server's signing key)
    constructor(address admin, address gateway) {
        if (admin == address(0)) revert CareLedgerZeroAddress("admin");
        if (gateway == address(0)) revert CareLedgerZeroAddress("gateway");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GATEWAY_ROLE, gateway);
        _matrix = _defaultMatrix();
        _glassSeconds = DEFAULT_GLASS_SECONDS;
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

    /// @inheritdoc ICareLedgerAccess
    function setBreakGlassDuration(bytes32 actor, uint64 seconds_) external override onlyRole(GATEWAY_ROLE) {
        if (seconds_ < MIN_GLASS_SECONDS || seconds_ > MAX_GLASS_SECONDS) revert CareLedgerInvalidDuration(seconds_);
        uint64 ts = uint64(block.timestamp);
        if (actor == bytes32(0) || _accounts[actor].role != Role.ROOT) {
            emit BreakGlassDurationChangeDenied(actor, seconds_, ts);
            return;
        }
        emit BreakGlassDurationChanged(actor, _glassSeconds, seconds_, ts);
        _glassSeconds = seconds_;
    }

    // ========================================================= external: views

    /// @inheritdoc ICareLedgerAccess
    function breakGlassDuration() external view override returns (uint64) {
        return _glassSeconds;
    }

    /// @inheritdoc ICareLedgerAccess
    function relationship(bytes32 patient, bytes32 staff)
        external
        view
        override
        returns (uint64 careUntil, uint64 glassUntil, bool restricted)
    {
        Relation storage r = _relations[patient][staff];
        return (r.careUntil, r.glassUntil, r.restricted);
    }

    /// @inheritdoc ICareLedgerAccess
    function departmentsOf(bytes32 systemId) external view override returns (uint32 member, uint32 admitted) {
        Account storage a = _accounts[systemId];
        return (a.department, a.admittedTo);
    }

    /// @inheritdoc ICareLedgerAccess
    function departmentRestricted(bytes32 patient, uint32 department) external view override returns (bool) {
        return _departmentRestrictions[patient][department].restricted;
    }

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
        return _scopeOf(role, resource, action);
    }

    /// @inheritdoc ICareLedgerAccess
    function check(AccessRequest calldata request) external view override returns (bool approved) {
        (approved,) = _decide(request);
    }

    /// @notice The decisions `authorize` would make for a batch now, without recording them.
    /// @param requests the requests to decide
    /// @return approved one verdict per request, in order
    function checkBatch(AccessRequest[] calldata requests) external view returns (bool[] memory approved) {
        approved = new bool[](requests.length);
        for (uint256 i; i < requests.length; ++i) {
            (approved[i],) = _decide(requests[i]);
        }
    }

    /// @notice The packed permission matrix (4 bits per cell, see `_matrix`).
    /// @return the current packed matrix
    function permissionMatrix() external view returns (uint256[4] memory) {
        return _matrix;
    }

    /// @notice The packed default matrix installed by the constructor.
    /// @return the default packed matrix
    function defaultPermissionMatrix() external pure returns (uint256[4] memory) {
        return _defaultMatrix();
    }

    // ================================================================ internal

    function _authorize(AccessRequest[] calldata requests) internal {
        uint64 ts = uint64(block.timestamp);
        uint256 n = requests.length;
        for (uint256 i; i < n;) {
            AccessRequest calldata r = requests[i];
            (bool approved, uint64 grantedUntil) = _decide(r);
            emit AccessRequested(
                r.actor, r.subject, r.recordId, r.requestId, r.action, r.resource, r.targetRole, approved, ts
            );
            if (grantedUntil != 0) emit EmergencyAccess(r.actor, r.subject, r.requestId, grantedUntil, ts);
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
        if (uint8(kind) >= uint8(Lifecycle.CARE_ADDED)) return _recordCare(index, e, ts);
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
        if (role == Role.PATIENT) account.everPatient = true;
        if (kind == Lifecycle.USER_ADDED) {
            emit UserAdded(e.actor, e.subject, e.entryId, role, e.contentHash, ts);
        } else if (kind == Lifecycle.ROLE_CHANGED) {
            emit RoleChanged(e.actor, e.subject, e.entryId, previous, role, ts);
        } else {
            emit UserDeleted(e.actor, e.subject, e.entryId, ts);
        }
        return true;
    }

    /// @dev The care kinds (CARE_ADDED … RESTRICTION_LIFTED). Malformed entries revert the
    ///      batch (api bugs); an entry not newer than the state it would set is recorded as
    ///      refused (REPLAYED: the same sequence again; STALE: an older one) and changes
    ///      nothing, so a late copy from the outbox never undoes a newer change.
    function _recordCare(uint256 index, LifecycleEntry calldata e, uint64 ts) internal returns (bool) {
        bytes32 id = e.entryId;
        if (e.actor == bytes32(0)) revert CareLedgerZeroIdentifier(index, id, "actor");
        if (e.subject == bytes32(0)) revert CareLedgerZeroIdentifier(index, id, "subject");
        if (e.sequence == 0 || e.sequence > type(uint32).max) revert CareLedgerInvalidLifecycleField(index, id, "sequence");
        Lifecycle kind = e.kind;
        if (kind == Lifecycle.CARE_ADDED || kind == Lifecycle.CARE_ENDED) return _recordCareTeam(index, e, ts);
        if (kind == Lifecycle.ADMITTED || kind == Lifecycle.DISCHARGED) return _recordAdmission(index, e, ts);
        if (kind == Lifecycle.DEPARTMENT_ASSIGNED) {
            Account storage staff = _accounts[e.subject];
            if (!_takes(e, staff.departmentSequence, ts)) return false;
            staff.departmentSequence = uint32(e.sequence);
            staff.department = e.department;
            emit DepartmentAssigned(e.actor, e.subject, e.department, id, ts);
            return true;
        }
        if (kind == Lifecycle.GLASS_BROKEN) {
            if (e.detail > uint8(GlassReason.OTHER)) revert CareLedgerInvalidLifecycleField(index, id, "detail");
            Relation storage rel = _relations[e.subject][e.actor];
            if (!_takes(e, rel.glassSequence, ts)) return false;
            uint64 until = ts + _glassSeconds;
            rel.glassSequence = uint32(e.sequence);
            rel.glassUntil = until;
            emit GlassBroken(e.actor, e.subject, id, GlassReason(e.detail), e.contentHash, until, ts);
            return true;
        }
        if (kind == Lifecycle.GLASS_REVIEWED) {
            if (e.recordId == bytes32(0)) revert CareLedgerZeroIdentifier(index, id, "recordId");
            if (e.counterpart == bytes32(0)) revert CareLedgerZeroIdentifier(index, id, "counterpart");
            if (e.detail > 1) revert CareLedgerInvalidLifecycleField(index, id, "detail");
            emit GlassReviewed(e.actor, e.subject, e.counterpart, id, e.recordId, e.detail == 1, e.contentHash, ts);
            return true;
        }
        // RESTRICTED, RESTRICTION_LIFTED: the ABI decoder rejects any other value.
        return _recordRestriction(index, e, ts);
    }

    function _recordCareTeam(uint256 index, LifecycleEntry calldata e, uint64 ts) internal returns (bool) {
        if (e.counterpart == bytes32(0)) revert CareLedgerZeroIdentifier(index, e.entryId, "counterpart");
        Relation storage rel = _relations[e.subject][e.counterpart];
        if (!_takes(e, rel.careSequence, ts)) return false;
        rel.careSequence = uint32(e.sequence);
        if (e.kind == Lifecycle.CARE_ADDED) {
            rel.careUntil = e.until == 0 ? type(uint64).max : e.until;
            emit CareRelationshipAdded(e.actor, e.subject, e.counterpart, e.entryId, e.until, ts);
        } else {
            rel.careUntil = 0;
            emit CareRelationshipEnded(e.actor, e.subject, e.counterpart, e.entryId, ts);
        }
        return true;
    }

    function _recordAdmission(uint256 index, LifecycleEntry calldata e, uint64 ts) internal returns (bool) {
        bool admit = e.kind == Lifecycle.ADMITTED;
        if (admit && e.department == 0) revert CareLedgerInvalidLifecycleField(index, e.entryId, "department");
        Account storage patient = _accounts[e.subject];
        if (!_takes(e, patient.admissionSequence, ts)) return false;
        patient.admissionSequence = uint32(e.sequence);
        if (admit) {
            patient.admittedTo = e.department;
            emit PatientAdmitted(e.actor, e.subject, e.department, e.entryId, ts);
        } else {
            uint32 department = patient.admittedTo;
            patient.admittedTo = 0;
            emit PatientDischarged(e.actor, e.subject, department, e.entryId, ts);
        }
        return true;
    }

    function _recordRestriction(uint256 index, LifecycleEntry calldata e, uint64 ts) internal returns (bool) {
        bool restrict = e.kind == Lifecycle.RESTRICTED;
        if (e.counterpart != bytes32(0)) {
            if (e.department != 0) revert CareLedgerInvalidLifecycleField(index, e.entryId, "department");
            Relation storage rel = _relations[e.subject][e.counterpart];
            if (!_takes(e, rel.restrictionSequence, ts)) return false;
            rel.restrictionSequence = uint32(e.sequence);
            rel.restricted = restrict;
        } else {
            if (e.department == 0) revert CareLedgerZeroIdentifier(index, e.entryId, "counterpart");
            DepartmentRestriction storage d = _departmentRestrictions[e.subject][e.department];
            if (!_takes(e, d.sequence, ts)) return false;
            d.sequence = uint32(e.sequence);
            if (d.restricted != restrict) {
                Account storage patient = _accounts[e.subject];
                if (restrict) ++patient.departmentRestrictions;
                else --patient.departmentRestrictions;
                d.restricted = restrict;
            }
        }
        if (restrict) emit AccessRestricted(e.subject, e.counterpart, e.department, e.entryId, ts);
        else emit RestrictionLifted(e.subject, e.counterpart, e.department, e.entryId, ts);
        return true;
    }

    /// @dev Whether an entry is newer than the `last` sequence its state took; when not, the
    ///      refusal is recorded.
    function _takes(LifecycleEntry calldata e, uint32 last, uint64 ts) internal returns (bool) {
        if (e.sequence > last) return true;
        Refusal why = e.sequence == last ? Refusal.REPLAYED : Refusal.STALE;
        emit LifecycleRefused(e.actor, e.subject, e.entryId, e.kind, why, e.sequence, ts);
        return false;
    }

    function _setPermission(bytes32 actor, Role role, Resource resource, Action action, Scope scope) internal {
        uint64 ts = uint64(block.timestamp);
        if (actor == bytes32(0) || _accounts[actor].role != Role.ROOT) {
            emit PermissionChangeDenied(actor, role, resource, action, scope, ts);
            return;
        }
        Scope previous = _scopeOf(role, resource, action);
        uint256 i = _cellIndex(role, resource, action);
        uint256 shift = (i & 63) * 4;
        uint256 word = _matrix[i >> 6];
        _matrix[i >> 6] = (word & ~(uint256(15) << shift)) | (uint256(scope) << shift);
        emit PermissionChanged(actor, role, resource, action, previous, scope, ts);
    }

    /// @dev The access decision (shared by `authorize`, `check` and `checkBatch`):
    ///  1. the actor must have a role (NONE is always denied) and a non-NONE scope for the cell;
    ///  2. only ROOT may act on ROOT/ADMIN accounts: on every resource but AUDIT_TRAIL a
    ///     non-ROOT actor is denied when the targetRole is ROOT/ADMIN, or when the subject's
    ///     role is ROOT/ADMIN, except when READing their own record. AUDIT_TRAIL is exempt:
    ///     reading what privileged users did is what the trail is for (its cells decide);
    ///  3. SEARCH (subject bytes32(0)): approved for scope ANY, or PATIENTS / CARE when a
    ///     non-NONE targetRole is PATIENT; subject checks are skipped;
    ///  4. OWN: subject == actor;
    ///     PATIENTS: the subject is a patient and targetRole is NONE or PATIENT — on
    ///     USER_RECORD a patient is a PATIENT account (USER_RECORD CREATE: the new user's
    ///     targetRole must be PATIENT and the subject must not hold another role already); on
    ///     every other resource anyone ever a patient (records outlive accounts);
    ///     CARE: PATIENTS, then `_careDecision`;
    ///     ANY: approved.
    ///  Returns the grant's end as well when a break-the-glass grant decided it (0 otherwise).
    function _decide(AccessRequest calldata r) internal view returns (bool, uint64) {
        bytes32 actor = r.actor;
        Account storage actorAccount = _accounts[actor];
        Role actorRole = actorAccount.role;
        if (actorRole == Role.NONE) return (false, 0);

        Action action = r.action;
        Resource resource = r.resource;
        Scope scope = _scopeOf(actorRole, resource, action);
        if (scope == Scope.NONE) return (false, 0);

        Role targetRole = r.targetRole;
        // Rule 2 guards accounts and their data; the audit trail stays open to its readers
        // (auditors must be able to follow what ROOT and ADMIN did).
        bool guarded = actorRole != Role.ROOT && resource != Resource.AUDIT_TRAIL;
        if (guarded && _isPrivileged(targetRole)) return (false, 0);

        if (action == Action.SEARCH) {
            if (scope == Scope.ANY) return (true, 0);
            if (scope == Scope.PATIENTS || scope == Scope.CARE) {
                return (targetRole == Role.NONE || targetRole == Role.PATIENT, 0);
            }
            return (false, 0); // OWN: a search has no subject to own
        }

        bytes32 subject = r.subject;
        if (scope == Scope.OWN) {
            if (subject != actor) return (false, 0);
            // The subject is the actor; only READing one's own record is exempt from rule 2.
            return (!guarded || action == Action.READ || !_isPrivileged(actorRole), 0);
        }

        Account storage subjectAccount = _accounts[subject];
        Role subjectRole = subjectAccount.role;
        if (guarded && _isPrivileged(subjectRole) && !(action == Action.READ && subject == actor)) return (false, 0);
        if (scope == Scope.ANY) return (true, 0);

        // PATIENTS or CARE
        if (targetRole != Role.NONE && targetRole != Role.PATIENT) return (false, 0);
        if (resource == Resource.USER_RECORD) {
            if (action == Action.CREATE) {
                return (targetRole == Role.PATIENT && (subjectRole == Role.NONE || subjectRole == Role.PATIENT), 0);
            }
            if (subjectRole != Role.PATIENT) return (false, 0);
        } else if (!subjectAccount.everPatient || _isPrivileged(subjectRole)) {
            return (false, 0);
        }
        if (scope == Scope.PATIENTS) return (true, 0);
        return _careDecision(r, subjectAccount, actorAccount.department);
    }

    /// @dev CARE: on HEALTH_RECORD, a break-the-glass grant in force approves (and overrides
    ///      restrictions) — a grant opens the patient's records and nothing else: it never lets
    ///      its holder change the care team, admit or discharge. Otherwise a restriction by the
    ///      patient — of this staff member, or of their department — denies, exactly as no
    ///      relationship would; otherwise a care-team membership not ended, or the patient's
    ///      admission to the actor's department, approves.
    function _careDecision(AccessRequest calldata r, Account storage patient, uint32 department)
        private
        view
        returns (bool, uint64)
    {
        bytes32 subject = r.subject;
        Relation storage rel = _relations[subject][r.actor];
        uint64 now_ = uint64(block.timestamp);
        uint64 glassUntil = rel.glassUntil;
        if (r.resource == Resource.HEALTH_RECORD && glassUntil > now_) return (true, glassUntil);
        if (rel.restricted) return (false, 0);
        if (department != 0 && patient.departmentRestrictions != 0) {
            // The patient slot is warm; only a patient who restricts departments costs a look-up.
            if (_departmentRestrictions[subject][department].restricted) return (false, 0);
        }
        if (rel.careUntil > now_) return (true, 0);
        return (department != 0 && patient.admittedTo == department, 0);
    }

    function _isPrivileged(Role role) private pure returns (bool) {
        return role == Role.ROOT || role == Role.ADMIN;
    }

    function _cellIndex(Role role, Resource resource, Action action) private pure returns (uint256) {
        unchecked {
            return ((uint256(role) - 1) * RESOURCES + uint256(resource)) * ACTIONS + uint256(action);
        }
    }

    function _scopeOf(Role role, Resource resource, Action action) internal view returns (Scope) {
        if (role == Role.NONE) return Scope.NONE;
        uint256 i = _cellIndex(role, resource, action);
        return Scope((_matrix[i >> 6] >> ((i & 63) * 4)) & 15);
    }

    function _cell(uint256[4] memory m, Role role, Resource resource, Action action, Scope scope) private pure {
        uint256 i = _cellIndex(role, resource, action);
        m[i >> 6] |= uint256(scope) << ((i & 63) * 4);
    }

    /// @dev The default matrix of the hospital (the same table as test/fixtures/default-matrix.json).
    function _defaultMatrix() internal pure returns (uint256[4] memory m) {
        Resource U = Resource.USER_RECORD;
        Resource H = Resource.HEALTH_RECORD;
        Resource A = Resource.AUDIT_TRAIL;
        Resource T = Resource.CARE_TEAM;
        Resource E = Resource.EMERGENCY_ACCESS;
        Resource R = Resource.RESTRICTION;
        // ROOT and ADMIN: every action on user records, any subject (ADMIN still never on ROOT/ADMIN).
        for (uint256 a; a < ACTIONS; ++a) {
            _cell(m, Role.ROOT, U, Action(a), Scope.ANY);
            _cell(m, Role.ADMIN, U, Action(a), Scope.ANY);
        }
        _cell(m, Role.ROOT, A, Action.READ, Scope.ANY);
        _cell(m, Role.ROOT, A, Action.SEARCH, Scope.ANY);
        // Clinical and front-desk staff, auditors: find and read any user.
        for (uint256 r = uint256(Role.DOCTOR); r <= uint256(Role.AUDITOR); ++r) {
            _cell(m, Role(r), U, Action.READ, Scope.ANY);
            _cell(m, Role(r), U, Action.SEARCH, Scope.ANY);
        }
        // Clinicians: the patients they care for (care team, admission to their department,
        // or break-the-glass).
        _cell(m, Role.DOCTOR, H, Action.CREATE, Scope.CARE);
        _cell(m, Role.DOCTOR, H, Action.READ, Scope.CARE);
        _cell(m, Role.DOCTOR, H, Action.UPDATE, Scope.CARE);
        _cell(m, Role.DOCTOR, H, Action.DELETE, Scope.CARE);
        _cell(m, Role.NURSE, H, Action.READ, Scope.CARE);
        _cell(m, Role.NURSE, H, Action.UPDATE, Scope.CARE);
        _cell(m, Role.RECEPTIONIST, U, Action.CREATE, Scope.PATIENTS);
        _cell(m, Role.RECEPTIONIST, U, Action.UPDATE, Scope.PATIENTS);
        _cell(m, Role.AUDITOR, A, Action.READ, Scope.ANY);
        _cell(m, Role.AUDITOR, A, Action.SEARCH, Scope.ANY);
        _cell(m, Role.PATIENT, U, Action.READ, Scope.OWN);
        _cell(m, Role.PATIENT, H, Action.READ, Scope.OWN);
        _cell(m, Role.PATIENT, A, Action.READ, Scope.OWN);
        // Care teams: administrators manage them; a doctor on the team adds and ends members
        // and admits or discharges; nurses on the team see it; the front desk admits and
        // discharges; patients see their own.
        _cell(m, Role.ADMIN, T, Action.CREATE, Scope.PATIENTS);
        _cell(m, Role.ADMIN, T, Action.READ, Scope.PATIENTS);
        _cell(m, Role.ADMIN, T, Action.UPDATE, Scope.PATIENTS);
        _cell(m, Role.ADMIN, T, Action.DELETE, Scope.PATIENTS);
        _cell(m, Role.DOCTOR, T, Action.CREATE, Scope.CARE);
        _cell(m, Role.DOCTOR, T, Action.READ, Scope.CARE);
        _cell(m, Role.DOCTOR, T, Action.UPDATE, Scope.CARE);
        _cell(m, Role.DOCTOR, T, Action.DELETE, Scope.CARE);
        _cell(m, Role.NURSE, T, Action.READ, Scope.CARE);
        _cell(m, Role.RECEPTIONIST, T, Action.READ, Scope.PATIENTS);
        _cell(m, Role.RECEPTIONIST, T, Action.UPDATE, Scope.PATIENTS);
        _cell(m, Role.PATIENT, T, Action.READ, Scope.OWN);
        // Break-the-glass: clinicians on any patient; auditors review.
        _cell(m, Role.DOCTOR, E, Action.CREATE, Scope.PATIENTS);
        _cell(m, Role.NURSE, E, Action.CREATE, Scope.PATIENTS);
        _cell(m, Role.AUDITOR, E, Action.READ, Scope.ANY);
        _cell(m, Role.AUDITOR, E, Action.UPDATE, Scope.ANY);
        _cell(m, Role.AUDITOR, E, Action.SEARCH, Scope.ANY);
        // Restrictions: a patient's own.
        _cell(m, Role.PATIENT, R, Action.CREATE, Scope.OWN);
        _cell(m, Role.PATIENT, R, Action.READ, Scope.OWN);
        _cell(m, Role.PATIENT, R, Action.DELETE, Scope.OWN);
    }
}
