// `npx tsx bench/tcg-threads.ts [--rig R] [--boots N]`: a many-CPU board (the Pi's raspi3b has 4)
// under QEMU's multi-threaded TCG against single-threaded (rig files' `tcgThread`), booted in turns
// to SSH N times each: power-on → SSH ready, and the host CPU seconds QEMU used for it (utime + stime
// from /proc: how much of the host's two cores the board takes from the boards beside it); then a
// 16 MiB download over the board's link from the host (busybox wget, as an update's pull does) and
// the work a pull and an export do to a 16 MiB layer.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ensureImage } from '../images/build.ts';
import { cacheDir } from '../images/lib/cache.ts';
import { loadReleases } from '../images/lib/releases.ts';
import { BoardStrategy } from '../harness/board/strategy.ts';
import { Device } from '../harness/device/device.ts';
import { createRig } from '../harness/rig/create-rig.ts';
import { acquireInstanceLease } from '../harness/rig/lease.ts';
import type { QemuRig } from '../harness/rig/qemu/qemu-rig.ts';
import { loadRigConfig, type QemuRigConfig } from '../harness/rig/rig-config.ts';
import { option } from './argv.ts';
import { median } from './stats.ts';
import { HOST_FROM_DEVICE } from '../harness/registry/index.ts';

const rigName = option('--rig') ?? 'qemu-raspberrypi3';
const boots = Number(option('--boots') ?? 3);
const config = (await loadRigConfig(rigName)) as QemuRigConfig;
if (config.kind !== 'qemu') throw new Error(`${rigName} is not a QEMU rig`);
const release = (await loadReleases()).filter((r) => r.layout === '2.x').at(-1)!;
const image = await ensureImage(release, config.deviceType);

/** CPU seconds (user + system) the process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

const blob = randomBytes(16 * 1024 * 1024);
const server = createServer((_req, res) => res.end(blob));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://${HOST_FROM_DEVICE}:${(server.address() as AddressInfo).port}/blob`;

/** MiB/s of a 16 MiB download on the device, by the device's own clock. */
async function downloadRate(device: Device): Promise<number> {
  const out = await device.check(
    `s=$(cut -d' ' -f1 /proc/uptime); wget -q -O /dev/null ${url}; e=$(cut -d' ' -f1 /proc/uptime); echo "$s $e"`,
    { timeoutMs: 600_000 },
  );
  const [s, e] = out.trim().split(' ').map(Number);
  return 16 / (e! - s!);
}

/**
 * Seconds the device takes for what a pull and an export do to a layer, by its own clock: 16 MiB
 * gzipped, checksummed and unpacked (busybox gzip, sha256sum and tar, a pipeline over several CPUs).
 */
async function layerWorkSeconds(device: Device): Promise<number> {
  const out = await device.check(
    "cd /tmp && dd if=/dev/urandom of=l bs=1M count=16 2>/dev/null && tar -cf l.tar l && rm l && s=$(cut -d' ' -f1 /proc/uptime); gzip -c l.tar | tee l.tgz | sha256sum >/dev/null; gzip -dc l.tgz | tar -x; e=$(cut -d' ' -f1 /proc/uptime); rm -f l l.tar l.tgz; echo \"$s $e\"",
    { timeoutMs: 600_000 },
  );
  const [s, e] = out.trim().split(' ').map(Number);
  return e! - s!;
}

type Mode = QemuRigConfig['tcgThread'];
const figures: Record<Mode, { ssh: number[]; cpu: number[]; rate: number[]; work: number[] }> = {
  multi: { ssh: [], cpu: [], rate: [], work: [] },
  single: { ssh: [], cpu: [], rate: [], work: [] },
};
console.log(`${rigName}: ${release.version}, ${boots} boots per mode, modes in turns`);
// An instance of the rig, as a test's worker takes one: no test runs on it meanwhile.
await using _lease = await acquireInstanceLease(rigName, config.instances);
for (let i = 0; i < boots; i++) {
  for (const mode of ['multi', 'single'] as Mode[]) {
    const rig = createRig({ ...config, tcgThread: mode }, path.join(cacheDir, 'rigs', `bench-tcg-${process.pid}`));
    try {
      const board = new BoardStrategy(rig, new Device(rig));
      await board.flash(image.path);
      const started = Date.now();
      await board.powerOn();
      await board.toSsh();
      const ms = Date.now() - started;
      const pid = (rig as QemuRig).boardPid();
      const cpu = pid ? await cpuSeconds(pid) : Number.NaN;
      figures[mode].ssh.push(ms / 1000);
      figures[mode].cpu.push(cpu);
      // The guest must see the board's CPUs either way (single only changes how the host runs them).
      const cpus = (await board.device.exec('nproc')).stdout.trim();
      const rate = await downloadRate(board.device);
      figures[mode].rate.push(rate);
      const work = await layerWorkSeconds(board.device);
      figures[mode].work.push(work);
      console.log(
        `  ${mode}: SSH ready after ${(ms / 1000).toFixed(1)} s, QEMU used ${cpu.toFixed(1)} CPU s, the guest sees ${cpus} CPUs; download ${rate.toFixed(2)} MiB/s; layer work ${work.toFixed(1)} s`,
      );
      await board.powerOff();
    } finally {
      await rig.dispose();
    }
  }
}
for (const mode of ['multi', 'single'] as Mode[]) {
  const ssh = median(figures[mode].ssh);
  const cpu = median(figures[mode].cpu);
  console.log(
    `${mode}: power-on → SSH median ${ssh.toFixed(1)} s, CPU ${cpu.toFixed(1)} s (${(cpu / ssh).toFixed(2)} cores on average); download median ${median(figures[mode].rate).toFixed(2)} MiB/s, layer work median ${median(figures[mode].work).toFixed(1)} s`,
  );
}
server.close();
