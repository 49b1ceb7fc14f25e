#!/usr/bin/env node
// solc-wrapper.mjs — a stand-in for the native `solc` binary, backed by solc-js (npm `solc`).
//
// Native solc cannot be downloaded on our machines, so forge runs this script instead:
//   forge build --use contracts/tools/solc-wrapper.mjs      (tools/forge-test.sh does this)
// It answers exactly what forge asks of a compiler:
//   --version                   → a native-looking banner ("Version: 0.8.30+commit.….Linux.g++")
//   --standard-json [flags]     → standard-JSON in on stdin, compiled by solc-js, JSON out on stdout
// Imports that forge did not inline are resolved against --base-path, every --include-path
// and every --allow-paths entry, in that order (like native solc).
// Debugging: SOLC_WRAPPER_LOG=<file> appends each invocation's arguments to <file>.
import { createRequire } from 'node:module';
import { readFileSync, existsSync, appendFileSync } from 'node:fs';
import { resolve, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// contracts/tools → repository root, whose node_modules holds the pinned `solc`.
const require = createRequire(join(here, '..', '..', 'package.json'));

function nativeVersion(solc) {
  // solc-js says 0.8.30+commit.73712a01.Emscripten.clang; forge only needs the semver + commit.
  return solc.version().replace(/\.Emscripten\.clang$/, '.Linux.g++');
}

function searchRoots(args) {
  const roots = [];
  const valueOf = (i, flag) => {
    const a = args[i];
    if (a === flag) return args[i + 1];
    if (a.startsWith(flag + '=')) return a.slice(flag.length + 1);
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const base = valueOf(i, '--base-path');
    if (base !== undefined) roots.unshift(resolve(base));
    const inc = valueOf(i, '--include-path');
    if (inc !== undefined) roots.push(resolve(inc));
    const allow = valueOf(i, '--allow-paths');
    if (allow !== undefined) for (const p of allow.split(',')) if (p) roots.push(resolve(p));
  }
  if (roots.length === 0) roots.push(process.cwd());
  return roots;
}

function main() {
  const args = process.argv.slice(2);
  if (process.env.SOLC_WRAPPER_LOG) {
    appendFileSync(process.env.SOLC_WRAPPER_LOG, `${new Date().toISOString()} ${JSON.stringify(args)}\n`);
  }
  const solc = require('solc');

  if (args.includes('--version') || args.includes('-v')) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${nativeVersion(solc)}\n`);
    return 0;
  }
  if (!args.includes('--standard-json')) {
    process.stderr.write(`solc-wrapper: only --version and --standard-json are supported (got: ${args.join(' ')})\n`);
    return 2;
  }

  const roots = searchRoots(args);
  const findImports = (path) => {
    const candidates = isAbsolute(path) ? [path] : roots.map((r) => join(r, path));
    for (const c of candidates) {
      if (existsSync(c)) return { contents: readFileSync(c, 'utf8') };
    }
    return { error: `File not found: ${path} (searched ${roots.join(', ')})` };
  };

  const input = readFileSync(0, 'utf8');
  const output = solc.compile(input, { import: findImports });
  // No process.exit() after writing: stdout is a pipe and outputs over 64 KiB would be cut
  // off before they drain. Node exits once the write has completed.
  process.stdout.write(output);
  return 0;
}

process.exitCode = main();
