#!/usr/bin/env bash
# Compute Engine startup script (runs as root at every boot): Docker Engine
# and the compose plugin from Debian, the repository in /opt/careledger, and
# the stack behind Caddy. /opt/careledger/.env must exist (see deploy/gcp.md).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v docker >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq docker.io docker-compose-plugin git >/dev/null 2>&1 \
    || apt-get install -y -qq docker.io docker-compose git
  systemctl enable --now docker
fi
REPO="${CARELEDGER_REPO:-https://github.com/YOUR-ORG/careledger.git}"
[[ -d /opt/careledger/.git ]] || git clone "$REPO" /opt/careledger
cd /opt/careledger
if [[ ! -f .env ]]; then
  echo "careledger: create /opt/careledger/.env from .env.example, then reboot or rerun this script" >&2
  exit 0
fi
compose() { if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi; }
compose -f docker-compose.yml -f deploy/caddy/compose.caddy.yml up -d --build
