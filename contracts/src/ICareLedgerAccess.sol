// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICareLedgerAccess — on-chain access decisions and audit trail of CareLedger
/// @notice The contract knows hospital users only by their pseudonymous system-wide
///         identifier (`bytes32`). It maps identifiers to roles, holds the permission matrix
///         role × resource × action → scope, decides every access request submitted by a
///         registered gateway (an api server's signing key) and records every decision and
///         every committed data change as an event. No patient data goes on chain: only
///         identifiers and salted content hashes.
/// @dev Enum order and struct field order are part of the ABI shared with the Rust api
///      (alloy `sol!` bindings). Never reorder; only append.
interface ICareLedgerAccess {
    // ------------------------------------------------------------------ types

    /// @notice A user's role. NONE means "unknown to the contract" and is always denied.
    enum Role {
        NONE,
        ROOT,
        ADMIN,
        DOCTOR,
        NURSE,
        RECEPTIONIST,
        AUDITOR,
        PATIENT
    }

    /// @notice What a request touches. Appended: CARE_TEAM (a patient's care relationships:
    ///         CREATE adds a member, DELETE ends one, UPDATE admits to or discharges from a
    ///         department, READ lists the team), EMERGENCY_ACCESS (break-the-glass: CREATE
    ///         breaks the glass on a patient, READ/SEARCH list the reviews, UPDATE closes a
    ///         review) and RESTRICTION (a patient's restrictions on named staff or a
    ///         department: CREATE, DELETE lifts, READ lists).
    enum Resource {
        USER_RECORD,
        HEALTH_RECORD,
        AUDIT_TRAIL,
        CARE_TEAM,
        EMERGENCY_ACCESS,
        RESTRICTION
    }

    /// @notice What a request does. SEARCH requests carry subject bytes32(0).
    enum Action {
        CREATE,
        READ,
        UPDATE,
        DELETE,
        SEARCH
    }

    /// @notice How far a permission reaches.
    /// NONE: never. OWN: only when subject == actor. PATIENTS: only when the subject (and a
    /// non-NONE target role) is a patient. ANY: any subject. Whatever the scope, on USER_RECORD
    /// and HEALTH_RECORD only ROOT acts on ROOT/ADMIN accounts (anyone may READ their own).
    /// CARE (appended): as PATIENTS, and the actor has an active relationship with the patient —
    /// a care-team membership not ended, or an admission to the actor's department — and no
    /// restriction by the patient applies to them; or, on HEALTH_RECORD only, a break-the-glass
    /// grant of theirs on the patient is in force (it overrides restrictions; every access under
    /// it emits `EmergencyAccess`; it never opens the care team). On every resource but USER_RECORD a patient subject is anyone who was
    /// ever a patient and holds no ROOT/ADMIN role: records outlive accounts.
    enum Scope {
        NONE,
        OWN,
        PATIENTS,
        ANY,
        CARE
    }

    /// @notice The kinds of committed data changes recorded by `recordLifecycle`, then the
    ///         authentication events (appended; they change no state and emit
    ///         `AuthenticationRecorded`): a sign-in, a refused sign-in, a sign-out, and a second
    ///         factor enrolled, used, or reset by an administrator; then (appended) the care
    ///         relationships: a care-team member added or ended, a patient admitted to or
    ///         discharged from a department, a staff member's department assigned, the glass
    ///         broken and its review, a patient's restriction placed or lifted.
    enum Lifecycle {
        USER_ADDED,
        USER_MODIFIED,
        USER_DELETED,
        ROLE_CHANGED,
        RECORD_VERSION_CREATED,
        RECORD_DELETED,
        SIGNED_IN,
        SIGN_IN_FAILED,
        SIGNED_OUT,
        FACTOR_ENROLLED,
        FACTOR_USED,
        FACTOR_RESET,
        CARE_ADDED,
        CARE_ENDED,
        ADMITTED,
        DISCHARGED,
        DEPARTMENT_ASSIGNED,
        GLASS_BROKEN,
        GLASS_REVIEWED,
        RESTRICTED,
        RESTRICTION_LIFTED
    }

