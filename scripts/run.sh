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

# The local chain's development accounts (the mnemonic "test test test test
# test test test test test test test junk"; public). Account #0 only pays for
# this installation's own keys on the local chain this script starts: the node
# holds its key and signs, so no key of it is written here.
DEV_MNEMONIC="test test test test test test test test test test test junk"
DEV_ACCOUNT_0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
CARELEDGER=target/debug/careledger

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

# --- Chain keys ----------------------------------------------------------------
# This installation's two keys, never the public development ones (the api
# refuses those off a local development chain): the gateway, which signs all
# the api sends, and the contract's admin, which adds and removes gateways.
# Each comes from the environment (CHAIN_GATEWAY_KEY; CHAIN_ADMIN_ADDRESS or
# CHAIN_ADMIN_KEY), else from $DATA_DIR/keys/, where the first start generates
# it (mode 0600; .data/ is git-ignored). The api is given the admin's address
# only, which the first start's deployment names; keep admin.key offline once
# the contract is deployed (README, "Chain keys").
KEYS="$DATA_DIR/keys"
key_file() { # NAME: $KEYS/NAME.key, generated when missing
  local file="$KEYS/$1.key"
  if [[ ! -f "$file" ]]; then
    mkdir -p "$KEYS" && chmod 700 "$KEYS"
    "$CARELEDGER" key generate --output "$file" >/dev/null
    say "generated the $2 key in $file" >&2
  fi
  printf '%s\n' "$file"
}
address_of() { printf '%s' "$1" | "$CARELEDGER" key address -; }
if [[ -z "${CHAIN_GATEWAY_KEY:-}" ]]; then
  CHAIN_GATEWAY_KEY=$(<"$(key_file gateway gateway)")
fi
GATEWAY_ADDRESS=$(address_of "$CHAIN_GATEWAY_KEY")
if [[ -z "${CHAIN_ADMIN_ADDRESS:-}" ]]; then
  if [[ -n "${CHAIN_ADMIN_KEY:-}" ]]; then
    CHAIN_ADMIN_ADDRESS=$(address_of "$CHAIN_ADMIN_KEY")
  else
    CHAIN_ADMIN_ADDRESS=$("$CARELEDGER" key address "$(key_file admin "contract admin")")
  fi
fi
# The admin signs `careledger gateway` changes, never anything the api does.
unset CHAIN_ADMIN_KEY
export CHAIN_GATEWAY_KEY CHAIN_ADMIN_ADDRESS

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
    fail "something already answers on 127.0.0.1:8545. Stop it, or use it with CHAIN_RPC_URL=http://127.0.0.1:8545"
  fi
  # Foundry's native binaries (Anvil, cast), not node_modules/.bin/anvil: the
  # npm launcher neither forwards Ctrl-C (Anvil writes its state on it) nor exit codes.
  source contracts/tools/foundry-env.sh
  case "${CHAIN:-anvil}" in
    anvil)
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
  # Gas for the gateway, and for the admin's `careledger gateway` changes:
  # 100 ether each from development account #0 (unlocked on the local
  # chain), once; the chain keeps the balances in its saved state.
  # (`env -u CHAIN`: cast reads CHAIN as its own --chain option.)
  for address in "$GATEWAY_ADDRESS" "$CHAIN_ADMIN_ADDRESS"; do
    if [[ "$(env -u CHAIN "$CAST" balance "$address" --rpc-url "$CHAIN_RPC_URL")" == 0 ]]; then
      env -u CHAIN "$CAST" send --unlocked --from "$DEV_ACCOUNT_0" --value 100ether "$address" \
        --rpc-url "$CHAIN_RPC_URL" >/dev/null
      say "funded $address on the local chain from development account #0"
    fi
  done
else
  say "using the chain at $CHAIN_RPC_URL: its gateway $GATEWAY_ADDRESS must be able to pay for gas (or the chain charge none)"
fi
export CHAIN_RPC_URL CARELEDGER_DATA_DIR="$DATA_DIR"

# --- The api (serves the web app) --------------------------------------------
target/debug/careledger serve "$@" &
pids=("$!" "${pids[@]}")
wait "${pids[0]}"
