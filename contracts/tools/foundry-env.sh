# Sourced by the contracts' shell tools. Sets CONTRACTS, ROOT, SOLC_WRAPPER and FORGE, CAST,
# ANVIL: the native Foundry binaries from the pinned npm packages.
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