    /// @notice Why a clinician broke the glass (`LifecycleEntry.detail` of GLASS_BROKEN).
    enum GlassReason {
        EMERGENCY_TREATMENT,
        CONTINUITY_OF_CARE,
        PATIENT_REQUEST,
        OTHER
    }

    /// @notice Why a gateway's submission was recorded as refused instead of applied.
    /// REPLAYED: a role-bearing entry whose `sequence` equals the last one applied for its
    /// subject (that entry again: it is applied once), or an access request re-recorded a
    /// second time. STALE: a role-bearing entry whose `sequence` is lower than the last one
    /// applied for its subject (it would overwrite a newer role).
    enum Refusal {
        REPLAYED,
        STALE
    }

    /// @notice One access request to decide and record.
    /// @param requestId  the api's id for the request (echoed in the event so the api can match verdicts)
    /// @param actor      system id of the user asking
    /// @param action     what the actor wants to do
    /// @param resource   what the actor wants to touch
    /// @param subject    system id of the affected user (the patient for health records; the new
    ///                   user's id for USER_RECORD CREATE); bytes32(0) for SEARCH
    /// @param recordId   health record id, or bytes32(0)
    /// @param targetRole for user creation or role change: the role being given; else NONE
    struct AccessRequest {
        bytes32 requestId;
        bytes32 actor;
        Action action;
        Resource resource;
        bytes32 subject;
        bytes32 recordId;
        Role targetRole;
    }

    /// @notice One committed data change to record on chain.
    /// @param entryId     the api's id for the entry (unique per change)
    /// @param kind        what changed
    /// @param actor       system id of the user who made the change; for the authentication
    ///                    kinds the user who signed in or out or used their factor (an
    ///                    administrator for FACTOR_RESET); SIGN_IN_FAILED: zero (nobody proved
    ///                    who they are)
    /// @param subject     system id of the affected user (patient for record kinds); for the
    ///                    authentication kinds the account concerned; SIGN_IN_FAILED: the account
    ///                    tried, or zero when no such account exists
    /// @param recordId    health record id for record kinds, else bytes32(0)
    /// @param version     record version for record kinds, else 0
    /// @param contentHash salted hash of the stored version / user row (the salt stays off chain)
    /// @param role        USER_ADDED: the new user's role; ROLE_CHANGED: the new role; else ignored
    /// @param sequence    USER_ADDED, ROLE_CHANGED, USER_DELETED: the subject's role sequence after
    ///                    this change (1 for USER_ADDED, one more for each later role-bearing
    ///                    change); applied only when greater than the last applied. Else ignored.
    /// @param counterpart CARE_ADDED, CARE_ENDED: the clinician; RESTRICTED, RESTRICTION_LIFTED:
    ///                    the staff member, or zero for a department; GLASS_REVIEWED: the clinician
    ///                    who broke the glass; else zero
    /// @param department  ADMITTED: the department (opaque id, not 0); DEPARTMENT_ASSIGNED: the
    ///                    staff member's department (0: none); RESTRICTED, RESTRICTION_LIFTED with
    ///                    a zero counterpart: the department; else 0
    /// @param until       CARE_ADDED: when the relationship ends (0: open-ended); else 0
    /// @param detail      GLASS_BROKEN: the `GlassReason`; GLASS_REVIEWED: 1 justified, 0 not; else 0
    /// @dev The care kinds use `sequence` too: for a patient (subject) the api numbers its care
    ///      changes one by one (for DEPARTMENT_ASSIGNED: the staff member's own count); each
    ///      piece of state (a relationship, a grant, an admission, a restriction, a membership)
    ///      takes an entry only when it is newer than the last it took. GLASS_REVIEWED: `recordId`
    ///      is the reviewed GLASS_BROKEN entry's id, `contentHash` the salted hash of the note.
    ///      GLASS_BROKEN: `contentHash` is the salted hash of the justification.
    struct LifecycleEntry {
        bytes32 entryId;
        Lifecycle kind;
        bytes32 actor;
        bytes32 subject;
        bytes32 recordId;
        uint64 version;
        bytes32 contentHash;
        Role role;
        uint64 sequence;
        bytes32 counterpart;
        uint32 department;
        uint64 until;
        uint8 detail;
    }

