// The real engine's pull over a GPRS-like link: does a layer arrive when the link resets its
// connections, and what do the retries cost?
//   npx tsx bench/engine-pull-link.ts [--layer-mb 1.5] [--rate-kbit 80] [--loss 1]
//     [--reset-every 60 --reset-every 25 ...] [--runs 1]
// The engine is this host's dockerd: the same Debian docker.io (20.10.24) the reference OS runs on
// the device, so its download retries are the device's, at a true GPRS rate that a board run at real
// size cannot reach in a session (112 MB at 80 kbit/s is 3 h). The link is the profiles' own
// (harness/profile/profile-link.ts) on a real registry; the bytes are the registry's access log,
// accounted as an update's are. Per case it prints whether the pull completed, how long it took, how
// many requests the layer took and the bytes beyond its size.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { $ } from 'zx';
import { accountUpdate } from '../harness/bandwidth/account.ts';
import { applyLink } from '../harness/profile/profile-link.ts';
import { inRegistryNetns } from '../harness/registry/registry-faults.ts';
import { startRegistry } from '../harness/registry/registry.ts';
import { option, options } from './argv.ts';
import { median } from './stats.ts';

const layerMB = Number(option('--layer-mb') ?? 1.5);
const rateKbit = Number(option('--rate-kbit') ?? 80);
const lossPercent = Number(option('--loss') ?? 1);
const resetEvery = options('--reset-every').map(Number);
const runs = Number(option('--runs') ?? 1);
if (!resetEvery.length) resetEvery.push(0, 60, 25);
for (const [name, v] of Object.entries({ layerMB, rateKbit, lossPercent, runs, resetEvery: Math.min(...resetEvery) }))
  if (!Number.isFinite(v) || v < 0)
    throw new Error(`bench/engine-pull-link.ts: ${name} must be a number ≥ 0 (got ${v})`);

