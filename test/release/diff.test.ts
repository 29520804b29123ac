// `hupbench diff`: two artifact sets compared from the artifacts themselves — packages from the
// hostOS image's dpkg status, the kernel, the card's boot partition files, sizes — as text and JSON.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { projectRoot } from '../../harness/project-root.ts';
import { loadReleaseManifest } from '../../harness/release/load-manifest.ts';
import { releaseContents } from '../../harness/release/release-contents.ts';
import { diffReleases, diffText, type ReleaseDiff } from '../../harness/release/release-diff.ts';
import { releaseFolder, tempDir, removeTempDirs } from './tiny-release.ts';

test.afterAll(removeTempDirs);

async function twoReleases() {
  const dir = await tempDir();
  const a = await releaseFolder(dir, {
    version: '2.13.0',
    bootText: 'boot A\n',
    packages: { busybox: '1:1.35.0-4', dropbear: '2022.83-1', 'linux-image-6.1.0-50-armmp': '6.1.176-1' },
  });
  const b = await releaseFolder(dir, {
    version: '2.14.0',
    bootText: 'boot B, longer\n',
    packages: { busybox: '1:1.36.1-1', jq: '1.6-2.1', 'linux-image-6.1.0-51-armmp': '6.1.180-1' },
  });
  return { a, b };
}

test('packages, kernel, boot files and sizes are compared from the artifacts', async () => {
  const { a, b } = await twoReleases();
  const [from, to] = await Promise.all(
    [a, b].map(async (r) => releaseContents(await loadReleaseManifest(r.folder), 'beaglebone-black')),
  );
  const d = diffReleases(from!, to!);
  expect(d.packages).toEqual({
    added: { jq: '1.6-2.1', 'linux-image-6.1.0-51-armmp': '6.1.180-1' },
    removed: { dropbear: '2022.83-1', 'linux-image-6.1.0-50-armmp': '6.1.176-1' },
    changed: { busybox: { from: '1:1.35.0-4', to: '1:1.36.1-1' } },
    unchanged: 0,
  });
  expect(d.kernel).toEqual({
    from: '6.1.0-50-armmp (linux-image-6.1.0-50-armmp 6.1.176-1)',
    to: '6.1.0-51-armmp (linux-image-6.1.0-51-armmp 6.1.180-1)',
  });
  expect(d.bootFiles?.changed).toEqual({ 'boot.txt': { from: 7, to: 15 }, 'config.txt': { from: 7, to: 15 } });
  expect(d.sizes.card).toEqual({
    from: { compressed: 4 * 1048576, uncompressed: 4 * 1048576 },
    to: { compressed: 4 * 1048576, uncompressed: 4 * 1048576 },
  });
  expect(d.sizes.hostOS!.to!.uncompressed).toBeGreaterThan(d.sizes.hostOS!.to!.compressed);
  const text = diffText(d);
  expect(text).toContain('packages: 2 added, 2 removed, 1 changed, 0 unchanged');
  expect(text).toContain('  ~ busybox 1:1.35.0-4 → 1:1.36.1-1');
  expect(text).toContain('  ~ boot.txt (7 → 15 bytes)');
});

test('hupbench diff --json over two --release-dir folders', async () => {
  const { a, b } = await twoReleases();
  const { stdout } = await promisify(execFile)(
    'node',
    [
      path.join(projectRoot, 'bin/hupbench.js'),
      'diff',
      '2.13.0',
      '2.14.0',
      '--release-dir',
      a.folder,
      '--release-dir',
      b.folder,
      '--device-type',
      'beaglebone-black',
      '--json',
    ],
    { cwd: projectRoot },
  );
  const [d] = JSON.parse(stdout) as ReleaseDiff[];
  expect(d!.from.version).toBe('2.13.0');
  expect(d!.to.manifest).toBe(path.join(b.folder, 'release.yaml'));
  expect(Object.keys(d!.packages!.added)).toEqual(['jq', 'linux-image-6.1.0-51-armmp']);
});
