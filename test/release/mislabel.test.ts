// A mislabelled hostOS is refused before anything is published: its os-release (read out of its
// layers) or its labels name another version or machine. The CLI refuses such a release, and a
// release missing a rig's device type, before any board starts (exit 2).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { projectRoot } from '../../harness/project-root.ts';
import { checkHostOsLabel, hostOsRelease } from '../../harness/release/hostos-label.ts';
import { readImageArchive } from '../../harness/release/image-archive.ts';
import { ensureImageArchive } from '../../harness/release/write-image-archive.ts';
import { hostOsArchive, layerOf, releaseFolder, tempDir, removeTempDirs } from './tiny-release.ts';

test.afterAll(removeTempDirs);

const hupbench = (...args: string[]) =>
  promisify(execFile)('node', [path.join(projectRoot, 'bin/hupbench.js'), ...args], { cwd: projectRoot }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );

test('an image is what its os-release says; another VERSION, MACHINE or label is refused by name', async () => {
  const dir = await tempDir();
  const right = await readImageArchive(await hostOsArchive(dir, { version: '2.13.0', machine: 'beaglebone-black' }));
  expect(checkHostOsLabel(right, '2.13.0', 'beaglebone-black').VERSION).toBe('2.13.0');
  expect(() => checkHostOsLabel(right, '2.13.1', 'beaglebone-black')).toThrow(
    `Refusing hostOS image ${right.source} for release 2.13.1 (beaglebone-black): its /etc/os-release says VERSION="2.13.0", not "2.13.1" (mislabelled?)`,
  );
  expect(() => checkHostOsLabel(right, '2.13.0', 'raspberrypi3-64')).toThrow(
    /its \/etc\/os-release says MACHINE="beaglebone-black", not "raspberrypi3-64"/,
  );
  const relabelled = await readImageArchive(
    await hostOsArchive(dir, { version: '2.13.2', machine: 'beaglebone-black', labelVersion: '2.12.3+rev1' }),
  );
  expect(() => checkHostOsLabel(relabelled, '2.13.2', 'beaglebone-black')).toThrow(
    /its label io\.resin\.os\.version is "2\.12\.3\+rev1", not "2\.13\.2"/,
  );
  const bare = await readImageArchive(
    await ensureImageArchive(dir, 'bare', {
      reference: 'x/bare:1',
      layerFiles: [await layerOf(dir, 'bare', { 'etc/hostname': 'x\n' })],
      config: { architecture: 'arm', os: 'linux', config: {} },
    }),
  );
  expect(() => checkHostOsLabel(bare, '2.13.0', 'beaglebone-black')).toThrow(/it has no \/etc\/os-release/);
});

test('os-release is read from the last layer that has it, through a symlink to usr/lib', async () => {
  const dir = await tempDir();
  const lower = await layerOf(dir, 'lower', {
    'etc/os-release': 'VERSION="2.12.3+rev1"\nMACHINE="beaglebone-black"\n',
  });
  const upperTree = await layerOf(dir, 'upper', {
    'usr/lib/os-release': 'VERSION="2.13.0"\nMACHINE="beaglebone-black"\n',
  });
  const image = await readImageArchive(
    await ensureImageArchive(dir, 'two', {
      reference: 'x/two:1',
      layerFiles: [lower, upperTree],
      config: { architecture: 'arm', os: 'linux', config: {} },
    }),
  );
  expect(hostOsRelease(image)?.VERSION).toBe('2.13.0');
});

test('hupbench gate refuses a mislabelled release and a missing device type before any board, exit 2', async () => {
  test.setTimeout(60_000);
  const dir = await tempDir();
  const mislabelled = await releaseFolder(dir, { version: '2.13.1', osVersion: '2.13.0' });
  const refused = await hupbench(
    'gate',
    '2.13.1',
    '--release-dir',
    mislabelled.folder,
    '--rig',
    'qemu-beaglebone-black',
  );
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(
    `hupbench: Refusing hostOS image ${mislabelled.hostOS} for release 2.13.1 (beaglebone-black): its /etc/os-release says VERSION="2.13.0", not "2.13.1"`,
  );
  const good = await releaseFolder(dir, { version: '2.13.0' });
  const noPi = await hupbench('gate', '2.13.0', '--release-dir', good.folder, '--rig', 'qemu-raspberrypi3');
  expect(noPi.code).toBe(2);
  expect(noPi.stderr).toMatch(
    /release 2\.13\.0 has no card image for raspberrypi3-64: .* has artifacts for beaglebone-black only/,
  );
  const wrongDir = await hupbench(
    'run',
    '--rig',
    'qemu-beaglebone-black',
    '--from',
    '2.12.3+rev1',
    '--to',
    '2.13.1',
    '--release-dir',
    mislabelled.folder,
  );
  expect(wrongDir.code).toBe(2);
  expect(wrongDir.stderr).toContain('Refusing hostOS image');
});
