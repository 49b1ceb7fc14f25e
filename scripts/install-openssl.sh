#!/usr/bin/env bash
# Installs what the api's build needs to link OpenSSL (webauthn-rs, the
# passkey library, uses it): Debian's libssl-dev and pkg-config.
set -euo pipefail
if command -v pkg-config >/dev/null && pkg-config --exists openssl; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "careledger: building the api needs OpenSSL's headers: sudo apt-get install libssl-dev pkg-config" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends libssl-dev pkg-config >/dev/null
