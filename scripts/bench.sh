#!/usr/bin/env bash
# `make bench`: the standard benchmark set on a private local stack (its own
# database, chain and ports, so a running `make run` is untouched), first on
# Anvil, then on Ganache; writes docs/PERFORMANCE.md from the JSON results.
set -euo pipefail
cd "$(dirname "$0")/.."
source contracts/tools/foundry-env.sh

DURATION="${BENCH_DURATION:-30s}"
# The memory run: reads at an offered 1,000/s on Anvil while the api's resident
# memory is sampled every 10 s. BENCH_SOAK=0 skips it.
SOAK="${BENCH_SOAK:-10m}"
OUT=target/bench
mkdir -p "$OUT"
PG="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
# The api reaches the database on this machine, over loopback, where TLS protects nothing
# (whoever can read loopback traffic can read the server's memory): a one-machine install
# connects this way. BENCH_DATABASE_OPTIONS= (empty) keeps sqlx's default, sslmode=prefer:
# TLS whenever the server offers it, as this machine's PostgreSQL does (about 10 % fewer
# reads/s). Across a network use sslmode=verify-full (docs/SCALING.md).
PG_OPTIONS="${BENCH_DATABASE_OPTIONS-sslmode=disable}"
KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80   # Anvil dev key #0 (public)
ADMIN=0x70997970C51812dc3A010C7d01b50e0d17dc79C8    # Anvil dev account #1 (public): the contract's admin
# (well-known keys are accepted only on a local development chain like this throwaway one)
MNEMONIC="test test test test test test test test test test test junk"
export CARELEDGER_ROOT_PASSWORD="bench root password $(date +%s)"

pids=()
stop_all() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap stop_all EXIT

run_chain() { # $1 = anvil|ganache
  local data="$OUT/$1"
  rm -rf "$data" && mkdir -p "$data"
  case "$1" in
    anvil) "$ANVIL" --host 127.0.0.1 --port 9545 --mnemonic "$MNEMONIC" "${ANVIL_CHAIN_FLAGS[@]}" >"$data/chain.log" 2>&1 & ;;
    ganache) node_modules/.bin/ganache --server.host 127.0.0.1 --server.port 9545 --wallet.mnemonic "$MNEMONIC" \
               --chain.chainId 1337 --logging.quiet --miner.instamine eager >"$data/chain.log" 2>&1 & ;;
  esac
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
      http://127.0.0.1:9545 >/dev/null && return 0
    sleep 0.2
  done
  echo "bench: the $1 chain did not start" >&2; exit 1
}

run_api() { # $1 = chain name
  local db="careledger_bench_$1"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  export DATABASE_URL="$PG/$db${PG_OPTIONS:+?$PG_OPTIONS}" CHAIN_RPC_URL=http://127.0.0.1:9545 CHAIN_GATEWAY_KEY=$KEY CHAIN_ADMIN_ADDRESS=$ADMIN \
         CARELEDGER_DATA_DIR="$OUT/$1/api" CARELEDGER_BIND=127.0.0.1:9443 CARELEDGER_METRICS_BIND=127.0.0.1:9464 CARELEDGER_LOG=warn CARELEDGER_DB_POOL=32
  target/release/careledger serve >"$OUT/$1/api.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    curl -skf https://127.0.0.1:9443/healthz >/dev/null && return 0
    sleep 0.2
  done
  echo "bench: the api did not start; see $OUT/$1/api.log" >&2; exit 1
}

bench() { # $1 = chain, $2 = name, rest = careledger-bench arguments
  local chain=$1 name=$2; shift 2
  echo "== $chain: $name"
  target/release/careledger-bench --url https://127.0.0.1:9443 --chain-rpc http://127.0.0.1:9545 --insecure \
    --naive-bind 127.0.0.1:9444 --api-binary target/release/careledger \
    --duration "${RUN_DURATION:-$DURATION}" --json "$OUT/$chain-$name.json" "$@"
}

for chain in ${BENCH_CHAINS:-anvil ganache}; do
  run_chain "$chain"
  run_api "$chain"
  bench "$chain" read --scenario read --concurrency 64 --compare-naive
  bench "$chain" write --scenario write --concurrency 64 --compare-naive
  bench "$chain" mixed --scenario mixed --concurrency 64
  bench "$chain" denied --scenario denied --concurrency 64
  bench "$chain" login --scenario login --concurrency 8
  bench "$chain" search-staff --scenario search-staff --concurrency 64
  bench "$chain" search --scenario search --concurrency 64
  bench "$chain" read-open-1000 --scenario read --rate 1000 --concurrency 256
  if [[ "$chain" == anvil && "$SOAK" != 0 ]]; then
    api_pid="${pids[-1]}"
    chain_pid="${pids[-2]}"
    # The api's and the chain's resident memory, and the HTTPS connections open to the api.
    ( echo "seconds,rss_kib,connections,chain_rss_kib"; start=$SECONDS
      while kill -0 "$api_pid" 2>/dev/null; do
        echo "$((SECONDS - start)),$(ps -o rss= -p "$api_pid" | tr -d ' '),$(ss -Htn state established '( sport = :9443 )' | wc -l),$(ps -o rss= -p "$chain_pid" | tr -d ' ')"
        sleep 10
      done
    ) > "$OUT/$chain-soak-rss.csv" &
    sampler=$!
    RUN_DURATION="$SOAK" bench "$chain" soak --scenario read --rate 1000 --concurrency 256
    kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  fi
  grep -E '^careledger_db_pool|^careledger_gate_transactions_total' <(curl -s http://127.0.0.1:9464/metrics) || true
  ps -o rss= -p "${pids[-1]}" | awk '{printf "api resident memory: %.0f MB\n", $1/1024}' | tee "$OUT/$chain-rss.txt"
  stop_all
done

python3 scripts/bench-report.py "$OUT" > docs/PERFORMANCE.md
echo "bench: wrote docs/PERFORMANCE.md"

# The chaos rounds, longer than make test's: kill -9 of the chain, the api and
# PostgreSQL under a mixed load (api/tests/chaos), each on a stack of its own;
# their figures go into docs/RELIABILITY.md. BENCH_CHAOS_SECONDS=0 skips them.
CHAOS="${BENCH_CHAOS_SECONDS:-60}"
if [[ "$CHAOS" != 0 ]]; then
  echo "== chaos: kill -9 of the chain, the api and PostgreSQL, $CHAOS s of load on each side"
  rm -rf "$OUT/chaos"
  status=0
  CHAOS_SECONDS="$CHAOS" CHAOS_REPORT="$PWD/$OUT/chaos" \
    cargo test --release -p careledger --test chaos -- --nocapture kill_9 >"$OUT/chaos.log" 2>&1 || status=$?
  python3 scripts/reliability-report.py "$OUT/chaos" docs/RELIABILITY.md \
    "make bench (CHAOS_SECONDS=$CHAOS cargo test --release -p careledger --test chaos -- kill_9)"
  if [[ $status != 0 ]]; then
    echo "bench: a chaos round FAILED (figures written anyway); see $OUT/chaos.log:" >&2
    grep -A2 panicked "$OUT/chaos.log" | grep -v '^--$' >&2 || true
    exit "$status"
  fi
fi
