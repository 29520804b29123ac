// The built reference image, read back on the host without mounting it.
import { test, expect } from '@playwright/test';
import { ensureImage } from '../../images/build.ts';
import { findRelease } from '../../images/lib/releases.ts';
import { placePartitions } from '../../images/lib/layout.ts';
import { readExt4File, readPartitionTable, readVfatFile } from '../../harness/image/card-image.ts';

test.setTimeout(10 * 60_000);

test('the 2.x BeagleBone card has the DESIGN.md layout, release files and boot files', async () => {
  const image = await ensureImage(await findRelease('2.12.3+rev1'), 'beaglebone-black');
  const table = await readPartitionTable(image.path);
  const expected = placePartitions('2.x');
  for (const spec of expected) {
    const part = table.find((p) => p.number === spec.number);
    expect(part, `partition ${spec.number}`).toMatchObject({
      label: spec.label,
      fs: spec.fs,
      startBytes: spec.startBytes,
      sizeBytes: spec.sizeBytes,
    });
  }
  expect(table.find((p) => p.number === 4)?.type).toBe('5'); // extended
  expect(table.find((p) => p.number === 1)?.bootable).toBe(true);

  const osRelease = await readExt4File(image.path, 'resin-rootA', '/etc/os-release');
  expect(osRelease).toContain('VERSION="2.12.3+rev1"');
  expect(osRelease).toContain('MACHINE="beaglebone-black"');
  expect(await readExt4File(image.path, 'resin-rootA', '/etc/inittab')).toContain('ttyAMA0');
  expect(await readVfatFile(image.path, 'resin-boot', 'resinOS_uEnv.txt')).toContain('resin_root_part=2');
  expect(await readVfatFile(image.path, 'resin-boot', 'boot.cmd')).toContain('bootz');
});

test('a rebuild with nothing changed reuses the cached image', async () => {
  const release = await findRelease('2.12.3+rev1');
  const first = await ensureImage(release, 'beaglebone-black');
  const started = Date.now();
  const second = await ensureImage(release, 'beaglebone-black');
  expect(second.path).toBe(first.path);
  expect(Date.now() - started).toBeLessThan(30_000);
});
