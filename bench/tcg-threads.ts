// `npx tsx bench/tcg-threads.ts [--rig R] [--boots N]`: a many-CPU board (the Pi's raspi3b has 4)
// under QEMU's multi-threaded TCG against single-threaded (rig files' `tcgThread`), booted in turns
// to SSH N times each: power-on → SSH ready, and the host CPU seconds QEMU used for it (utime + stime
// from /proc: how much of the host's two cores the board takes from the boards beside it).
import { readFile } from 'node:fs/promises';
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

type Mode = QemuRigConfig['tcgThread'];
const figures: Record<Mode, { ssh: number[]; cpu: number[] }> = {
  multi: { ssh: [], cpu: [] },
  single: { ssh: [], cpu: [] },
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
      console.log(
        `  ${mode}: SSH ready after ${(ms / 1000).toFixed(1)} s, QEMU used ${cpu.toFixed(1)} CPU s, the guest sees ${cpus} CPUs`,
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
    `${mode}: power-on → SSH median ${ssh.toFixed(1)} s, CPU ${cpu.toFixed(1)} s (${(cpu / ssh).toFixed(2)} cores on average)`,
  );
}
