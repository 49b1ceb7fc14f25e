#!/usr/bin/env bash
# Builds the Yew app to static files in web/dist/ with no download: cargo for
# wasm32, the wasm-bindgen CLI pinned to Cargo.lock, and wasm-opt if present.
# Then GraphiQL into web/dist/graphiql/ from the npm packages `npm ci`
# installed (package-lock.json; `make web` runs it first): web/graphiql/build.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=web/dist
wasm=target/wasm32-unknown-unknown/wasm-release/careledger-web.wasm
cargo build -p careledger-web --target wasm32-unknown-unknown --profile wasm-release
mkdir -p "$out"
if [[ ! -f "$out/careledger_web_bg.wasm" || "$wasm" -nt "$out/careledger_web_bg.wasm" ]]; then
  wasm-bindgen --target web --no-typescript --out-name careledger_web --out-dir "$out" "$wasm"
  if command -v wasm-opt >/dev/null; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int -o "$out/careledger_web_bg.wasm" "$out/careledger_web_bg.wasm"
  fi
fi
cp web/index.html web/style.css web/boot.js "$out/"
size=$(gzip -9 -c "$out/careledger_web_bg.wasm" | wc -c)
echo "web: built $out/ (wasm $(( size / 1024 )) KiB gzipped)"
if [[ ! -d node_modules/graphiql || ! -d node_modules/esbuild ]]; then
  echo "build-web: GraphiQL's npm packages are not installed: run \`make deps\` (npm ci)" >&2
  exit 1
fi
node web/graphiql/build.mjs
