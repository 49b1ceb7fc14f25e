#!/usr/bin/env bash
# Generates a 4-validator Hyperledger Besu QBFT network for CareLedger:
# validator keys in deploy/besu/keys/ (git-ignored: they are secrets), and
# deploy/besu/config/genesis.json + node.toml. Needs `cast` (npm
# @foundry-rs/cast, installed by `make deps`). Run once per network.
set -euo pipefail
cd "$(dirname "$0")"
source ../../contracts/tools/foundry-env.sh
CHAIN_ID="${BESU_CHAIN_ID:-18471}"
mkdir -p keys config
if ls keys/validator-*.key >/dev/null 2>&1; then
  echo "deploy/besu/keys/ already holds validator keys; delete them to make a new network" >&2
  exit 1
fi
umask 077
addresses=()
for i in 1 2 3 4; do
  out=$("$CAST" wallet new --json)
  key=$(printf '%s' "$out" | sed -n 's/.*"private_key": *"0x\([0-9a-fA-F]*\)".*/\1/p')
  addr=$(printf '%s' "$out" | sed -n 's/.*"address": *"\(0x[0-9a-fA-F]*\)".*/\1/p')
  printf '%s' "$key" > "keys/validator-$i.key"
  addresses+=("$addr")
done
umask 022
list=$(printf '"%s",' "${addresses[@]}"); list="[${list%,}]"
# QBFT extraData: RLP([32-byte vanity, validators, votes, round, seals]).
extra=$("$CAST" to-rlp "[\"0x$(printf '0%.0s' $(seq 1 64))\", $list, [], \"0x\", []]")
# mixHash below is not a secret: it is the fixed value QBFT requires, the ASCII of
# "ctical byzantine fault tolerance" (Besu's documented QBFT genesis constant).
cat > config/genesis.json <<JSON
{
  "config": {
    "chainId": $CHAIN_ID,
    "berlinBlock": 0,
    "londonBlock": 0,
    "shanghaiTime": 0,
    "zeroBaseFee": true,
    "qbft": { "blockperiodseconds": 1, "epochlength": 30000, "requesttimeoutseconds": 4 }
  },
  "nonce": "0x0",
  "timestamp": "0x0",
  "gasLimit": "0x1fffffffffffff",
  "difficulty": "0x1",
  "mixHash": "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365",
  "coinbase": "0x0000000000000000000000000000000000000000",
  "alloc": {},
  "extraData": "$extra"
}
JSON
cat > config/node.toml <<'TOML'
# Shared by the four validators (each passes its own --node-private-key-file).
data-path = "/data"
genesis-file = "/config/genesis.json"
min-gas-price = 0
rpc-http-enabled = true
rpc-http-host = "0.0.0.0"
rpc-http-port = 8545
rpc-http-api = ["ETH", "NET", "WEB3", "QBFT"]
host-allowlist = ["*"]
p2p-port = 30303
sync-mode = "FULL"
TOML
pub=$("$CAST" wallet public-key --raw-private-key "0x$(cat keys/validator-1.key)" | sed 's/^0x//')
echo "Besu QBFT network generated (chain id $CHAIN_ID); validators: ${addresses[*]}"
echo "Put this in .env so besu-2..4 find besu-1:"
echo "BESU_BOOTNODE=enode://$pub@besu-1:30303"
echo "Then: CHAIN_RPC_URL=http://besu-1:8545, a fresh CHAIN_GATEWAY_KEY (careledger key generate) and"
echo "CHAIN_ADMIN_ADDRESS (a multisig, or an offline key's address) in .env;"
echo "gas is free on this network (zeroBaseFee, min-gas-price 0), so the key needs no funds."
