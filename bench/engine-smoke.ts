// Manual end-to-end check of the device's container engine against a real registry container:
//   npx tsx bench/engine-smoke.ts [--release 2.9.7+rev1] [--device-type beaglebone-black]
// Publishes the release's images, writes config.json onto a copy of the card, boots it in QEMU
// (virt, user-net), and checks that the supervisor was pulled and runs, that it pulled and runs
// the app, and that the app's heartbeat advances. Then `docker pull` of the hostOS image on the
// device, with the bytes the registry served.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { ensureImage } from '../images/build.ts';
import { findRelease } from '../images/lib/releases.ts';
import { cacheDir } from '../images/lib/cache.ts';
import { APP_REFERENCE, hostOsReference, startRegistry, supervisorReference } from '../harness/registry/index.ts';
import { publishRelease } from '../harness/release/publish-release.ts';
import { option } from './argv.ts';

const version = option('--release') ?? '2.9.7+rev1';
const deviceType = option('--device-type') ?? 'beaglebone-black';
const sshPort = Number(option('--ssh-port') ?? '2222');
const t0 = Date.now();
const say = (line: string) => console.log(`[smoke +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);

const release = await findRelease(version);
const built = await ensureImage(release, deviceType, say);
await using registry = await startRegistry({ log: say });
say(`registry on ${registry.url}, device sees ${registry.deviceUrl}`);
const pushed = await publishRelease(registry.client, version, deviceType);
for (const p of pushed) say(`pushed ${p.reference} ${p.manifestDigest} (${p.bytesUploaded} bytes uploaded)`);

const work = await mkdtemp(path.join(os.tmpdir(), 'engine-smoke-'));
const card = path.join(work, 'card.img');
await $`cp --sparse=always ${built.path} ${card}`;
const boot = built.partitions.find((p) => p.label === 'resin-boot')!;
const config = {
  registry: registry.deviceUrl,
  deviceType,
  app: APP_REFERENCE,
  supervisorImage: supervisorReference(deviceType, release.supervisor),
};
await writeFile(path.join(work, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
await $`mcopy -o -i ${`${card}@@${boot.startBytes}`} ${path.join(work, 'config.json')} ::/config.json`;

const consoleLog: string[] = [];
const qemu = spawn(
  'qemu-system-arm',
  [
    '-M',
    'virt',
    '-cpu',
    'cortex-a15',
    '-m',
    '512',
    '-bios',
    '/usr/lib/u-boot/qemu_arm/u-boot.bin',
    '-drive',
    `file=${card},if=none,format=raw,id=sd`,
    '-device',
    'virtio-blk-pci,drive=sd',
    '-netdev',
    `user,id=net0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    '-device',
    'virtio-net-pci,netdev=net0',
    '-nographic',
    '-serial',
    'stdio',
    '-monitor',
    'none',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let partial = '';
qemu.stdout.on('data', (d: Buffer) => {
  const lines = (partial + d.toString()).split('\n');
  partial = lines.pop() ?? '';
  consoleLog.push(...lines.map((l) => l.replace(/\r$/, '')));
});
say(`qemu pid ${qemu.pid}`);

const key = path.join(cacheDir, 'keys/hupbench_ed25519');
const ssh = (command: string) =>
  $({
    nothrow: true,
    quiet: true,
    timeout: '180s',
  })`ssh -i ${key} -p ${sshPort} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR root@127.0.0.1 ${command}`;
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

let failed = false;
try {
  await until('SSH on the device', 90_000, async () => ((await ssh('true')).exitCode === 0 ? true : undefined));
  say('device reachable over SSH');
  await until('the supervisor container running', 120_000, async () =>
    (await ssh("docker ps --format '{{.Names}}'")).stdout.includes('resin_supervisor') ? true : undefined,
  );
  say(`supervisor running:\n${(await ssh('docker ps')).stdout}`);
  await until('the app container running', 120_000, async () =>
    (await ssh("docker ps --format '{{.Names}}'")).stdout.split('\n').includes('app') ? true : undefined,
  );
  const first = Number((await ssh('cat /mnt/data/resin-data/app/heartbeat')).stdout.trim());
  await new Promise((r) => setTimeout(r, 4000));
  const second = Number((await ssh('cat /mnt/data/resin-data/app/heartbeat')).stdout.trim());
  say(`heartbeat ${first} -> ${second} over 4s`);
  if (!(second >= first + 2)) throw new Error(`the app's heartbeat did not advance (${first} -> ${second})`);
  say(`images:\n${(await ssh('docker images')).stdout}`);

  // The updater's path: pull the hostOS image and export it.
  const mark = await registry.mark();
  const pull = await ssh(`time docker pull ${hostOsReference(version, deviceType)} 2>&1`);
  say(`docker pull hostOS: exit ${pull.exitCode}\n${pull.stdout}`);
  if (pull.exitCode !== 0) throw new Error('docker pull of the hostOS image failed');
  const served = await registry.bytesServed(mark);
  say(`registry served ${served.total} bytes in ${served.requests} requests for the hostOS pull`);
  const exp = await ssh(
    `docker create --name hostos ${hostOsReference(version, deviceType)} >/dev/null && docker export hostos | tar -t | grep -c . && docker rm hostos`,
  );
  say(`docker export hostos: ${exp.exitCode === 0 ? `${exp.stdout.split('\n')[0]} entries` : `failed ${exp.stderr}`}`);
  if (exp.exitCode !== 0) throw new Error('docker create/export of the hostOS image failed');
  // Stopping the supervisor keeps the app running.
  const stop = await ssh("docker stop resin_supervisor >/dev/null; sleep 3; docker ps --format '{{.Names}}'");
  say(`after docker stop resin_supervisor: running = ${stop.stdout.trim().split('\n').join(', ')}`);
  if (!stop.stdout.split('\n').includes('app') || stop.stdout.includes('resin_supervisor'))
    throw new Error('stopping the supervisor should leave exactly the app running');
  say('PASS');
} catch (err) {
  failed = true;
  say(`FAIL: ${(err as Error).message}`);
} finally {
  const tagged = consoleLog.filter((l) => /\[(engine|supervisor|app)\]/.test(l));
  say(`console lines from engine/supervisor/app (${tagged.length}):\n${tagged.slice(0, 40).join('\n')}`);
  qemu.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
