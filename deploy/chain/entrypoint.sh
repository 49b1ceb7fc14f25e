#!/bin/sh
# Starts the chosen development chain on 0.0.0.0:8545 with its state in /data,
# then pays gas for the accounts in CHAIN_FUND_ADDRESSES (the gateway's and the
# contract admin's addresses, from .env): 100 ether each from development
# account #0, whose key the node holds (the public mnemonic below), once (the
# balance is kept in the saved state). Healthy (HEALTHCHECK) only once funded.
# Anvil flags as ANVIL_CHAIN_FLAGS in contracts/tools/foundry-env.sh (why: there).
# APP, DATA and HOST may be overridden to try the script outside the image.
set -eu
APP="${APP:-/app}"
DATA="${DATA:-/data}"
HOST="${HOST:-0.0.0.0}"
READY=/tmp/careledger-chain-ready
MNEMONIC="test test test test test test test test test test test junk"
DEV_ACCOUNT_0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
rm -f "$READY"
case "${CHAIN:-anvil}" in
  anvil)
    # Restarted from its saved state if it exits, surviving a save torn by a
    # kill (anvil-supervisor.sh, as make run uses it; docs/RELIABILITY.md).
    set -- "$APP/anvil-supervisor.sh" "$DATA/anvil-state.json" -- \
      "$APP"/node_modules/@foundry-rs/anvil-linux-*/bin/anvil --host "$HOST" --port 8545 \
      --mnemonic "$MNEMONIC" --prune-history --hardfork cancun ;;
  ganache)
    set -- "$APP/node_modules/.bin/ganache" --server.host "$HOST" --server.port 8545 \
      --wallet.mnemonic "$MNEMONIC" --chain.chainId 1337 --database.dbPath "$DATA/ganache" --logging.quiet ;;
  *) echo "CHAIN must be anvil or ganache, not '$CHAIN'" >&2; exit 2 ;;
esac
"$@" &
chain=$!
trap 'kill -TERM "$chain" 2>/dev/null' TERM INT

# cast reads CHAIN as its own --chain option: run it without.
cast() { env -u CHAIN "$APP"/node_modules/@foundry-rs/cast-linux-*/bin/cast "$@" --rpc-url http://127.0.0.1:8545; }
tries=0
until cast chain-id >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 150 ] || ! kill -0 "$chain" 2>/dev/null; then
    echo "the chain did not start" >&2; exit 1
  fi
  sleep 0.2
done
for address in $(echo "${CHAIN_FUND_ADDRESSES:-}" | tr ',' ' '); do
  if [ "$(cast balance "$address")" = 0 ]; then
    cast send --unlocked --from "$DEV_ACCOUNT_0" --value 100ether "$address" >/dev/null
    echo "funded $address from development account #0"
  fi
done
touch "$READY"

status=0
wait "$chain" || status=$?
# A signal ended the first wait: let the chain finish writing its state.
if kill -0 "$chain" 2>/dev/null; then wait "$chain" || status=$?; fi
exit "$status"
