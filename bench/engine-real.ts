// The device's container engine, end to end and measured, on a leased QEMU rig with a real registry:
//   [HUPBENCH_ENGINE=moby] npx tsx bench/engine-real.ts [--rig qemu-beaglebone-black]
//     [--release 2.9.7+rev1] [--boots 1] [--pulls 3] [--cli]
// Per boot: a fresh card with config.json, power-on → login prompt / SSH / engine answering, the
// supervisor pulled and running (restart policy), the app pulled and running with its heartbeat
// advancing, memory after start. First boot: the hostOS image pulled --pulls times (MiB/s by the
// registry's bytes), one create+export, and with --cli the updaters' docker commands with their answers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { ensureImage, type BuiltImage } from '../images/build.ts';
import { cacheDir } from '../images/lib/cache.ts';
import { selectedEngine } from '../images/lib/engine.ts';
import { findRelease } from '../images/lib/releases.ts';
import { BoardStrategy } from '../harness/board/strategy.ts';
import { Device } from '../harness/device/device.ts';
import {
  APP_REFERENCE,
  hostOsReference,
  type StartedRegistry,
  startRegistry,
  supervisorReference,
} from '../harness/registry/index.ts';
import { publishRelease } from '../harness/release/publish-release.ts';
import { createRig } from '../harness/rig/create-rig.ts';
import { acquireInstanceLease } from '../harness/rig/lease.ts';
import { loadRigConfig } from '../harness/rig/rig-config.ts';
import { askEngine, formatAnswers, updaterCommands } from './engine-cli.ts';
import { cliCallSeconds, memory, runningNames, timedExport, timedPull, until } from './engine-probes.ts';
import { option } from './argv.ts';
import { median } from './stats.ts';

const engine = selectedEngine();
const rigConfig = await loadRigConfig(option('--rig') ?? 'qemu-beaglebone-black');
const release = await findRelease(option('--release') ?? '2.9.7+rev1');
const boots = Number(option('--boots') ?? 1);
const pulls = Number(option('--pulls') ?? 3);
const deviceType = rigConfig.deviceType;
const t0 = Date.now();
const say = (line: string) => console.log(`[engine-real +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const s = (ms: number) => +(ms / 1000).toFixed(2);

say(
  `engine ${engine}, rig ${rigConfig.name} (${rigConfig.kind === 'qemu' ? `${rigConfig.memoryMiB} MiB` : 'bench'}), release ${release.version}`,
);
let t = Date.now();
const built = await ensureImage(release, deviceType, say);
const buildMs = Date.now() - t;
await using registry = await startRegistry({ log: say });
t = Date.now();
await publishRelease(registry.client, release.version, deviceType);
say(`release published in ${s(Date.now() - t)} s`);

const lease = await acquireInstanceLease(rigConfig.name, rigConfig.instances, { timeoutMs: 30 * 60_000 });
const rig = createRig(rigConfig, path.join(cacheDir, 'rigs', `engine-real-${lease.instance}-${process.pid}`));
const work = await mkdtemp(path.join(os.tmpdir(), 'engine-real-'));
const figures: Record<string, unknown>[] = [];
let failed = false;
try {
  for (let i = 0; i < boots; i++) figures.push(await oneBoot(i === 0));
} catch (error) {
  failed = true;
  say(`FAIL: ${(error as Error).message}\nlast console lines:\n${rig.console.tail(40)}`);
} finally {
  await rig.dispose();
  await lease.release();
  await rm(work, { recursive: true, force: true });
}
report();
process.exitCode = failed ? 1 : 0;

async function oneBoot(first: boolean): Promise<Record<string, unknown>> {
  const device = new Device(rig);
  const board = new BoardStrategy(rig, device);
  await board.flash(await cardWithConfig(built, registry));
  const started = Date.now();
  const { loginPromptMs } = await board.powerOn();
  await board.toSsh();
  const sshMs = Date.now() - started;
  await until('the engine answering `docker ps`', 300_000, async () =>
    (await device.exec('docker ps >/dev/null 2>&1')).exitCode === 0 ? true : undefined,
  );
  const engineMs = Date.now() - started;
  await until('the supervisor container running', 600_000, async () =>
    (await runningNames(device)).includes('resin_supervisor') ? true : undefined,
  );
  const supervisorMs = Date.now() - started;
  await until('the app container running', 600_000, async () =>
    (await runningNames(device)).includes('app') ? true : undefined,
  );
  const appMs = Date.now() - started;
  // S50engine writes it a moment after the engine first answers (moby engine only).
  const engineUptime = Number((await device.exec('cat /run/engine-ready 2>/dev/null')).stdout.trim()) || undefined;
  const beats = await heartbeats(device);
  const restart = (await device.exec("docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' resin_supervisor")).stdout;
  const mem = await memory(device);
  const fig: Record<string, unknown> = {
    loginPromptS: s(loginPromptMs),
    sshS: s(sshMs),
    engineAnswersS: s(engineMs),
    engineReadyUptimeS: engineUptime,
    supervisorRunningS: s(supervisorMs),
    appRunningS: s(appMs),
    heartbeat: beats,
    supervisorRestartPolicy: restart.trim() || '(no inspect)',
    memory: mem,
    dockerPsS: await cliCallSeconds(device),
  };
  say(`boot: ${JSON.stringify(fig)}`);
  if (first) Object.assign(fig, await transfers(device));
  await board.powerOff();
  return fig;
}

/** A copy of the card with config.json on resin-boot naming the run's registry, supervisor and app. */
async function cardWithConfig(image: BuiltImage, reg: StartedRegistry): Promise<string> {
  const card = path.join(work, 'card.img');
  await $`cp --sparse=always ${image.path} ${card}`;
  const boot = image.partitions.find((p) => p.label === 'resin-boot')!;
  const config = {
    registry: reg.deviceUrl,
    deviceType,
    app: APP_REFERENCE,
    supervisorImage: supervisorReference(deviceType, release.supervisor),
  };
  await writeFile(path.join(work, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await $`mcopy -o -i ${`${card}@@${boot.startBytes}`} ${path.join(work, 'config.json')} ::/config.json`;
  return card;
}

async function heartbeats(device: Device): Promise<string> {
  const read = async () => Number((await device.exec('cat /mnt/data/resin-data/app/heartbeat')).stdout.trim());
  const first = await read();
  await new Promise((r) => setTimeout(r, 5000));
  const second = await read();
  if (!(second >= first + 2)) throw new Error(`the app's heartbeat did not advance over 5 s (${first} -> ${second})`);
  return `${first} -> ${second} over 5 s`;
}

