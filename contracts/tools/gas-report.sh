#!/usr/bin/env bash
# Gas per request of `authorize` in batches of 1, 10 and 100, and of a batch of 100 care reads
# (the numbers in README.md).
#  1. forge: CareLedgerGasTest — per batch: execution gas (cold storage, distinct actors),
#     calldata gas, and the transaction's gasUsed (21,000 + calldata + execution).
#  2. forge --gas-report over the same test (isolated: each call a transaction): gas of the
#     authorize calls as transactions.
#  3. Anvil: script/GasBench.s.sol sends the same batches as real transactions to a local
#     Anvil (hardfork shanghai, like the compile target) and prints each receipt's gasUsed.
#  All three agree; the Anvil receipts are the reference.
# Usage: contracts/tools/gas-report.sh            (ANVIL_PORT overrides the port, default 18545)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/foundry-env.sh"
port="${ANVIL_PORT:-18545}"
rpc="http://127.0.0.1:$port"
cd "$CONTRACTS"

echo "== forge test --match-contract CareLedgerGasTest -vv"
"$FORGE" test --offline --use "$SOLC_WRAPPER" --match-contract CareLedgerGasTest -vv \
  | sed -n '/^Ran\|batch size\|approved\|denied\|gas per request\|gas per entry\|gasUsed/p'
echo
echo "== forge test --match-contract CareLedgerGasTest --gas-report (authorize: min = the batch of 1, max = the care reads)"
"$FORGE" test --offline --use "$SOLC_WRAPPER" --match-contract CareLedgerGasTest --gas-report \
  | sed -n '/CareLedgerAccess Contract/,/╰/p'
echo

echo "== Anvil (shanghai): receipts of real transactions"
work="$(mktemp -d)"
"$ANVIL" --port "$port" --hardfork shanghai --silent >"$work/anvil.log" 2>&1 &
anvil_pid=$!
trap 'kill "$anvil_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  "$CAST" block-number --rpc-url "$rpc" >/dev/null 2>&1 && break
  sleep 0.2
done
# Anvil's first well-known development key (public, for local chains only).
export BENCH_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
FOUNDRY_BROADCAST="$work/broadcast" "$FORGE" script script/GasBench.s.sol --offline --use "$SOLC_WRAPPER" \
  --rpc-url "$rpc" --broadcast --slow >"$work/script.log" 2>&1 || { cat "$work/script.log" >&2; exit 1; }
run="$(find "$work/broadcast" -name run-latest.json | head -n1)"
# transactions: deploy, register staff, patients, clinicians, care teams of the mixed load (60),
# care teams of the care reads (100), authorize ×1, ×10, ×100, sign-ins ×1, ×100, care reads ×100
jq -r '
  [.receipts[] | (.gasUsed | if type == "string" then (ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 elif $c >= 65 then $c - 55 else $c - 48 end))) else . end)] as $g
  | "deploy                      gasUsed \($g[0])",
    "recordLifecycle ×100 users  gasUsed \($g[1])  (\($g[1] / 100 | floor) per entry)",
    "recordLifecycle ×200 users  gasUsed \($g[2])  (\($g[2] / 200 | floor) per entry)",
    "recordLifecycle ×100 users  gasUsed \($g[3])  (\($g[3] / 100 | floor) per entry)",
    "CARE_ADDED ×60              gasUsed \($g[4])  (\($g[4] / 60 | floor) per entry)",
    "CARE_ADDED ×100             gasUsed \($g[5])  (\($g[5] / 100 | floor) per entry)",
    "authorize batch of 1        gasUsed \($g[6])  (\($g[6] | floor) per request)",
    "authorize batch of 10       gasUsed \($g[7])  (\($g[7] / 10 | floor) per request)",
    "authorize batch of 100      gasUsed \($g[8])  (\($g[8] / 100 | floor) per request)",
    "sign-ins batch of 1         gasUsed \($g[9])  (\($g[9] | floor) per entry)",
    "sign-ins batch of 100       gasUsed \($g[10])  (\($g[10] / 100 | floor) per entry)",
    "care reads batch of 100     gasUsed \($g[11])  (\($g[11] / 100 | floor) per request)"
' "$run"
