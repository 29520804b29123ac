// The commands that drive one board without running a suite: `flash`, `console`, `check`.
import path from 'node:path';
import { cacheDir } from '../../images/lib/cache.ts';
import { BoardStrategy } from '../board/strategy.ts';
import { Device } from '../device/device.ts';
import { imageForRelease } from '../image/release-image.ts';
import { BenchRig } from '../rig/bench/bench-rig.ts';
import { checkRig, formatRigCheckReport } from '../board/check-rig.ts';
import { createRig } from '../rig/create-rig.ts';
import { acquireRigLease } from '../rig/lease.ts';
import type { RigConfig } from '../rig/rig-config.ts';
import type { Rig } from '../rig/rig.ts';
import { consoleSession } from './console-session.ts';
import { requireRelease, requireRig } from './known.ts';
import { UsageError } from './usage-error.ts';

async function imageFor(
  config: RigConfig,
  opts: { release?: string; image?: string },
): Promise<{ path: string; what: string } | undefined> {
  if (opts.release && opts.image) throw new UsageError('Give --release or --image, not both.');
  if (opts.image) return { path: path.resolve(opts.image), what: opts.image };
  if (opts.release) {
    const release = await requireRelease(opts.release, '--release');
    return {
      path: (await imageForRelease(release.version, config.deviceType)).path,
      what: `release ${release.version}`,
    };
  }
  return undefined;
}

async function withRig<T>(config: RigConfig, command: string, body: (rig: Rig) => Promise<T>): Promise<T> {
  const lease = config.kind === 'bench' ? await acquireRigLease(config.name, { command }) : undefined;
  const rig = createRig(config, path.join(cacheDir, 'rigs', `${config.name}-cli-${process.pid}`));
  try {
    if (rig instanceof BenchRig) await rig.start();
    return await body(rig);
  } finally {
    await rig.dispose();
    await lease?.release();
  }
}

export async function flash(opts: { rig?: string; release?: string; image?: string; boot?: boolean }): Promise<number> {
  const config = await requireRig(opts.rig);
  const image = await imageFor(config, opts);
  if (!image)
    throw new UsageError(
      'Say what to flash: --release VERSION (the reference or vendor image from images/releases.yaml) or --image FILE.',
    );
  return withRig(config, `hupbench flash ${image.what}`, async (rig) => {
    const started = Date.now();
    await rig.flash(image.path);
    const f = rig instanceof BenchRig ? rig.lastFlash : undefined;
    console.log(
      f
        ? `${config.name}: flashed ${image.what}: wrote ${f.writtenBytes} of ${f.imageBytes} bytes (${f.ranges} mapped ranges), read back ${f.verifiedBytes} bytes, sha256 matches (${((Date.now() - started) / 1000).toFixed(1)} s)`
        : `${config.name}: flashed ${image.what} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    if (config.kind === 'qemu')
      console.log(
        `Note: a QEMU rig's card is a copy-on-write overlay that lives as long as the rig; use --boot here, or hupbench console/run, to use it.`,
      );
    if (opts.boot) {
      const times = await new BoardStrategy(rig, new Device(rig)).powerOn();
      console.log(`${config.name}: login prompt ${(times.loginPromptMs / 1000).toFixed(1)} s after power-on`);
    }
    return 0;
  });
}

export async function consoleCommand(opts: { rig?: string; release?: string; image?: string }): Promise<number> {
  const config = await requireRig(opts.rig);
  const image = await imageFor(config, opts);
  // A QEMU rig (or a virtual bench's blank card) has nothing to boot without an image.
  if (!image && (config.kind === 'qemu' || (config.kind === 'bench' && config.virtualBench))) {
    throw new UsageError(`${config.name} needs an image to boot: --release VERSION or --image FILE.`);
  }
  return withRig(config, 'hupbench console', async (rig) => {
    if (image) await rig.flash(image.path);
    console.log(`${config.name}: powering on; console follows (Ctrl-] leaves and powers off).`);
    await rig.power.on();
    await consoleSession(rig, { fromLine: 0 });
    await rig.power.off();
    return 0;
  });
}

export async function check(opts: { rig?: string; release?: string; image?: string }): Promise<number> {
  const config = await requireRig(opts.rig);
  if (opts.release) await requireRelease(opts.release, '--release');
  const report = await checkRig(config, {
    release: opts.release,
    image: opts.image,
    onCheck: (c) => console.log(`  ${c.status === 'ok' ? 'ok  ' : c.status === 'failed' ? 'FAIL' : 'skip'} ${c.name}`),
  });
  console.log(formatRigCheckReport(report));
  return report.ok ? 0 : 1;
}
