// The commands that read the catalogue: `paths` (the upgrade-path matrix) and `images` (the card
// images per release and device type, cached or built).
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ensureAllImages } from '../../images/build.ts';
import { deviceTypes } from '../../images/device-types.ts';
import { cacheDir } from '../../images/lib/cache.ts';
import { projectRoot } from '../project-root.ts';
import { loadReleases } from '../../images/lib/releases.ts';
import { rigNames, requireRelease, requireRig, upgradeMatrix } from './known.ts';
import { textTable } from './text-table.ts';
import { unknown } from './usage-error.ts';

const classes = ['2x', '1x-2x', '1x'];

const printTable = (headers: string[], rows: string[][]) => console.log(textTable(headers, rows));

export async function paths(opts: {
  rig?: string[];
  from?: string;
  to?: string;
  class?: string;
  json?: boolean;
  all?: boolean;
}): Promise<number> {
  for (const r of opts.rig ?? []) await requireRig(r);
  if (opts.from) await requireRelease(opts.from, '--from');
  if (opts.to) await requireRelease(opts.to, '--to');
  if (opts.class && !classes.includes(opts.class)) throw unknown('path class', opts.class, classes);
  const rigs = opts.rig?.length ? opts.rig : await rigNames({ includeExamples: opts.all });
  const entries = (await upgradeMatrix(rigs)).filter(
    (e) =>
      (!opts.from || e.path.from.version === opts.from) &&
      (!opts.to || e.path.to.version === opts.to) &&
      (!opts.class || e.path.pathClass === opts.class),
  );
  if (opts.json) {
    console.log(
      JSON.stringify(
        entries.map((e) => ({
          rig: e.rig,
          deviceType: e.deviceType,
          from: e.path.from.version,
          to: e.path.to.version,
          pathClass: e.path.pathClass,
          updater: e.path.updater,
          supervisorUpdate: e.path.supervisorUpdate,
          suite: e.suite,
          covered: e.covered,
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  printTable(
    ['rig', 'device type', 'from', 'to', 'class', 'updater', 'supervisor', 'suite'],
    entries.map((e) => [
      e.rig,
      e.deviceType,
      e.path.from.version,
      e.path.to.version,
      e.path.pathClass,
      e.path.updater,
      e.path.supervisorUpdate ? `${e.path.from.supervisor} → ${e.path.to.supervisor}` : 'kept',
      e.covered ? e.suite : `${e.suite} (not written yet)`,
    ]),
  );
  console.log(
    `${entries.length} path${entries.length === 1 ? '' : 's'}${entries.some((e) => !e.covered) ? `; ${entries.filter((e) => !e.covered).length} without a suite yet` : ''}`,
  );
  return 0;
}

async function cachedImages(
  deviceType: string,
  version: string,
): Promise<Array<{ file: string; bytes: number; mtime: Date }>> {
  const dir = path.join(cacheDir, 'images', deviceType, version);
  if (!existsSync(dir)) return [];
  const files = (await readdir(dir)).filter((f) => f.endsWith('.img'));
  const withStat = await Promise.all(
    files.map(async (f) => ({ file: path.join(dir, f), st: await stat(path.join(dir, f)) })),
  );
  return withStat
    .map(({ file, st }) => ({ file, bytes: st.blocks * 512, mtime: st.mtime }))
    .sort((a, b) => b.mtime.getTime() - a.mtime.getTime());
}

export async function images(opts: { deviceType?: string; release?: string; build?: boolean }): Promise<number> {
  if (opts.deviceType && !(opts.deviceType in deviceTypes))
    throw unknown('device type', opts.deviceType, Object.keys(deviceTypes));
  if (opts.release) await requireRelease(opts.release, '--release');
  if (opts.build) {
    const started = Date.now();
    const built = await ensureAllImages({ deviceType: opts.deviceType, release: opts.release }, (m) =>
      console.log(`[images] ${m}`),
    );
    for (const b of built) console.log(`${b.deviceType}\t${b.version}\t${path.relative(projectRoot, b.path)}`);
    console.log(`${built.length} image(s) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  }
  const rows: string[][] = [];
  for (const release of await loadReleases()) {
    if (opts.release && release.version !== opts.release) continue;
    for (const deviceType of Object.keys(deviceTypes)) {
      if (opts.deviceType && deviceType !== opts.deviceType) continue;
      const vendor = release.images?.[deviceType];
      const cached = await cachedImages(deviceType, release.version);
      const state = vendor
        ? `vendor image ${vendor}${existsSync(path.resolve(projectRoot, vendor)) ? '' : ' (MISSING)'}`
        : release.manifest
          ? `given: ${path.relative(projectRoot, release.manifest)}`
          : cached.length
            ? `built ${cached[0]!.mtime.toISOString().slice(0, 16)}Z, ${(cached[0]!.bytes / 2 ** 20).toFixed(0)} MiB on disk`
            : 'not built';
      rows.push([
        release.version,
        release.layout,
        release.supervisor,
        deviceType,
        state,
        cached[0] ? path.relative(projectRoot, cached[0].file) : '',
      ]);
    }
  }
  printTable(['version', 'layout', 'supervisor', 'device type', 'image', 'newest cached file'], rows);
  console.log(
    'A cached file is reused only when its hash matches the current inputs; `hupbench images --build` builds what is missing or stale.',
  );
  return 0;
}
