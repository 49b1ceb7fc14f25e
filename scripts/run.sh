#!/usr/bin/env bash
# Starts the whole CareLedger stack in the foreground: PostgreSQL (if needed),
# the chain (unless CHAIN_RPC_URL points elsewhere), then the api, which
# deploys or finds the contract and serves the web app. Ctrl-C stops every
# process this script started. Called by `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="${CARELEDGER_DATA_DIR:-.data}"
mkdir -p "$DATA_DIR"
say() { printf 'careledger: %s\n' "$*"; }
fail() { printf 'careledger: %s\n' "$*" >&2; exit 1; }

# Anvil's and Ganache's well-known development account #0 (the mnemonic
# "test test test test test test test test test test test junk"). A public
# test key: used only for the local chain this script starts itself.
ANVIL_DEV_KEY_0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
DEV_MNEMONIC="test test test test test test test test test test test junk"

pids=()
cleanup() {
  trap - INT TERM EXIT
  # TERM, not INT: background children of a script ignore SIGINT.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL --------------------------------------------------------------
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
if [[ -z "${DATABASE_URL:-}" ]]; then
  if ! tcp_open 127.0.0.1 5432; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      say "no PostgreSQL answers at 127.0.0.1:5432; installing and starting Debian's postgresql"
      scripts/install-postgres.sh "$DATA_DIR"
    else
      fail "no PostgreSQL answers at 127.0.0.1:5432. Start one (Debian: sudo apt-get install postgresql),
or point DATABASE_URL at yours, e.g. DATABASE_URL=postgres://user:password@host:5432/careledger make run"
    fi
  fi
  if [[ -f "$DATA_DIR/postgres-password" ]]; then
    DATABASE_URL="postgres://postgres:$(cat "$DATA_DIR/postgres-password")@127.0.0.1:5432/careledger"
  else
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/careledger"
  fi
  export DATABASE_URL
fi

# --- The chain ---------------------------------------------------------------
# supervise NAME LOG CMD...: runs CMD in the background and starts it again
# whenever it exits, until this script stops (a local chain that died must not
# leave the api facing no chain). The chain keeps its state on disk, so a
# restarted chain resumes from it; whatever it mined after its last save is
# re-recorded by the api's journal watcher (docs/RELIABILITY.md). Anvil has a
# supervisor of its own, scripts/anvil-supervisor.sh, which also survives a
# state file torn by the kill.
supervise() {
  local name="$1" log="$2"; shift 2
  (
    child=
    trap '[[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
    while true; do
      "$@" >>"$log" 2>&1 &
      child=$!
      rc=0; wait "$child" || rc=$?
      child=
      printf 'careledger: %s exited (status %s); restarting it from its saved state\n' "$name" "$rc" >&2
      sleep 1
    done
  ) &
  pids+=($!)
}

rpc_ready() { # with Node (a prerequisite), not curl, which a minimal Debian lacks
  node -e 'fetch(process.argv[1], {method: "POST", headers: {"content-type": "application/json"},
    body: JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_chainId", params: []}),
    signal: AbortSignal.timeout(2000)}).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}
if [[ -z "${CHAIN_RPC_URL:-}" ]]; then
  CHAIN_RPC_URL=http://127.0.0.1:8545
  if rpc_ready "$CHAIN_RPC_URL"; then
    fail "something already answers on 127.0.0.1:8545. Stop it, or use it with CHAIN_RPC_URL=http://127.0.0.1:8545 and CHAIN_GATEWAY_KEY=..."
  fi
  case "${CHAIN:-anvil}" in
    anvil)
      # The native binary, not node_modules/.bin/anvil: the npm launcher
      # neither forwards Ctrl-C (Anvil writes its state on it) nor exit codes.
      source contracts/tools/foundry-env.sh
      mkdir -p "$DATA_DIR/anvil"
      say "starting Anvil on 127.0.0.1:8545 (state in $DATA_DIR/anvil/; restarted if it exits)"
      # Saves the state every second (--state-interval 1) and keeps the last whole
      # save: a kill -9 loses at most about a second of blocks (docs/RELIABILITY.md).
      scripts/anvil-supervisor.sh "$DATA_DIR/anvil/state.json" -- \
        "$ANVIL" --host 127.0.0.1 --port 8545 --mnemonic "$DEV_MNEMONIC" "${ANVIL_CHAIN_FLAGS[@]}" \
        >>"$DATA_DIR/anvil/anvil.log" 2>&1 &
      pids+=($!)
      ;;
    ganache)
      mkdir -p "$DATA_DIR/ganache"
      say "starting Ganache 7 on 127.0.0.1:8545 (database in $DATA_DIR/ganache/; restarted if it exits)"
      supervise Ganache "$DATA_DIR/ganache.log" \
        node_modules/.bin/ganache --server.host 127.0.0.1 --server.port 8545 --wallet.mnemonic "$DEV_MNEMONIC" \
        --chain.chainId 1337 --database.dbPath "$DATA_DIR/ganache" --logging.quiet
      ;;
    *) fail "CHAIN: expected anvil or ganache, got '${CHAIN}'" ;;
  esac
  for _ in $(seq 1 100); do
    rpc_ready "$CHAIN_RPC_URL" && break
    kill -0 "${pids[-1]}" 2>/dev/null || fail "the chain exited at start; see $DATA_DIR/${CHAIN:-anvil}*.log"
    sleep 0.1
  done
  rpc_ready "$CHAIN_RPC_URL" || fail "the chain did not answer on $CHAIN_RPC_URL within 10 s"
  export CHAIN_GATEWAY_KEY="${CHAIN_GATEWAY_KEY:-$ANVIL_DEV_KEY_0}"
else
  [[ -n "${CHAIN_GATEWAY_KEY:-}" ]] || fail "CHAIN_RPC_URL is set, so CHAIN_GATEWAY_KEY (the gateway's signing key) must be too"
fi
export CHAIN_RPC_URL CARELEDGER_DATA_DIR="$DATA_DIR"

# --- The api (serves the web app) --------------------------------------------
target/debug/careledger serve "$@" &
pids=("$!" "${pids[@]}")
wait "${pids[0]}"
