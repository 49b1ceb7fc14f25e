# Sourced by the contracts' shell tools. Sets CONTRACTS, ROOT, SOLC_WRAPPER and FORGE, CAST,
# ANVIL: the native Foundry binaries from the pinned npm packages; and ANVIL_CHAIN_FLAGS, how
# the api's local chain runs (make run, make bench).
#
# Why not node_modules/.bin/forge? The npm launcher (@foundry-rs/<tool>/bin.mjs 1.7.1) spawns
# the binary but never forwards its exit status: `forge test` with failing tests, or a
# failing `cast send`, still exits 0 through it. The platform package's binary does exit
# non-zero, so the tools call it directly.
CONTRACTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(dirname "$CONTRACTS")"
SOLC_WRAPPER="$CONTRACTS/tools/solc-wrapper.mjs"

foundry_binary() {
  local tool="$1" os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os=unsupported ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unsupported ;; esac
  local path="$ROOT/node_modules/@foundry-rs/$tool-$os-$arch/bin/$tool"
  if [[ ! -x "$path" ]]; then
    echo "contracts/tools: $path not found — run 'npm ci' in $ROOT first" >&2
    return 2
  fi
  printf '%s\n' "$path"
}

FORGE="$(foundry_binary forge)"
CAST="$(foundry_binary cast)"
ANVIL="$(foundry_binary anvil)"
export FOUNDRY_OFFLINE=true

# The api's local Anvil (scripts/run.sh, scripts/bench.sh; deploy/chain/entrypoint.sh repeats
# them for the container):
# --prune-history: keep only recent states in memory and none on disk (the api reads the
#   latest state and logs, never an old block's state); with Anvil's default, a busy chain
#   stalls for hundreds of ms every few seconds. Blocks, logs and the saved state are kept.
# --hardfork cancun: under Anvil's default (Prague) rules each block costs more CPU as the
#   chain grows (a plain transfer: 0.9 ms on a new chain, 7.4 ms after 10,000 blocks; under
#   Cancun 0.49 and 0.42 ms), most likely Prague's block-hash history (EIP-2935: every block
#   writes a system contract's storage, up to 8,191 slots). The contract targets Shanghai.
#   See docs/PERFORMANCE.md.
ANVIL_CHAIN_FLAGS=(--prune-history --hardfork cancun)
