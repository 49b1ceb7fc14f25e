#!/usr/bin/env bash
# Run the contracts' forge test suite (unit, fuzz, invariant) from any working directory.
# Compiles through tools/solc-wrapper.mjs (solc-js 0.8.30), offline. Extra arguments go to
# `forge test`, e.g.  contracts/tools/forge-test.sh --match-contract Matrix -vv
# Exits non-zero when compilation or any test fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/foundry-env.sh"
cd "$CONTRACTS"
exec "$FORGE" test --offline --use "$SOLC_WRAPPER" "$@"
