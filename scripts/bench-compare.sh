#!/usr/bin/env bash
# `make bench-compare BASE=<git revision>`: this checkout against an earlier
# build, side by side in one run. Both are built in release mode (the base
# in its own worktree and target directory under target/bench-compare/), then
# run in alternating rounds (base, head, head, base, …, so drift on the
# machine falls on both alike), each round on a fresh chain and database of
# its own, driven by this checkout's load generator. Prints each round and
# the medians, and writes target/bench-compare/summary.md.
#
#   BASE            the revision to compare with (required)
#   ROUNDS          rounds per build (default 3)
#   DURATION        each scenario's length (default 20s)
#   SCENARIOS       default "read write"
set -euo pipefail
cd "$(dirname "$0")/.."
source contracts/tools/foundry-env.sh

BASE="${BASE:?set BASE to the git revision to compare with, e.g. BASE=HEAD~5}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-20s}"
SCENARIOS="${SCENARIOS:-read write}"
OUT=target/bench-compare
PG="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80   # Anvil dev key #0 (public)
ADMIN=0x70997970C51812dc3A010C7d01b50e0d17dc79C8    # Anvil dev account #1 (public): the contract's admin
# (well-known keys are accepted only on a local development chain like this throwaway one)
MNEMONIC="test test test test test test test test test test test junk"
export CARELEDGER_ROOT_PASSWORD="bench root password $(date +%s)"
mkdir -p "$OUT"

base_rev=$(git rev-parse --verify "$BASE^{commit}")
head_rev=$(git rev-parse HEAD)
src="$OUT/base-src"
if [[ "$(git -C "$src" rev-parse HEAD 2>/dev/null || true)" != "$base_rev" ]]; then
  git worktree remove --force "$src" 2>/dev/null || rm -rf "$src"
  git worktree prune
  git worktree add --detach "$src" "$base_rev" >/dev/null
fi
echo "bench-compare: building base ${base_rev:0:10} and head ${head_rev:0:10} (release)"
( cd "$src" && CARGO_TARGET_DIR="$PWD/../base-target" SQLX_OFFLINE=true cargo build --release -q -p careledger )
SQLX_OFFLINE=true cargo build --release -q -p careledger -p careledger-bench
base_bin="$OUT/base-target/release/careledger"
head_bin=target/release/careledger

pids=()
stop_all() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap stop_all EXIT

round() { # $1 = base|head, $2 = round number
  local which=$1 n=$2 bin dir db
  bin=$([[ $which == base ]] && echo "$base_bin" || echo "$head_bin")
  dir="$OUT/$which-$n"; db="careledger_compare_$which"
  rm -rf "$dir" && mkdir -p "$dir"
  "$ANVIL" --host 127.0.0.1 --port 9645 --mnemonic "$MNEMONIC" "${ANVIL_CHAIN_FLAGS[@]}" >"$dir/chain.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
      http://127.0.0.1:9645 >/dev/null && break
    sleep 0.2
  done
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  DATABASE_URL="$PG/$db?sslmode=disable" CHAIN_RPC_URL=http://127.0.0.1:9645 CHAIN_GATEWAY_KEY=$KEY CHAIN_ADMIN_ADDRESS=$ADMIN \
    CARELEDGER_DATA_DIR="$dir/api" CARELEDGER_BIND=127.0.0.1:9643 CARELEDGER_LOG=warn CARELEDGER_DB_POOL=32 \
    "$bin" serve >"$dir/api.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    curl -skf https://127.0.0.1:9643/healthz >/dev/null && break
    sleep 0.2
  done
  curl -skf https://127.0.0.1:9643/healthz >/dev/null || { echo "bench-compare: $which did not start; see $dir/api.log" >&2; exit 1; }
  for scenario in $SCENARIOS; do
    target/release/careledger-bench --url https://127.0.0.1:9643 --chain-rpc http://127.0.0.1:9645 --insecure \
      --scenario "$scenario" --concurrency 64 --duration "$DURATION" --json "$dir/$scenario.json" >"$dir/$scenario.txt" 2>&1 \
      || { echo "bench-compare: $which $scenario failed; see $dir/$scenario.txt" >&2; exit 1; }
    printf '%-5s round %s %-6s %8.0f /s\n' "$which" "$n" "$scenario" \
      "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["throughput"])' "$dir/$scenario.json")"
  done
  stop_all
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
}

for n in $(seq 1 "$ROUNDS"); do
  if (( n % 2 )); then round base "$n"; round head "$n"; else round head "$n"; round base "$n"; fi
done

python3 - "$OUT" "$ROUNDS" "$base_rev" "$head_rev" $SCENARIOS <<'EOF' | tee "$OUT/summary.md"
import json, statistics, sys
out, rounds, base, head, scenarios = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
print(f"| scenario | base {base[:10]} (median /s) | head {head[:10]} (median /s) | head / base | rounds (base; head) |")
print("|---|---:|---:|---:|---|")
for s in scenarios:
    b = [json.load(open(f"{out}/base-{n}/{s}.json"))[0]["throughput"] for n in range(1, rounds + 1)]
    h = [json.load(open(f"{out}/head-{n}/{s}.json"))[0]["throughput"] for n in range(1, rounds + 1)]
    mb, mh = statistics.median(b), statistics.median(h)
    fmt = lambda xs: ", ".join(f"{x:.0f}" for x in xs)
    print(f"| {s} | {mb:.0f} | {mh:.0f} | {mh / mb:.2f} | {fmt(b)}; {fmt(h)} |")
EOF