    /// @notice Where a submission was first recorded, for a re-recording (`recommit`) after the
    ///         chain lost it (a node restarted from an older state, a reorganisation).
    /// @param transactionHash the transaction that first carried it (never zero)
    /// @param blockNumber     the block it was first mined in
    /// @param timestamp       that block's timestamp: when the access or change really happened
    /// @param approved        access requests: the verdict the api acted on; entries: ignored
    struct Original {
        bytes32 transactionHash;
        uint64 blockNumber;
        uint64 timestamp;
        bool approved;
    }

    // ----------------------------------------------------------------- events

    /// @notice One per submitted access request, approved or denied.
    event AccessRequested(
        bytes32 indexed actor,
        bytes32 indexed subject,
        bytes32 indexed recordId,
        bytes32 requestId,
        Action action,
        Resource resource,
        Role targetRole,
        bool approved,
        uint64 timestamp
    );

    /// @notice A user was added with `role` (roleOf(subject) is now `role`).
    event UserAdded(
        bytes32 indexed actor,
        bytes32 indexed subject,
        bytes32 entryId,
        Role role,
        bytes32 contentHash,
        uint64 timestamp
    );

    /// @notice A user's data was modified (not the role).
    event UserModified(
        bytes32 indexed actor, bytes32 indexed subject, bytes32 entryId, bytes32 contentHash, uint64 timestamp
    );

    /// @notice A user was deleted (roleOf(subject) is now NONE).
    event UserDeleted(bytes32 indexed actor, bytes32 indexed subject, bytes32 entryId, uint64 timestamp);

    /// @notice A user's role changed from `previousRole` to `newRole`.
    event RoleChanged(
        bytes32 indexed actor,
        bytes32 indexed subject,
        bytes32 entryId,
        Role previousRole,
        Role newRole,
        uint64 timestamp
    );

    /// @notice A health record version was stored; `contentHash` anchors it.
    event RecordVersionCreated(
        bytes32 indexed actor,
        bytes32 indexed subject,
        bytes32 indexed recordId,
        bytes32 entryId,
        uint64 version,
        bytes32 contentHash,
        uint64 timestamp
    );

    /// @notice A health record was deleted at `version`.
    event RecordDeleted(
        bytes32 indexed actor,
        bytes32 indexed subject,
        bytes32 indexed recordId,
        bytes32 entryId,
        uint64 version,
        uint64 timestamp
    );

    /// @notice ROOT `actor` changed the scope of one matrix cell.
    event PermissionChanged(
        bytes32 indexed actor,
        Role role,
        Resource resource,
        Action action,
        Scope previousScope,
        Scope newScope,
        uint64 timestamp
    );

    /// @notice A non-ROOT `actor` tried to change a matrix cell; nothing changed.
    event PermissionChangeDenied(
        bytes32 indexed actor, Role role, Resource resource, Action action, Scope requestedScope, uint64 timestamp
    );

    /// @notice A lifecycle entry was not applied (`reason`); no role changed. Recorded, never
    ///         reverted, so the rest of its batch stands.
    event LifecycleRefused(
        bytes32 indexed actor,
        bytes32 indexed subject,
        bytes32 entryId,
        Lifecycle kind,
        Refusal reason,
        uint64 sequence,
        uint64 timestamp
    );

    /// @notice The access request or lifecycle entry `id`, whose event precedes this one in the
    ///         same transaction, is a re-recording: it first happened in `originalTransaction`
    ///         (block `originalBlock`, at `originalTimestamp`), which the chain no longer holds.
    ///         `timestamp` is when it was recorded again.
    event ReRecorded(
        bytes32 indexed id, bytes32 originalTransaction, uint64 originalBlock, uint64 originalTimestamp, uint64 timestamp
    );

