// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "../test/utils/TestBase.sol";
import {HospitalLoad} from "../test/utils/HospitalLoad.sol";
import {CareLedgerAccess} from "../src/CareLedgerAccess.sol";

/// @title Gas benchmark on a real node: deploy, register the hospital and its care teams, then
///        send `authorize` batches of 1, 10 and 100, authentication batches of 1 and 100, and
///        a batch of 100 care-team reads as separate transactions (same load as CareLedgerGasTest).
/// @dev Used by tools/gas-report.sh against a local Anvil:
///      BENCH_KEY=<hex private key> forge script script/GasBench.s.sol --rpc-url … --broadcast
///      The receipts' gasUsed (in the broadcast JSON) are the numbers reported in README.md.
contract GasBench is TestBase, HospitalLoad {
    function run() external {
        uint256 key = vm.envUint("BENCH_KEY");
        address me = vm.addr(key);
        vm.startBroadcast(key);
        CareLedgerAccess ledger = new CareLedgerAccess(me, me);
        ledger.recordLifecycle(_registrations(0, STAFF));
        ledger.recordLifecycle(_registrations(1000, PATIENTS));
        ledger.recordLifecycle(_registrations(2000, CLINICIANS));
        ledger.recordLifecycle(_careTeams());
        ledger.recordLifecycle(_careReadTeams(CLINICIANS));
        ledger.authorize(_batch(1));
        ledger.authorize(_batch(10));
        ledger.authorize(_batch(100));
        ledger.recordLifecycle(_authentications(1));
        ledger.recordLifecycle(_authentications(100));
        ledger.authorize(_careReads(CLINICIANS));
        vm.stopBroadcast();
    }
}
