#!/usr/bin/env bash
# Installs and starts Debian's PostgreSQL for `make run` on a machine that has
# none (run as root). The postgres user gets a generated password, kept in
# <data dir>/postgres-password, so nothing runs with a default password.
set -euo pipefail
DATA_DIR="$1"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
version=$(ls /etc/postgresql | sort -V | tail -1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start
if [[ ! -f "$DATA_DIR/postgres-password" ]]; then
  password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD '$password'\""
  umask 077
  printf '%s' "$password" >"$DATA_DIR/postgres-password"
fi
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && exit 0; sleep 0.2; done
echo "careledger: PostgreSQL was installed but does not answer on 127.0.0.1:5432" >&2
exit 1
