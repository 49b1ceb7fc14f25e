#!/usr/bin/env bash
# Recreates the database that `cargo sqlx prepare` checks queries against,
# with every migration applied, so the check never depends on leftover state.
set -euo pipefail
url="$1"
cd "$(dirname "$0")/.."
cargo sqlx database drop -y --database-url "$url" >/dev/null 2>&1 || true
cargo sqlx database create --database-url "$url"
cargo sqlx migrate run --source migrations --database-url "$url" >/dev/null
