#!/usr/bin/env bash
# Deploy the committed artifact (contracts/artifacts/CareLedgerAccess.json) to a throw-away
# local chain and run one lifecycle batch and one authorize batch through it with cast.
# Proves the artifact's bytecode (evmVersion shanghai) runs on the chains we support.
# Usage: contracts/tools/chain-smoke.sh [anvil|ganache]   (default: both; SMOKE_PORT, default 18547)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/foundry-env.sh"
artifact="$CONTRACTS/artifacts/CareLedgerAccess.json"
ganache="$ROOT/node_modules/.bin/ganache"
port="${SMOKE_PORT:-18547}" # anvil and ganache get consecutive ports
chains=("${@:-anvil ganache}")
read -r -a chains <<<"${chains[*]}"

run_chain() {
  local chain="$1" port="$2" key pid log
  local rpc="http://127.0.0.1:$port"
  log="$(mktemp)"
  case "$chain" in
    anvil)
      "$ANVIL" --port "$port" --hardfork shanghai --silent >"$log" 2>&1 &
      # Anvil's well-known development key #0 (public, local chains only).
      key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 ;;
    ganache)
      "$ganache" --wallet.deterministic --server.port "$port" --logging.quiet --chain.hardfork shanghai >"$log" 2>&1 &
      # Ganache --wallet.deterministic account #0: a well-known public test key.
      key=0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d ;;
    *) echo "chain-smoke.sh: unknown chain $chain" >&2; return 2 ;;
  esac
  pid=$!
  trap 'kill '"$pid"' 2>/dev/null || true; wait '"$pid"' 2>/dev/null || true; rm -f '"$log" RETURN
  local up=""
  for _ in $(seq 1 150); do
    "$CAST" chain-id --rpc-url "$rpc" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.2
  done
  [[ -n "$up" ]] || { echo "$chain did not start on port $port:" >&2; cat "$log" >&2; return 1; }
  local me bytecode args addr
  me="$("$CAST" wallet address "$key")"
  bytecode="$(jq -r .bytecode.object "$artifact")"
  args="$("$CAST" abi-encode 'constructor(address,address)' "$me" "$me")"
  addr="$("$CAST" send --rpc-url "$rpc" --private-key "$key" --create "${bytecode}${args#0x}" --json | jq -r .contractAddress)"
  [[ "$addr" == 0x* ]] || { echo "$chain: deployment failed" >&2; return 1; }

  local root doctor patient other
  root="$("$CAST" keccak user:root)"; doctor="$("$CAST" keccak user:doctor)"
  patient="$("$CAST" keccak user:patient)"; other="$("$CAST" keccak user:other)"
  local z=0x0000000000000000000000000000000000000000000000000000000000000000
  # LifecycleEntry: (entryId, kind, actor, subject, recordId, version, contentHash, role,
  # sequence, counterpart, department, until, detail). Root, a doctor and a patient
  # (USER_ADDED, kind 0), then the doctor on the patient's care team (CARE_ADDED, kind 12).
  local entry='(bytes32,uint8,bytes32,bytes32,bytes32,uint64,bytes32,uint8,uint64,bytes32,uint32,uint64,uint8)'
  "$CAST" send --rpc-url "$rpc" --private-key "$key" "$addr" "recordLifecycle(${entry}[])" \
    "[($root,0,$root,$root,$z,0,$z,1,1,$z,0,0,0),($doctor,0,$root,$doctor,$z,0,$z,3,1,$z,0,0,0),($patient,0,$root,$patient,$z,0,$z,7,1,$z,0,0,0),($other,12,$root,$patient,$z,0,$z,0,1,$doctor,0,0,0)]" >/dev/null
  # doctor reads their patient's health record (approved); an unknown user's record (denied)
  local receipt
  receipt="$("$CAST" send --rpc-url "$rpc" --private-key "$key" "$addr" \
    'authorize((bytes32,bytes32,uint8,uint8,bytes32,bytes32,uint8)[])' \
    "[($z,$doctor,1,1,$patient,$root,0),($z,$doctor,1,1,$other,$root,0)]" --json)"
  # AccessRequested data: requestId, action, resource, targetRole, approved, timestamp (6 words)
  local approved denied
  approved="$(jq '[.logs[] | select(.data[258:322] | test("1$"))] | length' <<<"$receipt")"
  denied="$(jq '[.logs[] | select(.data[258:322] | test("0$"))] | length' <<<"$receipt")"
  local role
  role="$("$CAST" call --rpc-url "$rpc" "$addr" 'roleOf(bytes32)(uint8)' "$doctor")"
  echo "$chain: deployed at $addr; roleOf(doctor)=$role; authorize: $approved approved, $denied denied, gasUsed $("$CAST" to-dec "$(jq -r .gasUsed <<<"$receipt")")"
  [[ "$role" == 3 && "$approved" == 1 && "$denied" == 1 ]] || { echo "$chain: unexpected result" >&2; return 1; }
}

offset=0
for c in "${chains[@]}"; do
  run_chain "$c" $((port + offset))
  offset=$((offset + 1))
done
