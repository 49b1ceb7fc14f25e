// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {InvariantBase, TestBase, Vm} from "./utils/TestBase.sol";
import {CareLedgerAccess} from "../src/CareLedgerAccess.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";

/// @title Handler: a hospital's care relationships as the api's outbox delivers them — added
///        and ended, admissions and discharges, departments, restrictions and their lifting,
///        the glass broken and reviewed, some held back and delivered late, some sent twice,
///        some malformed — with patients deleted and restored, the grant's duration changed,
///        time passing, and clinicians and patients asking for health records and care teams.
/// @dev The handler rebuilds the care state *only from the events it sees* and decides every
///      entry's outcome (applied, REPLAYED, STALE) and every request's verdict and emergency
///      mark from that model, independently of the contract.
contract CareHandler is TestBase {
    CareLedgerAccess public immutable ledger;
    address public immutable gateway;

    bytes32 internal constant ACCESS_REQUESTED =
        keccak256("AccessRequested(bytes32,bytes32,bytes32,bytes32,uint8,uint8,uint8,bool,uint64)");
    bytes32 internal constant EMERGENCY = keccak256("EmergencyAccess(bytes32,bytes32,bytes32,uint64,uint64)");
    bytes32 internal constant CARE_ADDED = keccak256("CareRelationshipAdded(bytes32,bytes32,bytes32,bytes32,uint64,uint64)");
    bytes32 internal constant CARE_ENDED = keccak256("CareRelationshipEnded(bytes32,bytes32,bytes32,bytes32,uint64)");
    bytes32 internal constant ADMITTED = keccak256("PatientAdmitted(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant DISCHARGED = keccak256("PatientDischarged(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant ASSIGNED = keccak256("DepartmentAssigned(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant GLASS_BROKEN = keccak256("GlassBroken(bytes32,bytes32,bytes32,uint8,bytes32,uint64,uint64)");
    bytes32 internal constant GLASS_REVIEWED =
        keccak256("GlassReviewed(bytes32,bytes32,bytes32,bytes32,bytes32,bool,bytes32,uint64)");
    bytes32 internal constant RESTRICTED = keccak256("AccessRestricted(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant LIFTED = keccak256("RestrictionLifted(bytes32,bytes32,uint32,bytes32,uint64)");
    bytes32 internal constant REFUSED = keccak256("LifecycleRefused(bytes32,bytes32,bytes32,uint8,uint8,uint64,uint64)");
    bytes32 internal constant USER_ADDED = keccak256("UserAdded(bytes32,bytes32,bytes32,uint8,bytes32,uint64)");
    bytes32 internal constant USER_DELETED = keccak256("UserDeleted(bytes32,bytes32,bytes32,uint64)");
    bytes32 internal constant DURATION_CHANGED = keccak256("BreakGlassDurationChanged(bytes32,uint64,uint64,uint64)");
    bytes32 internal constant DURATION_DENIED = keccak256("BreakGlassDurationChangeDenied(bytes32,uint64,uint64)");

    bytes32 public constant ROOT = keccak256("care:root");
    bytes32 public constant ADMIN = keccak256("care:admin");
    bytes32 public constant RECEPTIONIST = keccak256("care:receptionist");
    bytes32 public constant AUDITOR = keccak256("care:auditor");
    uint256 public constant PATIENT_COUNT = 3;
    uint256 public constant CLINICIAN_COUNT = 4; // two doctors, two nurses
    uint32 public constant DEPARTMENTS = 2; // ids 1 and 2 (0: none)

    bytes32[] public patients;
    bytes32[] public clinicians;

    // ---------------------------------------------------------- the api's side

    uint64 public currentTime;
    mapping(bytes32 => uint64) internal sent; // care sequences sent (per patient; per staff member)
    mapping(bytes32 => uint64) internal roleSent; // role sequences sent
    ICareLedgerAccess.LifecycleEntry[] internal held; // numbered, not yet delivered
    ICareLedgerAccess.LifecycleEntry[] internal delivered; // for copies
    uint256 internal nonce;

    // ---------------------------------------------------------- the model, from events

    mapping(bytes32 => mapping(bytes32 => uint64)) public careUntil;
    mapping(bytes32 => mapping(bytes32 => uint64)) public glassUntil;
    mapping(bytes32 => mapping(bytes32 => bool)) public restricted;
    mapping(bytes32 => mapping(uint32 => bool)) public departmentRestricted;
    mapping(bytes32 => uint32) public admittedTo;
    mapping(bytes32 => uint32) public memberOf;
    mapping(bytes32 => bool) public deleted;
    uint64 public duration = 4 hours;

    // the last sequence each piece of state took
    mapping(bytes32 => mapping(bytes32 => uint64)) internal careTook;
    mapping(bytes32 => mapping(bytes32 => uint64)) internal glassTook;
    mapping(bytes32 => mapping(bytes32 => uint64)) internal restrictionTook;
    mapping(bytes32 => mapping(uint32 => uint64)) internal departmentRestrictionTook;
    mapping(bytes32 => uint64) internal admissionTook;
    mapping(bytes32 => uint64) internal departmentTook;

    // ---------------------------------------------------------- ghost counters

    uint256 public entriesSubmitted;
    uint256 public entryEvents;
    uint256 public refusals;
    uint256 public wrongOutcomes; // applied or refused against the rules, a wrong field, a wrong revert
    uint256 public unexpectedEvents;
    uint256 public requestsSubmitted;
    uint256 public accessEvents;
    uint256 public wrongVerdicts; // a verdict or an emergency mark the model does not give
    uint256 public unsafeApprovals; // clinician health-record access without relationship or grant
    uint256 public restrictedApprovals; // ... or of a restricted clinician without a grant
    uint256 public clinicianApprovals;
    uint256 public emergencyAccesses;
    uint256 public durationCalls;
    uint256 public durationEvents;

    constructor(CareLedgerAccess ledger_, address gateway_) {
        ledger = ledger_;
        gateway = gateway_;
        currentTime = uint64(block.timestamp);
        for (uint256 i; i < PATIENT_COUNT; ++i) {
            patients.push(keccak256(abi.encode("care:patient", i)));
        }
        for (uint256 i; i < CLINICIAN_COUNT; ++i) {
            clinicians.push(keccak256(abi.encode("care:clinician", i)));
        }
    }

    /// @dev Not a fuzz target: the hospital's accounts, through the same event-checked path.
    function bootstrap() external {
        ICareLedgerAccess.LifecycleEntry[] memory e = new ICareLedgerAccess.LifecycleEntry[](4 + PATIENT_COUNT + CLINICIAN_COUNT);
        e[0] = _user(ROOT, ICareLedgerAccess.Role.ROOT, ICareLedgerAccess.Lifecycle.USER_ADDED);
        e[1] = _user(ADMIN, ICareLedgerAccess.Role.ADMIN, ICareLedgerAccess.Lifecycle.USER_ADDED);
        e[2] = _user(RECEPTIONIST, ICareLedgerAccess.Role.RECEPTIONIST, ICareLedgerAccess.Lifecycle.USER_ADDED);
        e[3] = _user(AUDITOR, ICareLedgerAccess.Role.AUDITOR, ICareLedgerAccess.Lifecycle.USER_ADDED);
        for (uint256 i; i < PATIENT_COUNT; ++i) {
            e[4 + i] = _user(patients[i], ICareLedgerAccess.Role.PATIENT, ICareLedgerAccess.Lifecycle.USER_ADDED);
        }
        for (uint256 i; i < CLINICIAN_COUNT; ++i) {
            ICareLedgerAccess.Role role = i < 2 ? ICareLedgerAccess.Role.DOCTOR : ICareLedgerAccess.Role.NURSE;
            e[4 + PATIENT_COUNT + i] = _user(clinicians[i], role, ICareLedgerAccess.Lifecycle.USER_ADDED);
        }
        _send(e);
    }

    // ---------------------------------------------------------- actions

    /// @dev 1–4 care entries, numbered as the api numbers them; one in four held back.
    function care(uint256 seed, uint256 count) external {
        _now();
        uint256 n = bound(count, 1, 4);
        ICareLedgerAccess.LifecycleEntry[] memory now_ = new ICareLedgerAccess.LifecycleEntry[](n);
        uint256 k;
        for (uint256 i; i < n; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            ICareLedgerAccess.LifecycleEntry memory e = _careEntry(s);
            if ((s >> 200) % 4 == 0) held.push(e);
            else now_[k++] = e;
        }
        if (k == 0) return;
        assembly {
            mstore(now_, k)
        }
        _send(now_);
    }

    /// @dev An entry held back arrives now: newer than its piece's last, or STALE.
    function deliverLate(uint256 seed) external {
        _now();
        if (held.length == 0) return;
        uint256 i = seed % held.length;
        ICareLedgerAccess.LifecycleEntry memory e = held[i];
        held[i] = held[held.length - 1];
        held.pop();
        _send(_single(e));
    }

    /// @dev The outbox sends an entry again (at-least-once delivery).
    function sendCopy(uint256 seed) external {
        _now();
        if (delivered.length == 0) return;
        _send(_single(delivered[seed % delivered.length]));
    }

    /// @dev A batch with one malformed entry: reverts naming it, and nothing applies.
    function sendMalformed(uint256 seed) external {
        _now();
        uint256 n = 1 + seed % 3;
        uint256 bad = (seed >> 8) % n;
        ICareLedgerAccess.LifecycleEntry[] memory batch = new ICareLedgerAccess.LifecycleEntry[](n);
        for (uint256 i; i < n; ++i) {
            batch[i] = _careEntry(uint256(keccak256(abi.encode("malformed", seed, i))));
        }
        ICareLedgerAccess.LifecycleEntry memory e = batch[bad];
        string memory field;
        bytes4 error = ICareLedgerAccess.CareLedgerZeroIdentifier.selector;
        uint256 how = (seed >> 16) % 4;
        if (how == 0) {
            e.actor = bytes32(0);
            field = "actor";
        } else if (how == 1) {
            e.subject = bytes32(0);
            field = "subject";
        } else if (how == 2) {
            e.sequence = (seed >> 24) % 2 == 0 ? 0 : uint64(type(uint32).max) + 1;
            field = "sequence";
            error = ICareLedgerAccess.CareLedgerInvalidLifecycleField.selector;
        } else {
            e.kind = ICareLedgerAccess.Lifecycle.ADMITTED;
            e.department = 0;
            field = "department";
            error = ICareLedgerAccess.CareLedgerInvalidLifecycleField.selector;
        }
        vm.recordLogs();
        vm.prank(gateway);
        try ledger.recordLifecycle(batch) {
            wrongOutcomes += 1; // a malformed entry was accepted
            _absorbEntries(vm.getRecordedLogs(), batch);
        } catch (bytes memory reason) {
            vm.getRecordedLogs(); // logs of the reverted frame never reached the chain
            if (keccak256(reason) != keccak256(abi.encodeWithSelector(error, bad, e.entryId, field))) {
                wrongOutcomes += 1;
            }
        }
    }

    function deletePatient(uint256 seed) external {
        _now();
        bytes32 p = patients[seed % PATIENT_COUNT];
        _send(_single(_user(p, ICareLedgerAccess.Role.NONE, ICareLedgerAccess.Lifecycle.USER_DELETED)));
    }

    function restorePatient(uint256 seed) external {
        _now();
        bytes32 p = patients[seed % PATIENT_COUNT];
        _send(_single(_user(p, ICareLedgerAccess.Role.PATIENT, ICareLedgerAccess.Lifecycle.USER_ADDED)));
    }

    function setDuration(uint256 seed, uint64 seconds_) external {
        _now();
        bytes32 actor = seed % 3 == 0 ? ADMIN : ROOT;
        seconds_ = uint64(bound(seconds_, 60, 7 days));
        vm.recordLogs();
        vm.prank(gateway);
        ledger.setBreakGlassDuration(actor, seconds_);
        durationCalls += 1;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            bytes32 sig = logs[i].topics[0];
            if (sig == DURATION_CHANGED) {
                durationEvents += 1;
                (uint64 previous, uint64 next,) = abi.decode(logs[i].data, (uint64, uint64, uint64));
                if (actor != ROOT || previous != duration || next != seconds_) wrongOutcomes += 1;
                duration = next;
            } else if (sig == DURATION_DENIED) {
                durationEvents += 1;
                if (actor == ROOT) wrongOutcomes += 1;
            } else {
                unexpectedEvents += 1;
            }
        }
    }

    function warp(uint256 seconds_) external {
        currentTime += uint64(bound(seconds_, 0, 6 hours));
        _now();
    }

    /// @dev Time runs to the very second a membership or a grant ends (0 or 1 second early),
    ///      where `>` and `>=` part.
    function warpToAnEnd(uint256 seed) external {
        bytes32 p = patients[seed % PATIENT_COUNT];
        bytes32 c = clinicians[(seed >> 8) % CLINICIAN_COUNT];
        uint64 end = (seed >> 16) % 2 == 0 ? glassUntil[p][c] : careUntil[p][c];
        uint64 early = uint64((seed >> 24) % 2);
        if (end != type(uint64).max && end > currentTime + early) currentTime = end - early;
        _now();
    }

    /// @dev 1–8 requests: mostly clinicians on health records and care teams, some patients
    ///      (their own or another's), some front-desk admissions.
    function authorize(uint256 seed, uint256 count) external {
        _now();
        uint256 n = bound(count, 1, 8);
        ICareLedgerAccess.AccessRequest[] memory reqs = new ICareLedgerAccess.AccessRequest[](n);
        for (uint256 i; i < n; ++i) {
            reqs[i] = _request(uint256(keccak256(abi.encode("request", seed, i))));
        }
        vm.recordLogs();
        vm.prank(gateway);
        ledger.authorize(reqs);
        requestsSubmitted += n;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 l;
        for (uint256 i; i < n; ++i) {
            (bool approved, bool emergency) = _expected(reqs[i]);
            if (l >= logs.length || logs[l].topics[0] != ACCESS_REQUESTED) {
                wrongVerdicts += 1;
                return;
            }
            accessEvents += 1;
            (bytes32 id,,,, bool ok,) = abi.decode(logs[l].data, (bytes32, uint8, uint8, uint8, bool, uint64));
            ++l;
            if (id != reqs[i].requestId || ok != approved) wrongVerdicts += 1;
            bool marked = l < logs.length && logs[l].topics[0] == EMERGENCY;
            if (marked) {
                emergencyAccesses += 1;
                (bytes32 eid, uint64 until,) = abi.decode(logs[l].data, (bytes32, uint64, uint64));
                if (eid != reqs[i].requestId || until != glassUntil[reqs[i].subject][reqs[i].actor]) wrongVerdicts += 1;
                ++l;
            }
            if (marked != emergency) wrongVerdicts += 1;
            if (ok) _checkSafety(reqs[i]);
        }
        if (l != logs.length) unexpectedEvents += 1;
    }

    // ---------------------------------------------------------- builders

    function _now() internal {
        vm.warp(currentTime);
    }

    function _single(ICareLedgerAccess.LifecycleEntry memory e)
        internal
        pure
        returns (ICareLedgerAccess.LifecycleEntry[] memory b)
    {
        b = new ICareLedgerAccess.LifecycleEntry[](1);
        b[0] = e;
    }

    function _blank(ICareLedgerAccess.Lifecycle kind, bytes32 actor, bytes32 subject)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory)
    {
        return ICareLedgerAccess.LifecycleEntry({
            entryId: keccak256(abi.encode("care:entry", ++nonce)),
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

    function _user(bytes32 subject, ICareLedgerAccess.Role role, ICareLedgerAccess.Lifecycle kind)
        internal
        returns (ICareLedgerAccess.LifecycleEntry memory e)
    {
        e = _blank(kind, ADMIN, subject);
        e.role = role;
        e.sequence = ++roleSent[subject];
    }

    /// @dev One care entry of any kind, numbered in its owner's sequence.
    function _careEntry(uint256 s) internal returns (ICareLedgerAccess.LifecycleEntry memory e) {
        bytes32 p = patients[(s >> 8) % PATIENT_COUNT];
        bytes32 c = clinicians[(s >> 16) % CLINICIAN_COUNT];
        uint32 d = uint32(1 + (s >> 24) % DEPARTMENTS);
        uint256 k = s % 12;
        if (k < 3) {
            e = _blank(ICareLedgerAccess.Lifecycle.CARE_ADDED, (s >> 32) % 2 == 0 ? ADMIN : clinicians[0], p);
            e.counterpart = c;
            e.until = (s >> 40) % 3 == 0 ? 0 : currentTime + uint64((s >> 48) % 8 hours);
        } else if (k == 3) {
            e = _blank(ICareLedgerAccess.Lifecycle.CARE_ENDED, ADMIN, p);
            e.counterpart = c;
        } else if (k == 4) {
            e = _blank(ICareLedgerAccess.Lifecycle.ADMITTED, RECEPTIONIST, p);
            e.department = d;
        } else if (k == 5) {
            e = _blank(ICareLedgerAccess.Lifecycle.DISCHARGED, RECEPTIONIST, p);
        } else if (k == 6) {
            e = _blank(ICareLedgerAccess.Lifecycle.DEPARTMENT_ASSIGNED, ADMIN, c);
            e.department = (s >> 32) % 4 == 0 ? 0 : d;
        } else if (k == 7) {
            e = _blank(ICareLedgerAccess.Lifecycle.GLASS_BROKEN, c, p);
            e.detail = uint8((s >> 32) % 4);
            e.contentHash = keccak256(abi.encode("justification", s));
        } else if (k == 8) {
            e = _blank(ICareLedgerAccess.Lifecycle.GLASS_REVIEWED, AUDITOR, p);
            e.counterpart = c;
            e.recordId = keccak256(abi.encode("grant", s));
            e.detail = uint8((s >> 32) % 2);
        } else {
            // 9: a staff member restricted, 10: a department, 11: either lifted.
            e = _blank(k == 11 ? ICareLedgerAccess.Lifecycle.RESTRICTION_LIFTED : ICareLedgerAccess.Lifecycle.RESTRICTED, p, p);
            if (k == 9 || (k == 11 && (s >> 56) % 2 == 0)) e.counterpart = c;
            else e.department = d;
        }
        bytes32 owner = e.kind == ICareLedgerAccess.Lifecycle.DEPARTMENT_ASSIGNED ? c : p;
        e.sequence = ++sent[owner];
    }

    function _request(uint256 s) internal view returns (ICareLedgerAccess.AccessRequest memory r) {
        uint256 who = s % 8;
        bytes32 p = patients[(s >> 8) % PATIENT_COUNT];
        bytes32 actor;
        ICareLedgerAccess.Resource resource = (s >> 16) % 4 == 0
            ? ICareLedgerAccess.Resource.CARE_TEAM
            : ICareLedgerAccess.Resource.HEALTH_RECORD;
        if (who < 6) actor = clinicians[(s >> 24) % CLINICIAN_COUNT];
        else if (who == 6) actor = (s >> 24) % 2 == 0 ? p : patients[(s >> 32) % PATIENT_COUNT];
        else actor = RECEPTIONIST;
        r = ICareLedgerAccess.AccessRequest({
            requestId: bytes32(s),
            actor: actor,
            action: ICareLedgerAccess.Action((s >> 40) % 4),
            resource: resource,
            subject: p,
            recordId: resource == ICareLedgerAccess.Resource.HEALTH_RECORD ? keccak256(abi.encode("record", p)) : bytes32(0),
            targetRole: ICareLedgerAccess.Role.NONE
        });
    }

    function _send(ICareLedgerAccess.LifecycleEntry[] memory entries) internal {
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recordLifecycle(entries);
        entriesSubmitted += entries.length;
        for (uint256 i; i < entries.length; ++i) {
            if (uint8(entries[i].kind) >= uint8(ICareLedgerAccess.Lifecycle.CARE_ADDED)) delivered.push(entries[i]);
        }
        _absorbEntries(vm.getRecordedLogs(), entries);
    }

    // ---------------------------------------------------------- the model

    function _isClinician(bytes32 id) internal view returns (bool) {
        for (uint256 i; i < CLINICIAN_COUNT; ++i) {
            if (clinicians[i] == id) return true;
        }
        return false;
    }

    function _isPatient(bytes32 id) internal view returns (bool) {
        for (uint256 i; i < PATIENT_COUNT; ++i) {
            if (patients[i] == id) return true;
        }
        return false;
    }

    /// @dev The default matrix's cells for the handler's requests: 0 NONE, 1 OWN, 2 PATIENTS, 4 CARE.
    function _scope(bytes32 actor, ICareLedgerAccess.Resource resource, ICareLedgerAccess.Action action)
        internal
        view
        returns (uint256)
    {
        bool health = resource == ICareLedgerAccess.Resource.HEALTH_RECORD;
        uint256 a = uint256(action); // CREATE, READ, UPDATE, DELETE
        if (actor == clinicians[0] || actor == clinicians[1]) return 4; // doctors: all four, both resources
        if (_isClinician(actor)) return (a == 1 || (health && a == 2)) ? 4 : 0; // nurses
        if (actor == RECEPTIONIST) return (!health && (a == 1 || a == 2)) ? 2 : 0;
        return a == 1 ? 1 : 0; // patients read their own
    }

    /// @dev The verdict and the emergency mark the rules give, from the model.
    function _expected(ICareLedgerAccess.AccessRequest memory r) internal view returns (bool, bool) {
        if (_isPatient(r.actor) && deleted[r.actor]) return (false, false); // role NONE
        uint256 scope = _scope(r.actor, r.resource, r.action);
        if (scope == 0) return (false, false);
        if (scope == 1) return (r.subject == r.actor, false);
        // Every subject here was a patient once: records outlive accounts.
        if (scope == 2) return (true, false);
        // A grant opens the patient's health records, never their care team.
        bool health = r.resource == ICareLedgerAccess.Resource.HEALTH_RECORD;
        if (health && glassUntil[r.subject][r.actor] > currentTime) return (true, true);
        if (_restricted(r.subject, r.actor)) return (false, false);
        return (_related(r.subject, r.actor), false);
    }

    function _restricted(bytes32 p, bytes32 c) internal view returns (bool) {
        uint32 d = memberOf[c];
        return restricted[p][c] || (d != 0 && departmentRestricted[p][d]);
    }

    function _related(bytes32 p, bytes32 c) internal view returns (bool) {
        uint32 d = memberOf[c];
        return careUntil[p][c] > currentTime || (d != 0 && admittedTo[p] == d);
    }

    /// @dev The property of the issue, on every approval: no clinician reaches a health record
    ///      without an active relationship or a grant, nor, restricted, without a grant.
    function _checkSafety(ICareLedgerAccess.AccessRequest memory r) internal {
        if (!_isClinician(r.actor) || r.resource != ICareLedgerAccess.Resource.HEALTH_RECORD) return;
        clinicianApprovals += 1;
        bool grant = glassUntil[r.subject][r.actor] > currentTime;
        if (!grant && !_related(r.subject, r.actor)) unsafeApprovals += 1;
        if (!grant && _restricted(r.subject, r.actor)) restrictedApprovals += 1;
    }

    function _absorbEntries(Vm.Log[] memory logs, ICareLedgerAccess.LifecycleEntry[] memory entries) internal {
        if (logs.length != entries.length) {
            unexpectedEvents += 1;
            return;
        }
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(ledger)) unexpectedEvents += 1;
            _absorbEntry(logs[i], entries[i]);
        }
    }

    /// @dev The last sequence the entry's piece of state took (0 for the stateless review).
    function _took(ICareLedgerAccess.LifecycleEntry memory e) internal view returns (uint64) {
        ICareLedgerAccess.Lifecycle k = e.kind;
        if (k == ICareLedgerAccess.Lifecycle.CARE_ADDED || k == ICareLedgerAccess.Lifecycle.CARE_ENDED) {
            return careTook[e.subject][e.counterpart];
        }
        if (k == ICareLedgerAccess.Lifecycle.ADMITTED || k == ICareLedgerAccess.Lifecycle.DISCHARGED) {
            return admissionTook[e.subject];
        }
        if (k == ICareLedgerAccess.Lifecycle.DEPARTMENT_ASSIGNED) return departmentTook[e.subject];
        if (k == ICareLedgerAccess.Lifecycle.GLASS_BROKEN) return glassTook[e.subject][e.actor];
        if (k == ICareLedgerAccess.Lifecycle.GLASS_REVIEWED) return 0;
        if (k == ICareLedgerAccess.Lifecycle.RESTRICTED || k == ICareLedgerAccess.Lifecycle.RESTRICTION_LIFTED) {
            return e.counterpart != bytes32(0)
                ? restrictionTook[e.subject][e.counterpart]
                : departmentRestrictionTook[e.subject][e.department];
        }
        return roleTook[e.subject];
    }

    mapping(bytes32 => uint64) internal roleTook;

    function _take(ICareLedgerAccess.LifecycleEntry memory e) internal {
        ICareLedgerAccess.Lifecycle k = e.kind;
        uint64 q = e.sequence;
        if (k == ICareLedgerAccess.Lifecycle.CARE_ADDED || k == ICareLedgerAccess.Lifecycle.CARE_ENDED) {
            careTook[e.subject][e.counterpart] = q;
        } else if (k == ICareLedgerAccess.Lifecycle.ADMITTED || k == ICareLedgerAccess.Lifecycle.DISCHARGED) {
            admissionTook[e.subject] = q;
        } else if (k == ICareLedgerAccess.Lifecycle.DEPARTMENT_ASSIGNED) {
            departmentTook[e.subject] = q;
        } else if (k == ICareLedgerAccess.Lifecycle.GLASS_BROKEN) {
            glassTook[e.subject][e.actor] = q;
        } else if (k == ICareLedgerAccess.Lifecycle.RESTRICTED || k == ICareLedgerAccess.Lifecycle.RESTRICTION_LIFTED) {
            if (e.counterpart != bytes32(0)) restrictionTook[e.subject][e.counterpart] = q;
            else departmentRestrictionTook[e.subject][e.department] = q;
        } else if (k != ICareLedgerAccess.Lifecycle.GLASS_REVIEWED) {
            roleTook[e.subject] = q;
        }
    }

    /// @dev One entry's event against the rules: newer than its piece's last → applied, with
    ///      exactly the entry's fields; the same number → REPLAYED; lower → STALE.
    function _absorbEntry(Vm.Log memory log, ICareLedgerAccess.LifecycleEntry memory e) internal {
        entryEvents += 1;
        bytes32 sig = log.topics[0];
        uint64 last = _took(e);
        bool stateless = e.kind == ICareLedgerAccess.Lifecycle.GLASS_REVIEWED;
        if (sig == REFUSED) {
            refusals += 1;
            (bytes32 id, uint8 kind, uint8 why, uint64 q,) = abi.decode(log.data, (bytes32, uint8, uint8, uint64, uint64));
            uint8 want = e.sequence == last ? 0 : 1; // REPLAYED : STALE
            if (stateless || e.sequence > last || id != e.entryId || kind != uint8(e.kind) || why != want || q != e.sequence) {
                wrongOutcomes += 1;
            }
            return;
        }
        if (!stateless && e.sequence <= last) wrongOutcomes += 1; // applied though not newer
        _take(e);
        _apply(log, e);
    }

    function _apply(Vm.Log memory log, ICareLedgerAccess.LifecycleEntry memory e) internal {
        bytes32 sig = log.topics[0];
        bytes32 p = log.topics.length > 2 ? log.topics[2] : bytes32(0);
        if (sig == CARE_ADDED) {
            (bytes32 id, uint64 until,) = abi.decode(log.data, (bytes32, uint64, uint64));
            if (id != e.entryId || until != e.until || p != e.subject || log.topics[3] != e.counterpart) wrongOutcomes += 1;
            careUntil[p][log.topics[3]] = until == 0 ? type(uint64).max : until;
        } else if (sig == CARE_ENDED) {
            if (p != e.subject || log.topics[3] != e.counterpart) wrongOutcomes += 1;
            careUntil[p][log.topics[3]] = 0;
        } else if (sig == ADMITTED) {
            (uint32 d,,) = abi.decode(log.data, (uint32, bytes32, uint64));
            if (d != e.department || p != e.subject) wrongOutcomes += 1;
            admittedTo[p] = d;
        } else if (sig == DISCHARGED) {
            (uint32 d,,) = abi.decode(log.data, (uint32, bytes32, uint64));
            if (d != admittedTo[p] || p != e.subject) wrongOutcomes += 1; // names the department left
            admittedTo[p] = 0;
        } else if (sig == ASSIGNED) {
            (uint32 d,,) = abi.decode(log.data, (uint32, bytes32, uint64));
            if (d != e.department || p != e.subject) wrongOutcomes += 1;
            memberOf[p] = d;
        } else if (sig == GLASS_BROKEN) {
            (,,, uint64 until, uint64 ts) = abi.decode(log.data, (bytes32, uint8, bytes32, uint64, uint64));
            if (until != ts + duration || ts != currentTime || log.topics[1] != e.actor) wrongOutcomes += 1;
            glassUntil[p][log.topics[1]] = until;
        } else if (sig == GLASS_REVIEWED) {
            (, bytes32 grant, bool justified,,) = abi.decode(log.data, (bytes32, bytes32, bool, bytes32, uint64));
            if (grant != e.recordId || justified != (e.detail == 1)) wrongOutcomes += 1;
        } else if (sig == RESTRICTED || sig == LIFTED) {
            bool on = sig == RESTRICTED;
            p = log.topics[1];
            bytes32 staff = log.topics[2];
            (uint32 d,,) = abi.decode(log.data, (uint32, bytes32, uint64));
            if (on != (e.kind == ICareLedgerAccess.Lifecycle.RESTRICTED) || staff != e.counterpart || d != e.department) {
                wrongOutcomes += 1;
            }
            if (staff != bytes32(0)) restricted[p][staff] = on;
            else departmentRestricted[p][d] = on;
        } else if (sig == USER_DELETED) {
            deleted[p] = true;
        } else if (sig == USER_ADDED) {
            deleted[p] = false;
        } else {
            unexpectedEvents += 1;
        }
    }
}

/// @title Invariants of the care rules over arbitrary sequences of care entries (in order,
///        late, twice, malformed), account deletions, duration changes, time and requests.
contract CareLedgerCareInvariantTest is InvariantBase {
    CareLedgerAccess internal ledger;
    CareHandler internal handler;
    address internal constant GATEWAY = address(0x6A7E);

    function setUp() public {
        vm.warp(1_800_000_000);
        ledger = new CareLedgerAccess(address(0xA11CE), GATEWAY);
        handler = new CareHandler(ledger, GATEWAY);
        handler.bootstrap();

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = CareHandler.care.selector;
        selectors[1] = CareHandler.care.selector; // twice: relationships are the common change
        selectors[2] = CareHandler.deliverLate.selector;
        selectors[3] = CareHandler.sendCopy.selector;
        selectors[4] = CareHandler.sendMalformed.selector;
        selectors[5] = CareHandler.deletePatient.selector;
        selectors[6] = CareHandler.restorePatient.selector;
        selectors[7] = CareHandler.setDuration.selector;
        selectors[8] = CareHandler.warp.selector;
        selectors[9] = CareHandler.authorize.selector;
        selectors[10] = CareHandler.authorize.selector;
        selectors[11] = CareHandler.authorize.selector;
        selectors[12] = CareHandler.warpToAnEnd.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @notice No approved clinician HEALTH_RECORD request without an active relationship
    ///         (membership not ended, admission to their department) or a grant in force, and
    ///         none for a restricted clinician without a grant.
    function invariant_noClinicianHealthAccessWithoutRelationshipOrGrant() public view {
        vm.assertEq(handler.unsafeApprovals(), 0, "approved without relationship or grant");
        vm.assertEq(handler.restrictedApprovals(), 0, "approved while restricted, without a grant");
    }

    /// @notice Every request: one AccessRequested with the model's verdict, followed by
    ///         EmergencyAccess (with the grant's end) exactly when a grant decided it.
    function invariant_verdictsAndEmergencyMarksEqualTheModel() public view {
        vm.assertEq(handler.accessEvents(), handler.requestsSubmitted(), "one AccessRequested per request");
        vm.assertEq(handler.wrongVerdicts(), 0, "verdicts and marks == model");
    }

    /// @notice Every care entry: applied when newer than its piece's last (with exactly its
    ///         fields), REPLAYED when the same, STALE when older; malformed batches revert naming
    ///         the entry and field; a grant lasts the duration in force; only ROOT changes it.
    function invariant_careEntriesAppliedOrRefusedAsTheRulesSay() public view {
        vm.assertEq(handler.entryEvents(), handler.entriesSubmitted(), "one event per entry");
        vm.assertEq(handler.wrongOutcomes(), 0, "outcomes == rules");
        vm.assertEq(handler.unexpectedEvents(), 0, "no other event");
        vm.assertEq(handler.durationEvents(), handler.durationCalls(), "one event per duration call");
    }

    /// @notice The care state changes only through events: the views equal the model rebuilt
    ///         from them.
    function invariant_careStateEqualsTheModelFromEvents() public view {
        vm.assertEq(ledger.breakGlassDuration(), handler.duration(), "duration");
        for (uint256 i; i < handler.PATIENT_COUNT(); ++i) {
            bytes32 p = handler.patients(i);
            (, uint32 admitted) = ledger.departmentsOf(p);
            vm.assertEq(admitted, handler.admittedTo(p), "admission");
            vm.assertEq(uint256(ledger.roleOf(p)), handler.deleted(p) ? 0 : 7, "patient's role");
            for (uint32 d = 1; d <= handler.DEPARTMENTS(); ++d) {
                vm.assertEq(ledger.departmentRestricted(p, d), handler.departmentRestricted(p, d), "department restriction");
            }
            for (uint256 j; j < handler.CLINICIAN_COUNT(); ++j) {
                bytes32 c = handler.clinicians(j);
                (uint64 careUntil, uint64 glassUntil, bool restricted) = ledger.relationship(p, c);
                vm.assertEq(careUntil, handler.careUntil(p, c), "membership");
                vm.assertEq(glassUntil, handler.glassUntil(p, c), "grant");
                vm.assertEq(restricted, handler.restricted(p, c), "restriction");
            }
        }
        for (uint256 j; j < handler.CLINICIAN_COUNT(); ++j) {
            bytes32 c = handler.clinicians(j);
            (uint32 member,) = ledger.departmentsOf(c);
            vm.assertEq(member, handler.memberOf(c), "department");
        }
    }
}
