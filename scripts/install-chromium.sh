#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the browser tests.
set -euo pipefail
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "careledger: the browser tests need Chromium and ChromeDriver: sudo apt-get install chromium chromium-driver" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
