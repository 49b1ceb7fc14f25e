#!/usr/bin/env bash
# Deletes the local CareLedger database and chain state: a new, empty system.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR="${CARELEDGER_DATA_DIR:-.data}"
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/careledger}"
if [[ -f "$DATA_DIR/postgres-password" && -z "${DATABASE_URL:-}" ]]; then
  url="postgres://postgres:$(cat "$DATA_DIR/postgres-password")@127.0.0.1:5432/careledger"
fi
if [[ "${1:-}" != "--yes" ]]; then
  read -r -p "Delete the database in DATABASE_URL and the chain state in $DATA_DIR/{anvil,ganache}? [y/N] " answer
  [[ "$answer" == [yY]* ]] || { echo "nothing deleted"; exit 1; }
fi
PATH="$HOME/.cargo/bin:$PATH" cargo sqlx database drop -y --database-url "$url" 2>/dev/null || true
rm -rf "$DATA_DIR/anvil" "$DATA_DIR/ganache" "$DATA_DIR/ganache.log"
echo "reset: database and chain state deleted (TLS certificate and keys kept)"