async function transfers(device: Device): Promise<Record<string, unknown>> {
  const host = registry.deviceUrl.replace(/^https?:\/\//, '');
  const local = hostOsReference(release.version, deviceType);
  const qualified = `${host}/${local}`;
  const pullRuns = [];
  for (let i = 0; i < pulls; i++) {
    pullRuns.push(await timedPull(device, registry, qualified));
    say(`hostOS pull ${i + 1}/${pulls}: ${JSON.stringify(pullRuns.at(-1))}`);
  }
  // The name upgrade-2.x.sh creates from: the shell engine stores a pull under it (no registry host);
  // Docker resolves it again through the mirror (the layer is already there).
  const exp = await timedExport(device, local);
  say(`hostOS create+export: ${JSON.stringify(exp)}`);
  const df = (await device.exec('df -k /mnt/data / | tail -n 2')).stdout.trim();
  const out: Record<string, unknown> = {
    pulls: pullRuns,
    pullMedianMiBps: +median(pullRuns.map((p) => p.mibPerSecond)).toFixed(2),
    pullMedianS: +median(pullRuns.map((p) => p.seconds)).toFixed(2),
    export: exp,
    dfAfterPull: df,
    memoryAfterPulls: await memory(device),
  };
  if (process.argv.includes('--cli')) {
    const answers = await askEngine(device, updaterCommands(qualified, local, 'resin_supervisor'));
    say(`the updaters' docker commands (${engine} engine):\n${formatAnswers(answers)}`);
    out.cli = answers;
  }
  return out;
}

function report(): void {
  const summary = {
    engine,
    rig: rigConfig.name,
    release: release.version,
    card: path.relative(process.cwd(), built.path),
    imageReadyS: s(buildMs),
    boots: figures,
    medians: Object.fromEntries(
      ['loginPromptS', 'sshS', 'engineAnswersS', 'engineReadyUptimeS', 'supervisorRunningS', 'appRunningS'].map((k) => [
        k,
        median(figures.map((f) => Number(f[k])).filter((v) => !Number.isNaN(v))),
      ]),
    ),
    failed,
  };
  console.log(JSON.stringify(summary, null, 2));
}
