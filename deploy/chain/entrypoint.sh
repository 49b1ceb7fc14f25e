#!/bin/sh
# Starts the chosen development chain on 0.0.0.0:8545 with its state in /data.
# The mnemonic is the public development one: its key #0 funds the gateway.
# Anvil flags as ANVIL_CHAIN_FLAGS in contracts/tools/foundry-env.sh (why: there).
set -eu
MNEMONIC="test test test test test test test test test test test junk"
case "${CHAIN:-anvil}" in
  anvil)
    # Restarted from its saved state if it exits, surviving a save torn by a
    # kill (anvil-supervisor.sh, as make run uses it; docs/RELIABILITY.md).
    exec /app/anvil-supervisor.sh /data/anvil-state.json -- \
      /app/node_modules/@foundry-rs/anvil-linux-*/bin/anvil --host 0.0.0.0 --port 8545 \
      --mnemonic "$MNEMONIC" --prune-history --hardfork cancun ;;
  ganache)
    exec /app/node_modules/.bin/ganache --server.host 0.0.0.0 --server.port 8545 \
      --wallet.mnemonic "$MNEMONIC" --chain.chainId 1337 --database.dbPath /data/ganache --logging.quiet ;;
  *) echo "CHAIN must be anvil or ganache, not '$CHAIN'" >&2; exit 2 ;;
esac
