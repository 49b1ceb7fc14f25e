#!/usr/bin/env node
// build.mjs — compile CareLedgerAccess with solc-js and write the committed artifact.
//
//   node contracts/tools/build.mjs          write contracts/artifacts/CareLedgerAccess.json
//   node contracts/tools/build.mjs --check  exit 1 if the committed artifact is missing or stale
//
// Same compiler and settings as forge (foundry.toml): solc 0.8.30 (npm `solc`), optimizer on
// with 200 runs, evmVersion shanghai (Ganache 7.9.2 runs it too). Source unit names are
// repository-independent ("src/…", "@openzeppelin/…"), so the output is byte-for-byte the
// same on every machine and checkout. The artifact has the Foundry shape that alloy's
// `sol!(CareLedgerAccess, "…/CareLedgerAccess.json")` reads:
//   { "abi": [...], "bytecode": { "object": "0x…" }, "deployedBytecode": { "object": "0x…" } }
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const contracts = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(contracts, '..');
const require = createRequire(join(root, 'package.json'));
const solc = require('solc');

const EXPECTED_SOLC = '0.8.30';
const CONTRACT = 'CareLedgerAccess';
const ENTRY = 'src/CareLedgerAccess.sol';
const ARTIFACT = join(contracts, 'artifacts', `${CONTRACT}.json`);
// Same prefixes as contracts/remappings.txt.
const REMAPPINGS = [
  ['@openzeppelin/', join(root, 'node_modules', '@openzeppelin') + '/'],
  ['forge-std/', join(root, 'node_modules', 'forge-std') + '/'],
];

function fail(message) {
  process.stderr.write(`build.mjs: ${message}\n`);
  process.exit(1);
}

/** Source unit name → file on disk. */
function resolvePath(unit) {
  for (const [prefix, target] of REMAPPINGS) {
    if (unit.startsWith(prefix)) return target + unit.slice(prefix.length);
  }
  return join(contracts, unit);
}

function compile() {
  const version = solc.version();
  if (!version.startsWith(EXPECTED_SOLC + '+')) {
    fail(`solc-js ${version} is installed, ${EXPECTED_SOLC} is pinned (run npm ci in ${relative(process.cwd(), root) || '.'})`);
  }
  const input = {
    language: 'Solidity',
    sources: { [ENTRY]: { content: readFileSync(resolvePath(ENTRY), 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'shanghai',
      viaIR: false,
      metadata: { bytecodeHash: 'ipfs' },
      outputSelection: { [ENTRY]: { [CONTRACT]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const findImports = (unit) => {
    const path = resolvePath(posix.normalize(unit));
    if (!existsSync(path)) return { error: `not found: ${unit} (looked at ${path})` };
    return { contents: readFileSync(path, 'utf8') };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors ?? [];
  for (const p of problems.filter((p) => p.severity !== 'error')) {
    process.stderr.write(p.formattedMessage ?? p.message);
  }
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) fail('compilation failed:\n' + errors.map((e) => e.formattedMessage ?? e.message).join('\n'));
  const c = output.contracts?.[ENTRY]?.[CONTRACT];
  if (!c) fail(`no ${CONTRACT} in the compiler output`);
  const artifact = {
    abi: c.abi,
    bytecode: { object: '0x' + c.evm.bytecode.object },
    deployedBytecode: { object: '0x' + c.evm.deployedBytecode.object },
  };
  return JSON.stringify(artifact, null, 2) + '\n';
}

const check = process.argv.includes('--check');
const unknown = process.argv.slice(2).filter((a) => a !== '--check');
if (unknown.length) fail(`unknown argument(s): ${unknown.join(' ')} (usage: build.mjs [--check])`);

const fresh = compile();
const shown = relative(process.cwd(), ARTIFACT) || ARTIFACT;
if (check) {
  if (!existsSync(ARTIFACT)) fail(`${shown} is missing: run \`node contracts/tools/build.mjs\` and commit it`);
  if (readFileSync(ARTIFACT, 'utf8') !== fresh) {
    fail(`${shown} is stale (it does not match the compiled sources): run \`node contracts/tools/build.mjs\` and commit it`);
  }
  process.stdout.write(`build.mjs: ${shown} is up to date\n`);
} else {
  mkdirSync(dirname(ARTIFACT), { recursive: true });
  writeFileSync(ARTIFACT, fresh);
  const size = (JSON.parse(fresh).deployedBytecode.object.length - 2) / 2;
  process.stdout.write(`build.mjs: wrote ${shown} (${size} bytes deployed code)\n`);
}
