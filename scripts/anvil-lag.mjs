// How far Anvil's state file lags under load (the figure in docs/RELIABILITY.md).
//
//   node scripts/anvil-lag.mjs [ROUNDS=20] [SECONDS=10] [SENDERS=8]
//
// Runs Anvil as `make run` does (scripts/anvil-supervisor.sh, the flags of
// contracts/tools/foundry-env.sh) in a temporary directory, and for each round:
// SENDERS clients send transactions (each waiting for its receipt) for a random
// 50–100 % of SECONDS, then Anvil (not its supervisor) is killed with SIGKILL.
// Once the supervisor has it answering again, the head is compared with the
// last block a client saw mined: the blocks lost, and the seconds of mining
// they were (at the round's own rate of blocks). The chain keeps growing from round to round, so
// later rounds show the lag at larger state files. A round whose newest save
// was torn by the kill is marked (a plain restart loop would never have brought
// that chain back).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [rounds = 20, seconds = 10, senders = 8] = process.argv.slice(2).map(Number);
const root = new URL('..', import.meta.url).pathname;
const anvil = join(root, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const flags = ['--prune-history', '--hardfork', 'cancun']; // ANVIL_CHAIN_FLAGS
const port = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'anvil-lag-'));
const url = `http://127.0.0.1:${port}`;
const FROM = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'; // dev account #0
const sleep = ms => new Promise(r => setTimeout(r, ms));

async function rpc(method, params = []) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal: AbortSignal.timeout(5000) });
  const j = await r.json();
  if (j.error) throw new Error(JSON.stringify(j.error));
  return j.result;
}
async function answering() {
  for (let i = 0; i < 2400; i++) {
    try { await rpc('eth_chainId'); return true; } catch { await sleep(25); }
  }
  return false;
}

const supervisor = spawn(join(root, 'scripts/anvil-supervisor.sh'), [join(dir, 'state.json'), '--', anvil,
  '--port', String(port), '--mnemonic', 'test test test test test test test test test test test junk', ...flags],
  { stdio: ['ignore', 'ignore', 'pipe'] });
let said = '';
supervisor.stderr.on('data', d => { said += d; });
const anvilPid = () => readFileSync(`/proc/${supervisor.pid}/task/${supervisor.pid}/children`, 'utf8')
  .trim().split(/\s+/).map(Number)
  .find(p => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'anvil'; } catch { return false; } });

const results = [];
try {
  if (!(await answering())) throw new Error('Anvil did not start');
  for (let round = 0; round < rounds; round++) {
    let stop = false, head = 0, sent = 0;
    const startHead = parseInt(await rpc('eth_blockNumber'), 16);
    const sender = async () => {
      while (!stop) {
        try {
          const hash = await rpc('eth_sendTransaction', [{ from: FROM, to: '0x000000000000000000000000000000000000dEaD',
            value: '0x1', data: '0x' + 'ab'.repeat(300) }]);
          const receipt = await rpc('eth_getTransactionReceipt', [hash]);
          if (stop) break;
          sent++;
          head = Math.max(head, parseInt(receipt.blockNumber, 16));
        } catch { await sleep(5); }
      }
    };
    const began = Date.now();
    const clients = Array.from({ length: senders }, sender);
    await sleep(seconds * 1000 * (0.5 + Math.random() * 0.5));
    const size = statSync(join(dir, 'state.json'), { throwIfNoEntry: false })?.size ?? 0;
    const headBefore = head;
    const elapsed = (Date.now() - began) / 1000;
    const txPerSec = sent / elapsed;
    const blocksPerSec = (headBefore - startHead) / elapsed;
    process.kill(anvilPid(), 'SIGKILL');
    const killedAt = Date.now();
    stop = true;
    await Promise.allSettled(clients);
    await sleep(100);
    if (!(await answering())) { console.log(JSON.stringify({ round, restarted: false })); break; }
    const backAfterMs = Date.now() - killedAt;
    const headAfter = parseInt(await rpc('eth_blockNumber'), 16);
    const lostBlocks = Math.max(0, headBefore - headAfter);
    const lostSeconds = lostBlocks / blocksPerSec;
    const torn = said.includes('cut short');
    said = '';
    results.push({ round, stateMB: +(size / 1e6).toFixed(1), txPerSec: Math.round(txPerSec), lostBlocks,
      lostSeconds: +lostSeconds.toFixed(2), tornSave: torn, backAfterMs });
    console.log(JSON.stringify(results.at(-1)));
  }
} finally {
  supervisor.kill('SIGTERM');
  await new Promise(r => supervisor.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
const lost = results.map(r => r.lostSeconds).sort((a, b) => a - b);
console.log('SUMMARY', JSON.stringify({ rounds: results.length, tornSaves: results.filter(r => r.tornSave).length,
  lostSecondsMedian: lost[Math.floor(lost.length / 2)], lostSecondsMax: lost.at(-1),
  lostBlocksMax: Math.max(...results.map(r => r.lostBlocks)), largestStateMB: Math.max(...results.map(r => r.stateMB)) }));
