// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {InvariantBase, TestBase, Vm} from "./utils/TestBase.sol";
import {CareLedgerAccess} from "../src/CareLedgerAccess.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Handler: drives the ledger like a set of api gateways (and intruders) would, and
///        rebuilds the roles and the matrix *only from the events it sees*.
/// @dev If the contract ever changed a role or a matrix cell without an event, or emitted
///      a number of AccessRequested events different from the requests submitted, the
///      model diverges from the contract and an invariant fails.
contract LedgerHandler is TestBase {
    CareLedgerAccess public immutable ledger;
    address public immutable gateway;

    bytes32 internal constant ACCESS_REQUESTED =
        keccak256("AccessRequested(bytes32,bytes32,bytes32,bytes32,uint8,uint8,uint8,bool,uint64)");
    bytes32 internal constant USER_ADDED = keccak256("UserAdded(bytes32,bytes32,bytes32,uint8,bytes32,uint64)");
    bytes32 internal constant USER_MODIFIED = keccak256("UserModified(bytes32,bytes32,bytes32,bytes32,uint64)");
    bytes32 internal constant USER_DELETED = keccak256("UserDeleted(bytes32,bytes32,bytes32,uint64)");
    bytes32 internal constant ROLE_CHANGED = keccak256("RoleChanged(bytes32,bytes32,bytes32,uint8,uint8,uint64)");
    bytes32 internal constant RECORD_VERSION_CREATED =
        keccak256("RecordVersionCreated(bytes32,bytes32,bytes32,bytes32,uint64,bytes32,uint64)");
    bytes32 internal constant RECORD_DELETED =
        keccak256("RecordDeleted(bytes32,bytes32,bytes32,bytes32,uint64,uint64)");
    bytes32 internal constant PERMISSION_CHANGED =
        keccak256("PermissionChanged(bytes32,uint8,uint8,uint8,uint8,uint8,uint64)");
    bytes32 internal constant PERMISSION_DENIED =
        keccak256("PermissionChangeDenied(bytes32,uint8,uint8,uint8,uint8,uint64)");
    bytes32 internal constant LIFECYCLE_REFUSED =
        keccak256("LifecycleRefused(bytes32,bytes32,bytes32,uint8,uint8,uint64,uint64)");
    bytes32 internal constant RE_RECORDED = keccak256("ReRecorded(bytes32,bytes32,uint64,uint64,uint64)");
    bytes32 internal constant RE_RECORD_REFUSED = keccak256("ReRecordRefused(bytes32,uint8,uint64)");
    bytes32 internal constant AUTHENTICATION_RECORDED =
        keccak256("AuthenticationRecorded(bytes32,bytes32,bytes32,uint8,uint64)");

    /// @dev A small pool of ids so that requests, role changes and matrix edits collide.
    bytes32[] public ids;

    // Ghost state.
    uint256 public requestsSubmitted;
    uint256 public accessEvents;
    uint256 public entriesSubmitted;
    uint256 public lifecycleEvents;
    uint256 public permissionCallsSubmitted;
    uint256 public permissionEvents;
    uint256 public refusedIntrusions;
    uint256 public unexpectedEvents; // unknown topic, foreign emitter, or a wrong "previous" value
    uint256 public wrongVerdicts;
    uint256 public revertedCalls;
    uint256 public wrongOutcomes; // an entry applied that the rules refuse, or refused for a wrong reason
    uint256 public reRecordings; // ReRecorded events, each right after the event it marks
    uint256 public requestRefusals; // ReRecordRefused
    uint256 public entryRefusals; // LifecycleRefused
    mapping(bytes32 => ICareLedgerAccess.Role) public modelRole;
    mapping(bytes32 => uint64) public modelSequence;
    mapping(bytes32 => bool) public modelReRecorded;
    uint256[4] internal modelMatrix;

    /// @dev What `_absorb` compares the logs of one call with.
    struct Submitted {
        ICareLedgerAccess.AccessRequest[] requests;
        bool[] verdicts;
        ICareLedgerAccess.LifecycleEntry[] entries;
        bool again; // a `recommit`: requests and applied entries are followed by ReRecorded
    }

    constructor(CareLedgerAccess ledger_, address gateway_) {
        ledger = ledger_;
        gateway = gateway_;
        modelMatrix = ledger_.permissionMatrix();
        for (uint256 i; i < 12; ++i) {
            ids.push(keccak256(abi.encode("pool", i)));
        }
    }

    function matrix() external view returns (uint256[4] memory) {
        return modelMatrix;
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function _id(uint256 seed) internal view returns (bytes32) {
        return ids[seed % ids.length];
    }

    /// @dev Not a fuzz target: make ids[0] ROOT through the same event-checked path.
    function bootstrapRoot() external {
        ICareLedgerAccess.LifecycleEntry[] memory e = new ICareLedgerAccess.LifecycleEntry[](1);
        e[0] = ICareLedgerAccess.LifecycleEntry({
            entryId: keccak256("bootstrap"),
            kind: ICareLedgerAccess.Lifecycle.USER_ADDED,
            actor: ids[0],
            subject: ids[0],
            recordId: bytes32(0),
            version: 0,
            contentHash: bytes32(0),
            role: ICareLedgerAccess.Role.ROOT,
            sequence: 1,
            counterpart: bytes32(0),
            department: 0,
            until: 0,
            detail: 0
        });
        vm.recordLogs();
        vm.prank(gateway);
        ledger.recordLifecycle(e);
        entriesSubmitted += 1;
        _absorb(vm.getRecordedLogs(), _submitted(new ICareLedgerAccess.AccessRequest[](0), new bool[](0), e, false));
    }

    // ---------------------------------------------------------- actions

    function authorize(uint256 seed, uint256 count) external {
        ICareLedgerAccess.AccessRequest[] memory reqs = _requests(seed, bound(count, 1, 8));
        bool[] memory verdicts = ledger.checkBatch(reqs);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.authorize(reqs);
        requestsSubmitted += reqs.length;
        _absorb(vm.getRecordedLogs(), _submitted(reqs, verdicts, new ICareLedgerAccess.LifecycleEntry[](0), false));
    }

    function recordLifecycle(uint256 seed, uint256 count) external {
        ICareLedgerAccess.LifecycleEntry[] memory entries = _entries(seed, bound(count, 1, 6));
        vm.recordLogs();
        vm.prank(gateway);
        try ledger.recordLifecycle(entries) {
            entriesSubmitted += entries.length;
            _absorb(vm.getRecordedLogs(), _submitted(new ICareLedgerAccess.AccessRequest[](0), new bool[](0), entries, false));
        } catch {
            // A malformed entry (role NONE where a role is given) reverts the whole batch.
            // forge's recordLogs also keeps logs of reverted frames; they never reached the chain.
            _dropRevertedLogs(vm.getRecordedLogs());
        }
    }

    function commit(uint256 seed, uint256 nReq, uint256 nEnt) external {
        ICareLedgerAccess.AccessRequest[] memory reqs = _requests(seed, bound(nReq, 0, 5));
        ICareLedgerAccess.LifecycleEntry[] memory entries = _entries(seed >> 1, bound(nEnt, 0, 5));
        bool[] memory verdicts = ledger.checkBatch(reqs);
        vm.recordLogs();
        vm.prank(gateway);
        try ledger.commit(reqs, entries) {
            requestsSubmitted += reqs.length;
            entriesSubmitted += entries.length;
            _absorb(vm.getRecordedLogs(), _submitted(reqs, verdicts, entries, false));
        } catch {
            _dropRevertedLogs(vm.getRecordedLogs());
        }
    }

    /// @dev Re-records requests (with a claimed original verdict, possibly a second time) and
    ///      entries (possibly replayed or stale) as the api's journal watcher would.
    function recommit(uint256 seed, uint256 nReq, uint256 nEnt) external {
        ICareLedgerAccess.AccessRequest[] memory reqs = _requests(seed % 4, bound(nReq, 0, 4));
        ICareLedgerAccess.LifecycleEntry[] memory entries = _entries(seed >> 2, bound(nEnt, 0, 4));
        ICareLedgerAccess.Original[] memory ro = new ICareLedgerAccess.Original[](reqs.length);
        ICareLedgerAccess.Original[] memory eo = new ICareLedgerAccess.Original[](entries.length);
        bool[] memory verdicts = new bool[](reqs.length);
        for (uint256 i; i < reqs.length; ++i) {
            verdicts[i] = (seed >> (64 + i)) & 1 == 1;
            ro[i] = ICareLedgerAccess.Original(keccak256(abi.encode("tx", seed, i)), uint64(i + 1), 1_700_000_000, verdicts[i]);
        }
        for (uint256 i; i < entries.length; ++i) {
            eo[i] = ICareLedgerAccess.Original(keccak256(abi.encode("etx", seed, i)), uint64(i + 1), 1_700_000_000, false);
        }
        vm.recordLogs();
        vm.prank(gateway);
        try ledger.recommit(reqs, ro, entries, eo) {
            requestsSubmitted += reqs.length;
            entriesSubmitted += entries.length;
            _absorb(vm.getRecordedLogs(), _submitted(reqs, verdicts, entries, true));
        } catch {
            // Both lists empty, or a malformed entry: the whole call reverts.
            _dropRevertedLogs(vm.getRecordedLogs());
        }
    }

    function setPermission(uint256 actorSeed, uint256 cell, uint256 scope) external {
        bytes32 actor = _id(actorSeed);
        vm.recordLogs();
        vm.prank(gateway);
        ledger.setPermission(
            actor,
            ICareLedgerAccess.Role(1 + cell % 7),
            ICareLedgerAccess.Resource((cell >> 8) % 6),
            ICareLedgerAccess.Action((cell >> 16) % 5),
            ICareLedgerAccess.Scope(scope % 5)
        );
        permissionCallsSubmitted += 1;
        _absorb(
            vm.getRecordedLogs(),
            _submitted(new ICareLedgerAccess.AccessRequest[](0), new bool[](0), new ICareLedgerAccess.LifecycleEntry[](0), false)
        );
    }

    /// @dev Someone without GATEWAY_ROLE tries everything; each call must revert with
    ///      AccessControlUnauthorizedAccount(caller, GATEWAY_ROLE) and leave no trace.
    function intrude(address caller, uint256 seed) external {
        if (caller == gateway) return;
        ICareLedgerAccess.AccessRequest[] memory reqs = _requests(seed, 2);
        ICareLedgerAccess.LifecycleEntry[] memory entries = _entries(seed, 2);
        ICareLedgerAccess.Original[] memory originals = new ICareLedgerAccess.Original[](2);
        originals[0].transactionHash = bytes32(uint256(1));
        originals[1].transactionHash = bytes32(uint256(2));
        bytes[6] memory calls = [
            abi.encodeCall(ledger.authorize, (reqs)),
            abi.encodeCall(ledger.recordLifecycle, (entries)),
            abi.encodeCall(ledger.commit, (reqs, entries)),
            abi.encodeCall(ledger.recommit, (reqs, originals, entries, originals)),
            abi.encodeCall(
                ledger.setPermission,
                (
                    _id(seed),
                    ICareLedgerAccess.Role.PATIENT,
                    ICareLedgerAccess.Resource.HEALTH_RECORD,
                    ICareLedgerAccess.Action.DELETE,
                    ICareLedgerAccess.Scope.ANY
                )
            ),
            abi.encodeCall(ledger.setBreakGlassDuration, (_id(seed), 1 hours))
        ];
        bytes memory refusal = abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector, caller, ledger.GATEWAY_ROLE()
        );
        vm.recordLogs();
        uint256 refused;
        for (uint256 i; i < calls.length; ++i) {
            vm.prank(caller);
            (bool ok, bytes memory reason) = address(ledger).call(calls[i]);
            if (!ok && keccak256(reason) == keccak256(refusal)) ++refused;
        }
        if (refused == calls.length) refusedIntrusions += 1;
        else unexpectedEvents += 1; // counted as a failure by the invariant
        _dropRevertedLogs(vm.getRecordedLogs());
    }

    // ---------------------------------------------------------- builders

    function _requests(uint256 seed, uint256 n) internal view returns (ICareLedgerAccess.AccessRequest[] memory r) {
        r = new ICareLedgerAccess.AccessRequest[](n);
        for (uint256 i; i < n; ++i) {
            uint256 s = uint256(keccak256(abi.encode(seed, i)));
            r[i] = ICareLedgerAccess.AccessRequest({
                requestId: bytes32(s),
                actor: _id(s),
                action: ICareLedgerAccess.Action((s >> 8) % 5),
                resource: ICareLedgerAccess.Resource((s >> 16) % 6),
                subject: (s >> 24) % 5 == 0 ? bytes32(0) : _id(s >> 32),
                recordId: bytes32(s >> 40),
                targetRole: ICareLedgerAccess.Role((s >> 48) % 8)
            });
        }
    }

    function _entries(uint256 seed, uint256 n) internal view returns (ICareLedgerAccess.LifecycleEntry[] memory e) {
        e = new ICareLedgerAccess.LifecycleEntry[](n);
        for (uint256 i; i < n; ++i) {
            uint256 s = uint256(keccak256(abi.encode("entry", seed, i)));
            e[i] = ICareLedgerAccess.LifecycleEntry({
                // 1 in 4 ids from a pool of 8, so that entries are replayed
                entryId: (s >> 60) % 4 == 0 ? keccak256(abi.encode("replay", (s >> 64) % 8)) : bytes32(s),
                kind: ICareLedgerAccess.Lifecycle((s >> 8) % 12), // every kind, authentication included
                actor: _id(s >> 16),
                subject: _id(s >> 24),
                recordId: bytes32((s >> 32) | 1),
                // forge-lint: disable-next-line(unsafe-typecast)
                version: uint64(s >> 40), // truncation intended: any version will do
                contentHash: keccak256(abi.encode(s)),
                // mostly real roles; 1 in 16 is NONE, which must revert the batch
                role: ICareLedgerAccess.Role((s >> 48) % 16 == 0 ? 0 : 1 + (s >> 56) % 7),
                // small sequences, so that role-bearing entries arrive stale and out of order
                sequence: uint64((s >> 72) % 6),
                counterpart: bytes32(0),
                department: 0,
                until: 0,
                detail: 0
            });
        }
    }

    // ---------------------------------------------------------- model

    /// @dev After a reverted call: drop its (rolled-back) logs; the invariants then check
    ///      that roles and matrix still equal the model, i.e. the revert changed nothing.
    function _dropRevertedLogs(Vm.Log[] memory) internal {
        revertedCalls += 1;
    }

    function _submitted(
        ICareLedgerAccess.AccessRequest[] memory requests,
        bool[] memory verdicts,
        ICareLedgerAccess.LifecycleEntry[] memory entries,
        bool again
    ) internal pure returns (Submitted memory) {
        return Submitted(requests, verdicts, entries, again);
    }

    /// @dev Fold the recorded logs of one call into the ghost model, checking each against what
    ///      the rules say the call must emit: requests first (in order), then entries (in order).
    function _absorb(Vm.Log[] memory logs, Submitted memory sub) internal {
        uint256 v; // next request
        uint256 k; // next entry
        bytes32 expectMark; // the id the next event must mark as re-recorded, or 0
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(ledger)) {
                unexpectedEvents += 1;
                continue;
            }
            bytes32 sig = log.topics[0];
            if (expectMark != bytes32(0)) {
                if (sig != RE_RECORDED || log.topics[1] != expectMark) unexpectedEvents += 1;
                else reRecordings += 1;
                expectMark = bytes32(0);
                continue;
            }
            if (sig == ACCESS_REQUESTED || sig == RE_RECORD_REFUSED) {
                if (v >= sub.requests.length) {
                    unexpectedEvents += 1;
                    continue;
                }
                bytes32 id = sub.requests[v].requestId;
                if (sig == ACCESS_REQUESTED) {
                    accessEvents += 1;
                    (bytes32 rid,,,, bool ok,) = abi.decode(log.data, (bytes32, uint8, uint8, uint8, bool, uint64));
                    if (rid != id || sub.verdicts[v] != ok) wrongVerdicts += 1;
                    if (sub.again) {
                        if (modelReRecorded[id]) wrongOutcomes += 1; // re-recorded twice
                        modelReRecorded[id] = true;
                        expectMark = id;
                    }
                } else {
                    requestRefusals += 1;
                    if (!sub.again || !modelReRecorded[id]) wrongOutcomes += 1;
                }
                ++v;
            } else if (_isLifecycle(sig)) {
                if (k >= sub.entries.length) {
                    unexpectedEvents += 1;
                    continue;
                }
                if (_absorbEntry(log, sub.entries[k]) && sub.again) expectMark = sub.entries[k].entryId;
                ++k;
            } else if (sig == PERMISSION_CHANGED) {
                permissionEvents += 1;
                (uint8 role, uint8 res, uint8 act, uint8 prev, uint8 next,) =
                    abi.decode(log.data, (uint8, uint8, uint8, uint8, uint8, uint64));
                // 4-bit cells, 64 a word: cell i at 4·(i mod 64) of word i / 64.
                uint256 i = (uint256(role) - 1) * 30 + uint256(res) * 5 + uint256(act);
                uint256 shift = 4 * (i % 64);
                uint256 word = modelMatrix[i / 64];
                if ((word >> shift) & 15 != prev) unexpectedEvents += 1;
                if (modelRole[log.topics[1]] != ICareLedgerAccess.Role.ROOT) unexpectedEvents += 1;
                modelMatrix[i / 64] = (word & ~(uint256(15) << shift)) | (uint256(next) << shift);
            } else if (sig == PERMISSION_DENIED) {
                permissionEvents += 1;
                if (modelRole[log.topics[1]] == ICareLedgerAccess.Role.ROOT) unexpectedEvents += 1;
            } else {
                unexpectedEvents += 1;
            }
        }
        if (v != sub.verdicts.length || k != sub.entries.length || expectMark != bytes32(0)) wrongVerdicts += 1;
    }

    function _isLifecycle(bytes32 sig) internal pure returns (bool) {
        return sig == USER_ADDED || sig == USER_MODIFIED || sig == USER_DELETED || sig == ROLE_CHANGED
            || sig == RECORD_VERSION_CREATED || sig == RECORD_DELETED || sig == LIFECYCLE_REFUSED
            || sig == AUTHENTICATION_RECORDED;
    }

    /// @dev One entry's event against the rules: a role-bearing entry carrying its subject's
    ///      last applied sequence is REPLAYED, one with a lower sequence STALE; anything else
    ///      (every entry that changes no state, however often sent) is applied. Returns whether
    ///      the event says applied.
    function _absorbEntry(Vm.Log memory log, ICareLedgerAccess.LifecycleEntry memory e) internal returns (bool) {
        lifecycleEvents += 1;
        bytes32 sig = log.topics[0];
        ICareLedgerAccess.Lifecycle kind = e.kind;
        bool bearing = kind == ICareLedgerAccess.Lifecycle.USER_ADDED || kind == ICareLedgerAccess.Lifecycle.ROLE_CHANGED
            || kind == ICareLedgerAccess.Lifecycle.USER_DELETED;
        uint64 last = modelSequence[e.subject];
        bool replayed = bearing && e.sequence == last && last != 0;
        bool stale = bearing && !replayed && e.sequence <= last;
        if (sig == LIFECYCLE_REFUSED) {
            entryRefusals += 1;
            (bytes32 id,, uint8 reason,,) = abi.decode(log.data, (bytes32, uint8, uint8, uint64, uint64));
            uint8 want = replayed ? uint8(ICareLedgerAccess.Refusal.REPLAYED) : uint8(ICareLedgerAccess.Refusal.STALE);
            if (id != e.entryId || !(replayed || stale) || reason != want) wrongOutcomes += 1;
            return false;
        }
        if (replayed || stale) wrongOutcomes += 1;
        if (bearing) modelSequence[e.subject] = e.sequence;
        if (sig == USER_ADDED) {
            (, uint8 role,,) = abi.decode(log.data, (bytes32, uint8, bytes32, uint64));
            modelRole[log.topics[2]] = ICareLedgerAccess.Role(role);
        } else if (sig == USER_DELETED) {
            modelRole[log.topics[2]] = ICareLedgerAccess.Role.NONE;
        } else if (sig == ROLE_CHANGED) {
            (, uint8 prev, uint8 next,) = abi.decode(log.data, (bytes32, uint8, uint8, uint64));
            if (uint8(modelRole[log.topics[2]]) != prev) unexpectedEvents += 1;
            modelRole[log.topics[2]] = ICareLedgerAccess.Role(next);
        } else if (sig == AUTHENTICATION_RECORDED) {
            // Changes nothing; must carry exactly the entry it records.
            (bytes32 id, uint8 k,) = abi.decode(log.data, (bytes32, uint8, uint64));
            if (id != e.entryId || k != uint8(kind) || uint8(kind) < uint8(ICareLedgerAccess.Lifecycle.SIGNED_IN)) {
                unexpectedEvents += 1;
            }
        }
        return true;
    }
}

