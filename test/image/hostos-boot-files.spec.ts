// A 2.x hostOS image carries its release's boot files under /resin-boot (what upgrade-2.x.sh's
// boot-files phase writes), byte for byte the card's, without the device's state; the Pi's carry the
// release's own U-Boot (bullseye's for 2.0.0+rev2, bookworm's after), config.txt and device trees.
import { test, expect } from '@playwright/test';
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureImage } from '../../images/build.ts';
import { findRelease } from '../../images/lib/releases.ts';
import { hostOsArchive } from '../../images/lib/hostos-archive.ts';
import { ubootVersionIn } from '../../images/lib/release-boot.ts';
import { cardBootFiles } from '../../harness/release/release-contents.ts';

test.setTimeout(10 * 60_000);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The files under the archive's /resin-boot: sha256 by name, and U-Boot's version when there is one. */
async function archiveBootFiles(archive: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-hostos-boot-'));
  try {
    await $`tar -xzf ${archive} -C ${dir} ./resin-boot`.quiet();
    const files: Record<string, string> = {};
    let uboot: string | undefined;
    for (const rel of await readdir(path.join(dir, 'resin-boot'), { recursive: true })) {
      const file = path.join(dir, 'resin-boot', rel);
      const bytes = await readFile(file).catch(() => undefined);
      if (!bytes) continue; // a directory
      files[rel] = sha(bytes);
      if (rel === 'u-boot.bin') uboot = ubootVersionIn(bytes);
    }
    return { files, uboot };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const [version, ubootSeries] of [
  ['2.0.0+rev2', '2021.01'],
  ['2.12.3+rev1', '2023.01'],
] as const) {
  test(`${version}: the Pi's hostOS image carries the card's boot files (U-Boot ${ubootSeries}), not the device's state`, async () => {
    const image = await ensureImage(await findRelease(version), 'raspberrypi3-64');
    const { files, uboot } = await archiveBootFiles(await hostOsArchive(image));
    const card = await cardBootFiles(image.path);
    const own = ['resinOS_uEnv.txt', 'config.json', 'bootcount.env'];
    const expected = Object.fromEntries(
      Object.entries(card)
        .filter(([f]) => !own.includes(f))
        .map(([f, c]) => [f, c.sha256]),
    );
    expect(files).toEqual(expected);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['boot.scr', 'bootenv.txt', 'config.txt', 'u-boot.bin']));
    expect(uboot).toMatch(new RegExp(`^${ubootSeries.replace('.', '\\.')}\\+dfsg`));
  });
}
