// What the "spare root too small" refusal stands on: the hostOS image's io.resin.os.rootfs-bytes label
// (the bytes of the regular files in its layer, as GNU tar counts them), and a card whose spare root is
// shrunk host-side (same start, the rest of the table kept, a fresh ext4 under the same label).
import { test, expect } from '@playwright/test';
import { $ } from 'zx';
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureImage } from '../../images/build.ts';
import { findRelease } from '../../images/lib/releases.ts';
import { readPartitionTable, withPartitionShrunk } from '../../harness/image/card-image.ts';
import { tarFileBytes } from '../../harness/registry/publish.ts';

test.setTimeout(10 * 60_000);

test('tarFileBytes counts the regular files of a tar, as GNU tar lists them', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-tar-'));
  try {
    const tree = path.join(dir, 'tree');
    const deep = path.join(tree, 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(deep, 'long-name-past-100-characters.bin'), Buffer.alloc(70_001, 7));
    await writeFile(path.join(tree, 'small'), 'x');
    await writeFile(path.join(tree, 'empty'), '');
    await link(path.join(tree, 'small'), path.join(tree, 'hardlink'));
    await symlink('small', path.join(tree, 'symlink'));
    const file = path.join(dir, 'tree.tar');
    await $`tar --numeric-owner --sort=name -C ${tree} -cf ${file} .`;
    const listed = (await $`tar -tvf ${file}`.quiet()).stdout;
    const regular = listed
      .split('\n')
      .filter((l) => l.startsWith('-'))
      .reduce((sum, l) => sum + Number(l.split(/\s+/)[2]), 0);
    expect(regular).toBe(70_002);
    expect(tarFileBytes(await readFile(file))).toBe(regular);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('withPartitionShrunk: the spare root is smaller, the rest of the card as it was', async () => {
  const image = await ensureImage(await findRelease('2.12.3+rev1'), 'beaglebone-black');
  const before = await readPartitionTable(image.path);
  const after = await readPartitionTable(await withPartitionShrunk(image.path, 'resin-rootB', 16));
  const rootB = before.find((p) => p.label === 'resin-rootB')!;
  expect(after.find((p) => p.number === rootB.number)).toMatchObject({
    label: 'resin-rootB',
    fs: 'ext4',
    startBytes: rootB.startBytes,
    sizeBytes: 16 * 1024 * 1024,
  });
  expect(after.filter((p) => p.number !== rootB.number)).toEqual(before.filter((p) => p.number !== rootB.number));
});
