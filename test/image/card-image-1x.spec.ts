// The 1.x reference cards and the host-side derivations the migration suites flash, read back on the
// host without mounting: layout, 1.x boot settings, seeded btrfs resin-data, a card on resin-updt.
import { test, expect } from '@playwright/test';
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureImage } from '../../images/build.ts';
import { findRelease } from '../../images/lib/releases.ts';
import { placePartitions } from '../../images/lib/layout.ts';
import {
  partitionByLabel,
  readExt4File,
  readPartitionTable,
  readVfatFile,
  with1xRootOnP3,
} from '../../harness/image/card-image.ts';
import { seedResinData } from '../../harness/image/seed-data.ts';
import { hostOsArchive } from '../../images/lib/hostos-archive.ts';

test.setTimeout(10 * 60_000);

test('the 1.x BeagleBone card: 1.x layout with btrfs resin-data, uEnv.txt bootpart and the 1.x boot script', async () => {
  const image = await ensureImage(await findRelease('1.26.0'), 'beaglebone-black');
  const table = await readPartitionTable(image.path);
  for (const spec of placePartitions('1.x')) {
    expect(
      table.find((p) => p.number === spec.number),
      `partition ${spec.number}`,
    ).toMatchObject({ label: spec.label, fs: spec.fs, startBytes: spec.startBytes, sizeBytes: spec.sizeBytes });
  }
  expect(await readVfatFile(image.path, 'resin-boot', 'uEnv.txt')).toBe('bootpart=1:2\n');
  expect(await readVfatFile(image.path, 'resin-boot', 'boot.cmd')).toMatch(
    /hupbench boot script rev \d+ \(\S+, 1\.x\)/,
  );
  expect(await readExt4File(image.path, 'resin-root', '/etc/os-release')).toContain('RESIN_LAYOUT="1.x"');
});

test('the 1.x Raspberry Pi card: the firmware boots Linux from resin-boot, cmdline.txt names the root', async () => {
  const image = await ensureImage(await findRelease('1.30.1'), 'raspberrypi3-64');
  const config = await readVfatFile(image.path, 'resin-boot', 'config.txt');
  expect(config).toContain('kernel=kernel8.img');
  expect(config).toContain('initramfs initrd.img followkernel');
  expect(await readVfatFile(image.path, 'resin-boot', 'cmdline.txt')).toMatch(/root=\/dev\/mmcblk0p2 /);
  expect(
    await $`mdir -b -i ${`${image.path}@@${(await partitionByLabel(image.path, 'resin-boot')).startBytes}`} ::`.then(
      (r) => r.stdout,
    ),
  ).not.toContain('u-boot.bin');
});

test('seeded btrfs resin-data holds exactly the files and checksums recorded', async () => {
  const image = await ensureImage(await findRelease('1.26.0'), 'beaglebone-black');
  const seeded = await seedResinData(image.path, {
    kind: 'compressible',
    totalBytes: 5_000_000,
    fileBytes: 2 * 1024 * 1024,
    seed: 'unit-test',
  });
  expect(seeded.files).toBe(3);
  const part = await partitionByLabel(seeded.path, 'resin-data');
  expect(part.fs).toBe('btrfs');
  const work = await mkdtemp(path.join(tmpdir(), 'seed-'));
  try {
    await $`dd if=${seeded.path} of=${path.join(work, 'p6')} bs=1M skip=${part.startBytes / 1048576} count=${part.sizeBytes / 1048576} status=none`;
    await mkdir(path.join(work, 'out'));
    await $`btrfs restore ${path.join(work, 'p6')} ${path.join(work, 'out')}`.quiet();
    const sums: Record<string, string> = {};
    for (const file of Object.keys(seeded.checksums)) {
      sums[file] = createHash('sha256')
        .update(await readFile(path.join(work, 'out/resin-data', file)))
        .digest('hex');
    }
    expect(sums).toEqual(seeded.checksums);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const again = await seedResinData(image.path, {
    kind: 'compressible',
    totalBytes: 5_000_000,
    fileBytes: 2 * 1024 * 1024,
    seed: 'unit-test',
  });
  expect(again.path, 'the same spec is a cache hit').toBe(seeded.path);
  await expect(seedResinData(image.path, { kind: 'incompressible', totalBytes: 900_000_000 })).rejects.toThrow(
    /does not fit resin-data/,
  );
});

test('a 1.x card on resin-updt: p3 is a copy of p2 labelled resin-updt and the boot settings name it', async () => {
  for (const [deviceType, file, want] of [
    ['beaglebone-black', 'uEnv.txt', /^bootpart=1:3$/m],
    ['raspberrypi3-64', 'cmdline.txt', /root=\/dev\/mmcblk0p3 /],
  ] as const) {
    const image = await ensureImage(await findRelease('1.30.1'), deviceType);
    const onP3 = await with1xRootOnP3(image.path);
    expect((await readPartitionTable(onP3)).map((p) => p.label)).toEqual([
      'resin-boot',
      'resin-root',
      'resin-updt',
      undefined,
      'resin-conf',
      'resin-data',
    ]);
    expect(await readExt4File(onP3, 'resin-updt', '/etc/os-release')).toContain('VERSION="1.30.1"');
    expect(await readVfatFile(onP3, 'resin-boot', file)).toMatch(want);
  }
});

test('a 1.x root ships /resinos.fingerprint: the sha256 of every root file, as the card holds it', async () => {
  const image = await ensureImage(await findRelease('1.26.0'), 'beaglebone-black');
  const manifest = await readExt4File(image.path, 'resin-root', '/resinos.fingerprint');
  const lines = manifest
    .trim()
    .split('\n')
    .map((l) => l.split('  ') as [string, string]);
  expect(lines.length).toBeGreaterThan(100);
  expect(lines.map(([, f]) => f)).toEqual([...lines.map(([, f]) => f)].sort());
  expect(lines.map(([, f]) => f)).not.toContain('/resinos.fingerprint');
  for (const file of ['/etc/profile', '/etc/os-release', '/etc/rc.d/S60supervisor']) {
    const listed = lines.find(([, f]) => f === file);
    expect(listed, `${file} in the fingerprint`).toBeDefined();
    expect(listed![0], file).toBe(
      createHash('sha256')
        .update(await readExt4File(image.path, 'resin-root', file))
        .digest('hex'),
    );
  }
});

test("a 1.x hostOS image carries the release's boot files under /resin-boot, without the device's settings", async () => {
  const image = await ensureImage(await findRelease('1.30.1'), 'raspberrypi3-64');
  const entries = (await $`tar -tzf ${await hostOsArchive(image)}`.quiet()).stdout.split('\n');
  expect(entries).toEqual(
    expect.arrayContaining([
      './resin-boot/kernel8.img',
      './resin-boot/initrd.img',
      './resin-boot/config.txt',
      './resinos.fingerprint',
    ]),
  );
  for (const own of ['config.json', 'cmdline.txt', 'uEnv.txt']) expect(entries).not.toContain(`./resin-boot/${own}`);
});