/// @title Invariants over arbitrary sequences of gateway batches, matrix edits and intrusions.
contract CareLedgerInvariantTest is InvariantBase {
    CareLedgerAccess internal ledger;
    LedgerHandler internal handler;
    address internal constant GATEWAY = address(0x6A7E);

    function setUp() public {
        ledger = new CareLedgerAccess(address(0xA11CE), GATEWAY);
        handler = new LedgerHandler(ledger, GATEWAY);
        // One ROOT in the pool so that matrix changes actually happen (recorded like any entry).
        handler.bootstrapRoot();

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = LedgerHandler.authorize.selector;
        selectors[1] = LedgerHandler.recordLifecycle.selector;
        selectors[2] = LedgerHandler.commit.selector;
        selectors[3] = LedgerHandler.setPermission.selector;
        selectors[4] = LedgerHandler.intrude.selector;
        selectors[5] = LedgerHandler.recommit.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @notice Every submitted request produced exactly one event: AccessRequested with the
    ///         verdict `check` predicted (or, re-recorded, the original verdict), or a refused
    ///         second re-recording.
    function invariant_accessEventsEqualRequestsSubmitted() public view {
        vm.assertEq(
            handler.accessEvents() + handler.requestRefusals(),
            handler.requestsSubmitted(),
            "AccessRequested + ReRecordRefused events == requests"
        );
        vm.assertEq(handler.wrongVerdicts(), 0, "verdicts match check() and the originals, one event each");
    }

    /// @notice A replayed role-bearing entry is never applied again, a stale one never
    ///         overwrites a newer role, a request is re-recorded at most once, and each refusal
    ///         names its reason.
    function invariant_replaysAndStaleEntriesAreRefused() public view {
        vm.assertEq(handler.wrongOutcomes(), 0, "applied or refused exactly as the rules say");
        uint256 n = handler.idCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.ids(i);
            vm.assertEq(ledger.roleSequence(id), handler.modelSequence(id), "sequence == model from events");
        }
    }

    /// @notice Every accepted lifecycle entry and every setPermission call produced one event.
    function invariant_everyEntryAndPermissionCallIsAnEvent() public view {
        vm.assertEq(handler.lifecycleEvents(), handler.entriesSubmitted(), "lifecycle events == entries");
        vm.assertEq(handler.permissionEvents(), handler.permissionCallsSubmitted(), "permission events == calls");
        vm.assertEq(handler.unexpectedEvents(), 0, "no foreign or inconsistent event");
    }

    /// @notice No role changes without an event: the roles rebuilt from events equal the contract's.
    function invariant_rolesOnlyChangeThroughEvents() public view {
        uint256 n = handler.idCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.ids(i);
            vm.assertEq(uint256(ledger.roleOf(id)), uint256(handler.modelRole(id)), "role == model from events");
        }
    }

    /// @notice No matrix change without an event: the matrix rebuilt from events equals the contract's.
    function invariant_matrixOnlyChangesThroughEvents() public view {
        uint256[4] memory actual = ledger.permissionMatrix();
        uint256[4] memory model = handler.matrix();
        for (uint256 w; w < 4; ++w) {
            vm.assertEq(actual[w], model[w], "matrix == model from events");
        }
    }
}