const t0 = Date.now();
const say = (line: string) => console.log(`[engine-pull-link +${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
const engineVersion = (await $({ quiet: true })`docker version --format {{.Server.Version}}`).stdout.trim();

interface Outcome {
  resetEvery: number;
  layerSize: number;
  completed: boolean;
  seconds: number;
  resets: number;
  layerRequests: number;
  layerBytes: number;
  /** What the registry's interface sent: TCP/IP and retransmissions included, what a reset lost in flight not. */
  wireBytes: number;
  /** After a failed pull: what the next pull of the layer took. */
  nextPull: string;
  engineRetries: number;
  error: string;
}

await using registry = await startRegistry({ log: say });
// Interrupted: the registry container (and the link rules in its namespace) go with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    say(`${signal}: removing the registry`);
    void Promise.resolve(registry[Symbol.asyncDispose]()).finally(() => process.exit(130));
  });
const outcomes: Outcome[] = [];
for (const every of resetEvery) {
  for (let i = 0; i < runs; i += 1) outcomes.push(await pullOnce(every, i));
}

/** The daemon's log file (its stderr), when it writes one: where it says each download try it retries. */
async function engineLog(): Promise<string | undefined> {
  const pid = (await $({ quiet: true, nothrow: true })`pidof dockerd`).stdout.trim().split(' ')[0];
  const file = pid ? await readlink(`/proc/${pid}/fd/2`).catch(() => undefined) : undefined;
  return file && (await stat(file).catch(() => undefined))?.isFile() ? file : undefined;
}

/** Bytes the registry's interface has sent, in its own namespace (/proc/net follows it; /sys would show the host's). */
async function wireBytes(): Promise<number> {
  const dev = await inRegistryNetns(registry, ['cat', '/proc/net/dev']);
  const eth0 = /^\s*eth0:\s*(.*)$/m.exec(dev)?.[1]?.trim().split(/\s+/);
  return Number(eth0?.[8]); // receive: bytes packets errs drop fifo frame compressed multicast; then transmit bytes
}

/** A layer of one file of random bytes, stored (gzip level 0): its size on the wire is its size. */
async function randomLayer(mb: number): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'engine-pull-link-'));
  try {
    await writeFile(path.join(dir, 'payload'), randomBytes(Math.round(mb * 1e6)));
    await $({ quiet: true })`tar -C ${dir} -cf ${path.join(dir, 'layer.tar')} payload`;
    return gzipSync(await readFile(path.join(dir, 'layer.tar')), { level: 0 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Pulls the image again, the link clean; how its first request for the layer was answered. */
async function pullAgain(image: string, digest: string): Promise<string> {
  const mark = await registry.mark();
  const pull = await $({ nothrow: true, quiet: true, timeout: '120s' })`docker pull ${image}`;
  const first = (await registry.accessLog())
    .slice(mark)
    .find((e) => e.method === 'GET' && e.path.endsWith(`/blobs/${digest}`));
  if (pull.exitCode !== 0 || !first) return `failed again (${pull.stderr.trim().split('\n').at(-1)})`;
  return first.status === 206
    ? `resumed (206, ${(first.bytes / 1e6).toFixed(2)} MB)`
    : `the whole layer again (${first.status}, ${(first.bytes / 1e6).toFixed(2)} MB)`;
}

/** One pull of a fresh random layer (nothing cached) through the link; the registry's view of it. */
async function pullOnce(every: number, run: number): Promise<Outcome> {
  const layer = await randomLayer(layerMB);
  const tag = `bench-${every}s-${run}-${Date.now()}`;
  await registry.client.pushImage(`resin/resinos:${tag}`, {
    layers: [{ gzip: layer }],
    config: { architecture: 'amd64', os: 'linux', config: {} },
  });
  const { manifest } = await registry.client.getManifest(`resin/resinos:${tag}`);
  const digest = manifest.layers[0]!.digest;
  const image = `127.0.0.1:${registry.port}/resin/resinos:${tag}`;
  // At the rate alone the layer takes this long; the bound leaves room for every retry's backoff.
  const atRateS = (layer.byteLength * 8) / (rateKbit * 1000);
  const boundS = Math.ceil(atRateS * 3 + 180);
  const link = await applyLink(registry, {
    rateKbit,
    lossPercent,
    resetEverySeconds: every || undefined,
    outages: [],
  });
  say(
    `${link.description}: pulling ${image} (${(layer.byteLength / 1e6).toFixed(2)} MB, ${atRateS.toFixed(0)} s at the rate; bound ${boundS} s)`,
  );
  const mark = await registry.mark();
  const log = await engineLog();
  const logFrom = log ? (await stat(log)).size : 0;
  const wireFrom = await wireBytes();
  const started = Date.now();
  const pull = await $({ nothrow: true, quiet: true, timeout: `${boundS}s` })`docker pull ${image}`;
  const seconds = (Date.now() - started) / 1000;
  await link.restore();
  const resets = link.resets().struck;
  const wire = (await wireBytes()) - wireFrom;
  const said = log ? (await readFile(log)).subarray(logFrom).toString() : undefined;
  const entries = (await registry.accessLog()).slice(mark);
  // After a failed pull, the next one (as the updater's retry) on a clean link: does it resume?
  const again = pull.exitCode === 0 ? undefined : await pullAgain(image, digest);
  await $({ nothrow: true, quiet: true })`docker rmi ${image}`;
  const out = accountUpdate({
    entries,
    phases: [{ name: 'pull', startMs: started - 1000 }],
    blobSizes: new Map([[digest, layer.byteLength]]),
  });
  const finding = out.findings.find((f) => f.digest === digest);
  const text = `${pull.stdout}\n${pull.stderr}`;
  // The engine's own account of its tries: its daemon log's lines of this pull.
  const tries = said?.split('\n').filter((l) => /Download failed/.test(l)) ?? [];
  for (const l of tries) say(`dockerd: ${/msg="([^"]*)"/.exec(l)?.[1] ?? l}`);
  const outcome: Outcome = {
    resetEvery: every,
    layerSize: layer.byteLength,
    completed: pull.exitCode === 0,
    seconds,
    resets,
    layerRequests: finding?.requests ?? (out.components.hostOS ? 1 : 0),
    layerBytes: out.components.hostOS ?? 0,
    wireBytes: wire,
    nextPull: again ?? '',
    engineRetries: said === undefined ? Number.NaN : tries.filter((l) => /retrying/.test(l)).length,
    error:
      pull.exitCode === 0
        ? ''
        : (pull.exitCode === null ? `no answer within ${boundS} s; ` : '') + (text.trim().split('\n').at(-1) ?? ''),
  };
  say(JSON.stringify(outcome));
  return outcome;
}

const mb = (b: number) => (b / 1e6).toFixed(2);
console.log(
  `\nThe real engine's pull (dockerd ${engineVersion}) of a ${layerMB} MB layer at ${rateKbit} kbit/s, ${lossPercent}% of the registry's packets dropped, ${runs} run(s) per case. Medians where runs > 1.\n`,
);
console.log(
  '| connections reset | completed | seconds | resets | requests for the layer | registry bytes (MB) | beyond the layer (MB) | on the wire (MB) | engine retries | error | the next pull (clean link) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const every of resetEvery) {
  const of = outcomes.filter((o) => o.resetEvery === every);
  const m = (f: (o: Outcome) => number) => median(of.map(f));
  const distinct = (f: (o: Outcome) => string) => [...new Set(of.map(f).filter(Boolean))].join('; ') || '–';
  const cells = [
    every ? `every ${every} s` : 'never',
    `${of.filter((o) => o.completed).length}/${of.length}`,
    m((o) => o.seconds).toFixed(0),
    m((o) => o.resets),
    m((o) => o.layerRequests),
    mb(m((o) => o.layerBytes)),
    mb(
      Math.max(
        0,
        m((o) => o.layerBytes - o.layerSize),
      ),
    ),
    mb(m((o) => o.wireBytes)),
    m((o) => o.engineRetries),
    distinct((o) => o.error),
    distinct((o) => o.nextPull),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