    /// @notice An authentication event of user account `subject` (`kind`: SIGNED_IN,
    ///         SIGN_IN_FAILED, SIGNED_OUT, FACTOR_ENROLLED, FACTOR_USED, FACTOR_RESET), by
    ///         `actor`. SIGN_IN_FAILED carries a zero actor, and a zero subject when the
    ///         account tried does not exist. Nothing changes on chain.
    event AuthenticationRecorded(
        bytes32 indexed actor, bytes32 indexed subject, bytes32 entryId, Lifecycle kind, uint64 timestamp
    );
    /// @notice `actor` added `clinician` to `patient`'s care team until `until` (0: open-ended).
    event CareRelationshipAdded(
        bytes32 indexed actor,
        bytes32 indexed patient,
        bytes32 indexed clinician,
        bytes32 entryId,
        uint64 until,
        uint64 timestamp
    );

    /// @notice `actor` ended `clinician`'s care relationship with `patient`.
    event CareRelationshipEnded(
        bytes32 indexed actor, bytes32 indexed patient, bytes32 indexed clinician, bytes32 entryId, uint64 timestamp
    );

    /// @notice `actor` admitted `patient` to `department`.
    event PatientAdmitted(
        bytes32 indexed actor, bytes32 indexed patient, uint32 department, bytes32 entryId, uint64 timestamp
    );

    /// @notice `actor` discharged `patient` from `department`.
    event PatientDischarged(
        bytes32 indexed actor, bytes32 indexed patient, uint32 department, bytes32 entryId, uint64 timestamp
    );

    /// @notice `actor` made `department` the department of staff member `staff` (0: none).
    event DepartmentAssigned(
        bytes32 indexed actor, bytes32 indexed staff, uint32 department, bytes32 entryId, uint64 timestamp
    );

    /// @notice Clinician `actor` broke the glass on `patient` for `reason`; access is granted
    ///         until `until`. `justificationHash` is the salted hash of the justification.
    event GlassBroken(
        bytes32 indexed actor,
        bytes32 indexed patient,
        bytes32 entryId,
        GlassReason reason,
        bytes32 justificationHash,
        uint64 until,
        uint64 timestamp
    );

    /// @notice Auditor `actor` closed the review of break-the-glass `grantEntryId` (by
    ///         `clinician` on `patient`): `justified` or not, `noteHash` the salted note hash.
    event GlassReviewed(
        bytes32 indexed actor,
        bytes32 indexed patient,
        bytes32 indexed clinician,
        bytes32 entryId,
        bytes32 grantEntryId,
        bool justified,
        bytes32 noteHash,
        uint64 timestamp
    );

    /// @notice `patient` restricted staff member `staff` (or, with `staff` zero, `department`)
    ///         from their records.
    event AccessRestricted(
        bytes32 indexed patient, bytes32 indexed staff, uint32 department, bytes32 entryId, uint64 timestamp
    );

    /// @notice `patient` lifted their restriction on `staff` (or `department`).
    event RestrictionLifted(
        bytes32 indexed patient, bytes32 indexed staff, uint32 department, bytes32 entryId, uint64 timestamp
    );

    /// @notice Access request `requestId` (whose `AccessRequested` precedes this event) was
    ///         decided while `actor`'s break-the-glass grant on `subject` was in force, until
    ///         `grantedUntil`.
    event EmergencyAccess(
        bytes32 indexed actor, bytes32 indexed subject, bytes32 requestId, uint64 grantedUntil, uint64 timestamp
    );

    /// @notice ROOT `actor` changed how long a break-the-glass grant lasts.
    event BreakGlassDurationChanged(bytes32 indexed actor, uint64 previousSeconds, uint64 newSeconds, uint64 timestamp);

