#!/usr/bin/env bash
# anvil-supervisor.sh STATE_FILE -- ANVIL [ARGS...]
#
# Runs Anvil with its chain kept in STATE_FILE and starts it again, from that
# file, whenever it exits, until this script gets TERM or INT (which it passes
# on, so Anvil writes its state once more). Used by `make run`, the chaos tests
# (api/tests/chaos) and the chain container (deploy/chain/entrypoint.sh).
#
# Anvil rewrites STATE_FILE in place every second (--state-interval 1). A
# `kill -9` (or a power cut) while it is writing leaves a torn file that Anvil
# refuses to load, so a plain restart loop would never bring the chain back.
# This script therefore keeps the last whole dump beside it: every few seconds
# it moves the current file aside (a dump in progress finishes in the moved
# file; the next one starts a new file), and keeps it as STATE_FILE.good once
# it ends as a whole dump ends. At each start it uses the newest whole copy.
# What Anvil mined after that copy is lost to the chain and recorded again by
# the api's chain journal (docs/RELIABILITY.md gives the measured window).
set -uo pipefail

[[ $# -ge 3 && "$2" == "--" ]] || { echo "usage: $0 STATE_FILE -- ANVIL [ARGS...]" >&2; exit 2; }
STATE="$1"; shift 2
GOOD="$STATE.good" TAKING="$STATE.taking" TORN="$STATE.torn"
# How often the current dump is set aside and kept (seconds).
KEEP_EVERY="${ANVIL_KEEP_EVERY:-2}"
say() { printf 'anvil-supervisor: %s\n' "$*" >&2; }

# A whole dump ends with its last field; one cut short by a kill does not.
# (Anvil 1.7 writes `...],"historical_states":null}` last, --prune-history or not.)
whole() { [[ -s "$1" && "$(tail -c 32 "$1")" == *'"historical_states":null}' ]]; }

# Puts the newest whole copy at $STATE for Anvil to load (none: a new chain).
choose_state() {
  if [[ -f "$STATE" ]] && ! whole "$STATE"; then
    mv -f "$STATE" "$TORN"
    say "the last state dump was cut short (kept as $TORN); starting from the previous whole one"
  fi
  [[ -f "$STATE" ]] && return 0
  local f
  for f in "$TAKING" "$GOOD"; do
    if whole "$f"; then
      cp "$f" "$STATE.tmp" && mv -f "$STATE.tmp" "$STATE"
      return 0
    fi
  done
  if [[ -f "$TORN" || -f "$TAKING" ]]; then
    say "no whole state file is left beside $STATE; refusing to start a new, empty chain in its place"
    say "(move the files away by hand to start a new chain: the api then stops, naming the lost contract)"
    return 1
  fi
}

# Sets the current dump aside and keeps it once whole (a dump in progress
# finishes in the moved file; Anvil's next dump creates $STATE again).
keep_whole() {
  [[ -f "$STATE" ]] || return 0
  mv -f "$STATE" "$TAKING"
  local i
  for ((i = 0; i < 300; i++)); do
    if whole "$TAKING"; then
      mv -f "$TAKING" "$GOOD"
      return 0
    fi
    kill -0 "$child" 2>/dev/null || return 0
    sleep 0.1
  done
}

child=
stop() {
  trap - TERM INT
  if [[ -n "$child" ]]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit 0
}
trap stop TERM INT

while true; do
  choose_state || exit 1
  "$@" --state "$STATE" --state-interval 1 &
  child=$!
  since=$SECONDS
  while kill -0 "$child" 2>/dev/null; do
    sleep 0.2 & wait $!
    if ((SECONDS - since >= KEEP_EVERY)); then
      keep_whole
      since=$SECONDS
    fi
  done
  rc=0; wait "$child" || rc=$?
  child=
  say "Anvil exited (status $rc); starting it again from its saved state"
  sleep 0.5 & wait $!
done
