// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "./utils/TestBase.sol";
import {LedgerFixture} from "./utils/LedgerFixture.sol";
import {ICareLedgerAccess} from "../src/ICareLedgerAccess.sol";

/// @title Default matrix, every cell, every role — driven by test/fixtures/default-matrix.json
/// @notice The JSON table is the single source of truth shared with the Rust api tests: a list
///         of {role, resource, action, scope} for all 7 × 6 × 5 = 210 cells, in enum order.
///         For each cell the suite checks the stored scope and then decides every kind of
///         subject (self, same role, every role, a patient without relationships, a former
///         patient, unknown) × target role through both `check` and `authorize`, against the
///         reference model of the rules and the fixture's care relationships.
contract CareLedgerMatrixTest is LedgerFixture {
    string internal constant FIXTURE = "test/fixtures/default-matrix.json";
    uint256 internal constant CELLS_PER_ROLE = 30;

    string internal table;

    function setUp() public override {
        super.setUp();
        table = vm.readFile(FIXTURE);
    }

    function _field(uint256 row, string memory key) internal view returns (string memory) {
        return vm.parseJsonString(table, string.concat(".[", vm.toString(row), "].", key));
    }

    function _scopeFromName(string memory name) internal pure returns (ICareLedgerAccess.Scope) {
        for (uint256 s; s < SCOPE_COUNT; ++s) {
            if (keccak256(bytes(name)) == keccak256(bytes(_scopeName(s)))) return ICareLedgerAccess.Scope(s);
        }
        revert(string.concat("unknown scope name in fixture: ", name));
    }

    function test_fixture_listsEveryCellOnceInEnumOrder() public {
        uint256 row;
        for (uint256 r = 1; r < ROLE_COUNT; ++r) {
            for (uint256 res; res < RESOURCE_COUNT; ++res) {
                for (uint256 a; a < ACTION_COUNT; ++a) {
                    vm.assertEq(_field(row, "role"), _roleName(r), "fixture role order");
                    vm.assertEq(_field(row, "resource"), _resourceName(res), "fixture resource order");
                    vm.assertEq(_field(row, "action"), _actionName(a), "fixture action order");
                    _scopeFromName(_field(row, "scope"));
                    ++row;
                }
            }
        }
        vm.assertEq(row, CELL_COUNT, "210 cells");
        vm.expectRevert();
        this.fieldExternal(CELL_COUNT, "role"); // nothing past the last cell
    }

    function fieldExternal(uint256 row, string memory key) external view returns (string memory) {
        return _field(row, key);
    }

    function test_defaultMatrix_NONE_hasNoPermissionAndIsAlwaysDenied() public {
        for (uint256 res; res < RESOURCE_COUNT; ++res) {
            for (uint256 a; a < ACTION_COUNT; ++a) {
                ICareLedgerAccess.Resource resource = ICareLedgerAccess.Resource(res);
                ICareLedgerAccess.Action action = ICareLedgerAccess.Action(a);
                vm.assertEq(
                    uint256(ledger.permission(ICareLedgerAccess.Role.NONE, resource, action)), 0, "NONE has no scope"
                );
                for (uint256 s = 1; s < ROLE_COUNT; ++s) {
                    bytes32 subject = _idOf(ICareLedgerAccess.Role(s));
                    vm.assertFalse(
                        _authorizeOne(_req(UNKNOWN_ID, action, resource, subject, ICareLedgerAccess.Role.NONE)),
                        "unknown actor denied"
                    );
                }
            }
        }
    }

    function test_defaultMatrix_ROOT() public {
        _checkRole(ICareLedgerAccess.Role.ROOT);
    }

    function test_defaultMatrix_ADMIN() public {
        _checkRole(ICareLedgerAccess.Role.ADMIN);
    }

    function test_defaultMatrix_DOCTOR() public {
        _checkRole(ICareLedgerAccess.Role.DOCTOR);
    }

    function test_defaultMatrix_NURSE() public {
        _checkRole(ICareLedgerAccess.Role.NURSE);
    }

    function test_defaultMatrix_RECEPTIONIST() public {
        _checkRole(ICareLedgerAccess.Role.RECEPTIONIST);
    }

    function test_defaultMatrix_AUDITOR() public {
        _checkRole(ICareLedgerAccess.Role.AUDITOR);
    }

    function test_defaultMatrix_PATIENT() public {
        _checkRole(ICareLedgerAccess.Role.PATIENT);
    }

    /// @dev The packed default the contract exposes equals the fixture, cell by cell.
    function test_defaultMatrix_packedViewMatchesFixture() public view {
        uint256[4] memory packed = ledger.defaultPermissionMatrix();
        _assertMatrixEq(packed, ledger.permissionMatrix(), "constructor installs the default");
        for (uint256 row; row < CELL_COUNT; ++row) {
            uint256 expected = uint256(_scopeFromName(_field(row, "scope")));
            vm.assertEq(_cellOf(packed, row), expected, string.concat("packed cell ", vm.toString(row)));
        }
        // 210 cells of 4 bits: words 0–2 full, 18 cells (72 bits) of word 3.
        vm.assertEq(packed[3] >> 72, 0, "no bits beyond the 210 cells");
    }

    // ------------------------------------------------------------------

    function _checkRole(ICareLedgerAccess.Role role) internal {
        uint256 first = (uint256(role) - 1) * CELLS_PER_ROLE;
        for (uint256 row = first; row < first + CELLS_PER_ROLE; ++row) {
            vm.assertEq(_field(row, "role"), _roleName(uint256(role)), "row belongs to role");
            ICareLedgerAccess.Resource resource = ICareLedgerAccess.Resource(((row - first) / ACTION_COUNT));
            ICareLedgerAccess.Action action = ICareLedgerAccess.Action((row - first) % ACTION_COUNT);
            vm.assertEq(_field(row, "resource"), _resourceName(uint256(resource)), "row resource");
            vm.assertEq(_field(row, "action"), _actionName(uint256(action)), "row action");
            ICareLedgerAccess.Scope scope = _scopeFromName(_field(row, "scope"));

            string memory cell = string.concat(
                _roleName(uint256(role)), "/", _resourceName(uint256(resource)), "/", _actionName(uint256(action))
            );
            vm.assertEq(
                uint256(ledger.permission(role, resource, action)), uint256(scope), string.concat("scope ", cell)
            );
            _checkCell(role, resource, action, scope, cell);
        }
    }

    struct Cell {
        ICareLedgerAccess.Role role;
        ICareLedgerAccess.Resource resource;
        ICareLedgerAccess.Action action;
        ICareLedgerAccess.Scope scope;
        string name;
    }

    /// @dev Decide the cell for every subject kind × target role, via check() and one authorize batch.
    function _checkCell(
        ICareLedgerAccess.Role role,
        ICareLedgerAccess.Resource resource,
        ICareLedgerAccess.Action action,
        ICareLedgerAccess.Scope scope,
        string memory name
    ) internal {
        Cell memory c = Cell(role, resource, action, scope, name);
        (ICareLedgerAccess.AccessRequest[] memory batch, bool[] memory expected) = _cases(c);

        if (scope == ICareLedgerAccess.Scope.CARE) {
            // Not vacuous: the fixture's relationships approve some subjects and not others.
            uint256 approved;
            for (uint256 i; i < expected.length; ++i) {
                if (expected[i]) ++approved;
            }
            vm.assertTrue(approved > 0 && approved < expected.length, string.concat(c.name, ": CARE decides both ways"));
        }

        vm.recordLogs();
        vm.prank(gateway);
        ledger.authorize(batch);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, batch.length, "one event per request (no grant in the fixture)");
        for (uint256 i; i < batch.length; ++i) {
            (,,,, bool approved,) = abi.decode(logs[i].data, (bytes32, uint8, uint8, uint8, bool, uint64));
            vm.assertEq(approved, expected[i], string.concat("authorize ", c.name, " case ", vm.toString(i)));
        }
    }

    /// @dev Subjects: self, another user of the same role (if any), one user of every role
    ///      (PATIENT_ID: the doctor on the care team, admitted to the nurse's ward), a patient
    ///      without relationships, a former patient (deleted; the doctor on the care team),
    ///      unknown.
    function _subjects(ICareLedgerAccess.Role role) internal pure returns (bytes32[12] memory subjects) {
        subjects[0] = _idOf(role);
        subjects[1] = _otherIdOf(role) == bytes32(0) ? subjects[0] : _otherIdOf(role);
        for (uint256 r = 1; r < ROLE_COUNT; ++r) {
            subjects[r + 1] = _idOf(ICareLedgerAccess.Role(r));
        }
        subjects[9] = PATIENT2_ID;
        subjects[10] = FORMER_PATIENT_ID;
        subjects[11] = UNKNOWN_ID;
    }

    /// @dev Every request of the cell (SEARCH: subject 0 only) and the model's verdict for each;
    ///      check() must agree with the model already.
    function _cases(Cell memory c)
        internal
        view
        returns (ICareLedgerAccess.AccessRequest[] memory batch, bool[] memory expected)
    {
        bytes32 actor = _idOf(c.role);
        bytes32[12] memory subjects = _subjects(c.role);
        uint8[5] memory targets = [0, 7, 3, 2, 1]; // NONE, PATIENT, DOCTOR, ADMIN, ROOT
        bool search = c.action == ICareLedgerAccess.Action.SEARCH;
        uint256 n = search ? targets.length : subjects.length * targets.length;
        batch = new ICareLedgerAccess.AccessRequest[](n);
        expected = new bool[](n);
        for (uint256 k; k < n; ++k) {
            bytes32 subject = search ? bytes32(0) : subjects[k / targets.length];
            ICareLedgerAccess.Role target = ICareLedgerAccess.Role(targets[k % targets.length]);
            batch[k] = _req(actor, c.action, c.resource, subject, target);
            expected[k] = _expected(c, actor, subject, target);
            vm.assertEq(ledger.check(batch[k]), expected[k], string.concat("check ", c.name, " case ", vm.toString(k)));
        }
    }

    function _expected(Cell memory c, bytes32 actor, bytes32 subject, ICareLedgerAccess.Role target)
        internal
        view
        returns (bool)
    {
        return _model(
            c.role,
            c.scope,
            c.action,
            c.resource,
            subject == actor,
            ledger.roleOf(subject),
            target,
            _careFacts(actor, subject)
        );
    }
}