    /// @notice A non-ROOT `actor` tried to change the break-the-glass duration; nothing changed.
    event BreakGlassDurationChangeDenied(bytes32 indexed actor, uint64 requestedSeconds, uint64 timestamp);

    /// @notice A re-recording of access request `requestId` was refused (`reason` REPLAYED: it
    ///         was re-recorded already); nothing else was emitted for it.
    event ReRecordRefused(bytes32 indexed requestId, Refusal reason, uint64 timestamp);

    // ----------------------------------------------------------------- errors

    /// @notice A batch call carried nothing to do.
    error CareLedgerEmptyBatch();

    /// @notice The constructor was given the zero address for `which` ("admin" or "gateway").
    error CareLedgerZeroAddress(string which);

    /// @notice Lifecycle entry `index` (entry id `entryId`) has a zero `field` identifier.
    error CareLedgerZeroIdentifier(uint256 index, bytes32 entryId, string field);

    /// @notice Lifecycle entry `index` (entry id `entryId`) of kind `kind` needs a real role, got `role`.
    error CareLedgerInvalidLifecycleRole(uint256 index, bytes32 entryId, Lifecycle kind, Role role);

    /// @notice Matrix cells exist only for real roles; `role` (NONE) has none.
    error CareLedgerInvalidPermissionRole(Role role);

    /// @notice Lifecycle entry `index` (entry id `entryId`) carries a value its kind does not
    ///         allow in `field`.
    error CareLedgerInvalidLifecycleField(uint256 index, bytes32 entryId, string field);

    /// @notice A break-the-glass grant must last between one minute and seven days; got `seconds_`.
    error CareLedgerInvalidDuration(uint64 seconds_);

    /// @notice A re-recording carried `items` submissions but `originals` originals.
    error CareLedgerLengthMismatch(uint256 items, uint256 originals);

    // -------------------------------------------------------------- functions

    /// @notice Decide a batch of access requests and emit one `AccessRequested` per request.
    /// @dev GATEWAY_ROLE only. A denied request is recorded, never reverted.
    /// @param requests the batch (non-empty)
    function authorize(AccessRequest[] calldata requests) external;

    /// @notice Record a batch of committed data changes, one event per entry.
    /// @dev GATEWAY_ROLE only; entries are trusted (the api authorised them). USER_ADDED and
    ///      ROLE_CHANGED set roleOf(subject); USER_DELETED sets it to NONE. The authentication
    ///      kinds emit `AuthenticationRecorded` and change nothing; every kind but
    ///      SIGN_IN_FAILED needs a non-zero actor and subject (`CareLedgerZeroIdentifier`). A role-bearing entry
    ///      whose sequence is not newer than the subject's emits `LifecycleRefused` instead and
    ///      changes nothing; the rest of the batch stands. Entries that change no state are
    ///      emitted each time they are sent (the index flags a second copy as a duplicate).
    /// @param entries the batch (non-empty)
    function recordLifecycle(LifecycleEntry[] calldata entries) external;

    /// @notice `authorize(requests)` then `recordLifecycle(entries)` in one transaction.
    /// @dev GATEWAY_ROLE only. Either list may be empty, not both. Requests are decided
    ///      before any entry changes a role.
    /// @param requests access requests to decide and record
    /// @param entries  committed data changes to record
    function commit(AccessRequest[] calldata requests, LifecycleEntry[] calldata entries) external;

    /// @notice Record again what the chain lost: access requests and lifecycle entries that were
    ///         mined once (in `Original.transactionHash`) and are no longer on chain.
    /// @dev GATEWAY_ROLE only. Each request emits `AccessRequested` with the original verdict and
    ///      timestamp (what the api acted on, when it did), then `ReRecorded`; a request id
    ///      re-recorded before emits `ReRecordRefused` instead. Each entry goes through the rules
    ///      of `recordLifecycle` with its original timestamp and, when applied, is followed by
    ///      `ReRecorded`. Either list may be empty, not both; each needs one original per item.
    ///      The verdict of a re-recorded request is the gateway's word, marked as such.
    /// @param requests         access requests to record again
    /// @param requestOriginals where each request was first recorded, in order
    /// @param entries          lifecycle entries to record again
    /// @param entryOriginals   where each entry was first recorded, in order
    function recommit(
        AccessRequest[] calldata requests,
        Original[] calldata requestOriginals,
        LifecycleEntry[] calldata entries,
        Original[] calldata entryOriginals
    ) external;

