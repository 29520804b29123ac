// `npx tsx bench/data-cap.ts [--rig R] [--resolution-mb 0.25]`: the real backup cap of the 1.x → 2.x
// migration: the largest incompressible resin-data that upgrade-1.x-to-2.x.sh accepts, by bisection.
// Each probe seeds that much incompressible data on the host, boots the 1.x card with the supervisor
// and the app, and runs the updater until it either refuses in `backup` (exit 1: over the cap) or
// reaches `layout` (the backup fitted; the board is powered off there, the rest of the migration
// is the suites' business). The first probe's log gives the spare root's free space, which brackets
// the search.
import path from 'node:path';
import { cacheDir } from '../images/lib/cache.ts';
import { BoardStrategy } from '../harness/board/strategy.ts';
import { Device } from '../harness/device/device.ts';
import { imageForRelease } from '../harness/image/release-image.ts';
import { startRegistry } from '../harness/registry/registry.ts';
import { bootSource } from '../harness/scenarios/source.ts';
import { releasePublisher } from '../harness/scenarios/publisher.ts';
import { createRig } from '../harness/rig/create-rig.ts';
import { loadRigConfig } from '../harness/rig/rig-config.ts';
import { loadPaths1xTo2x } from '../harness/updater/paths.ts';
import { runUpdate } from '../harness/scenarios/update.ts';
import { option } from './argv.ts';

const MB = 1_000_000;
const resolution = Number(option('--resolution-mb') ?? 0.25) * MB;
const config = await loadRigConfig(option('--rig') ?? 'qemu-beaglebone-black');
const upgrade = (await loadPaths1xTo2x()).at(-1);
if (!upgrade) throw new Error('images/releases.yaml has no 1.x → 2.x path (a 2.x release with from1x: true)');

const registry = await startRegistry();
const publisher = releasePublisher(registry, config.deviceType);
const imageFor = (version: string) => imageForRelease(version, config.deviceType);
const rig = createRig(config, path.join(cacheDir, 'rigs', `bench-cap-${config.name}-${process.pid}`));
const probes: Array<{ bytes: number; fits: boolean; capMB: number; backupMB?: number; seconds: number }> = [];

/** Runs one probe; true when the backup of `bytes` incompressible bytes fitted. */
async function probe(bytes: number): Promise<{ fits: boolean; capMB: number }> {
  const started = Date.now();
  const board = new BoardStrategy(rig, new Device(rig));
  const scenario = { board, registry: publisher, imageFor };
  try {
    await bootSource(scenario, upgrade!, { seed: { kind: 'incompressible', totalBytes: bytes, seed: 'data-cap' } });
    const run = await runUpdate(scenario, upgrade!, {
      extraArgs: ['--no-reboot'],
      expectReboot: false,
      at: { phase: 'layout', action: () => rig.power.cut(), connection: 'lost' },
      timeoutMs: 30 * 60_000,
    });
    const capMB = Number(run.output.match(/backup space on \S+: ([\d.]+) MB \(the cap\)/)?.[1]);
    const backupMB = Number(run.output.match(/backup verified: ([\d.]+) MB compressed/)?.[1]) || undefined;
    const fits = run.phases.some((p) => p.name === 'layout');
    if (!fits && !/over the backup cap/.test(run.error ?? ''))
      throw new Error(
        `probe ${bytes} bytes: neither refused for the cap nor reached layout:\n${run.output.split('\n').slice(-15).join('\n')}`,
      );
    probes.push({ bytes, fits, capMB, backupMB, seconds: (Date.now() - started) / 1000 });
    console.log(
      `${(bytes / MB).toFixed(2)} MB: ${fits ? 'fits' : 'refused'} (cap ${capMB} MB${backupMB ? `, backup ${backupMB} MB` : ''}) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    return { fits, capMB };
  } finally {
    await board.powerOff();
  }
}

try {
  await publisher.publishPath(upgrade);
  console.log(`backup cap of ${upgrade.name} on ${config.name}, bisecting to ${resolution / MB} MB`);
  // Bracket from the cap the updater reports: the largest set lies a little under the spare root's free space.
  const first = await probe(150 * MB);
  if (!first.fits)
    throw new Error('150 MB of incompressible data does not fit: the cap is far below the ~170 MB of DESIGN.md');
  let lo = 150 * MB;
  let hi = Math.round((first.capMB + 0.5) * MB);
  if ((await probe(hi)).fits)
    throw new Error(`${hi} bytes fitted although the updater reported a ${first.capMB} MB cap`);
  let guess = Math.round((first.capMB - 1) * MB);
  while (hi - lo > resolution) {
    const mid = guess > lo && guess < hi ? guess : Math.round((lo + hi) / 2);
    guess = 0;
    if ((await probe(mid)).fits) lo = mid;
    else hi = mid;
  }
  console.log(
    `\nLargest incompressible resin-data that migrates: ${(lo / MB).toFixed(2)} MB (refused at ${(hi / MB).toFixed(2)} MB); the spare root's free space (cap reported): ${first.capMB} MB`,
  );
  console.log(
    [
      '| data MB | verdict | backup MB | probe s |',
      '|---|---|---|---|',
      ...probes.map(
        (p) =>
          `| ${(p.bytes / MB).toFixed(2)} | ${p.fits ? 'fits' : 'refused'} | ${p.backupMB ?? '-'} | ${p.seconds.toFixed(0)} |`,
      ),
    ].join('\n'),
  );
} finally {
  await rig.dispose();
  await registry.stop();
}