    /// @notice Change one matrix cell on behalf of hospital user `actor`.
    /// @dev GATEWAY_ROLE only. Applied (and `PermissionChanged` emitted) iff roleOf(actor) is ROOT;
    ///      otherwise `PermissionChangeDenied` is emitted and nothing changes (no revert).
    /// @param actor    system id of the user asking for the change
    /// @param role     the role whose permission changes (not NONE)
    /// @param resource the resource of the cell
    /// @param action   the action of the cell
    /// @param scope    the new scope
    function setPermission(bytes32 actor, Role role, Resource resource, Action action, Scope scope) external;

    /// @notice Change how long a break-the-glass grant lasts, on behalf of hospital user `actor`.
    /// @dev GATEWAY_ROLE only. Applied (`BreakGlassDurationChanged`) iff roleOf(actor) is ROOT,
    ///      otherwise `BreakGlassDurationChangeDenied` and no change. Between 60 s and 7 days
    ///      (`CareLedgerInvalidDuration`).
    /// @param actor   system id of the user asking
    /// @param seconds_ the new duration in seconds
    function setBreakGlassDuration(bytes32 actor, uint64 seconds_) external;

    /// @notice How long a break-the-glass grant lasts, in seconds (4 hours unless ROOT changed it).
    /// @return the duration in seconds
    function breakGlassDuration() external view returns (uint64);

    /// @notice The care state between a patient and a staff member.
    /// @param patient the patient's system id
    /// @param staff   the staff member's system id
    /// @return careUntil   end of the care-team membership (0: none; type(uint64).max: open-ended)
    /// @return glassUntil  end of the break-the-glass grant (0: none)
    /// @return restricted  whether the patient restricted this staff member
    function relationship(bytes32 patient, bytes32 staff)
        external
        view
        returns (uint64 careUntil, uint64 glassUntil, bool restricted);

    /// @notice The department of a staff member, and the department a patient is admitted to
    ///         (0: none).
    /// @param systemId the user's system id
    /// @return member   the department the user works in
    /// @return admitted the department the user is admitted to as a patient
    function departmentsOf(bytes32 systemId) external view returns (uint32 member, uint32 admitted);

    /// @notice Whether `patient` restricted `department` from their records.
    /// @param patient    the patient's system id
    /// @param department the department's opaque id
    /// @return restricted true when restricted
    function departmentRestricted(bytes32 patient, uint32 department) external view returns (bool restricted);

    /// @notice The role of a system id (NONE when unknown).
    /// @param systemId the user's system-wide identifier
    /// @return the user's role
    function roleOf(bytes32 systemId) external view returns (Role);

    /// @notice The last role sequence applied for a system id (0 when none).
    /// @param systemId the user's system-wide identifier
    /// @return the sequence of the last applied USER_ADDED, ROLE_CHANGED or USER_DELETED
    function roleSequence(bytes32 systemId) external view returns (uint64);

    /// @notice The scope of one matrix cell (NONE for role NONE).
    /// @param role     the role
    /// @param resource the resource
    /// @param action   the action
    /// @return the scope
    function permission(Role role, Resource resource, Action action) external view returns (Scope);

    /// @notice The decision `authorize` would make for `request` now, without recording it.
    /// @param request the request to decide
    /// @return approved true when the request would be approved
    function check(AccessRequest calldata request) external view returns (bool approved);

    /// @notice The gateway role (api servers' signing keys), administered by DEFAULT_ADMIN_ROLE.
    /// @return keccak256("GATEWAY_ROLE")
    function GATEWAY_ROLE() external view returns (bytes32);
}
