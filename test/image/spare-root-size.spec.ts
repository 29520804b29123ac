// What the "spare root too small" refusal stands on: the hostOS image's io.resin.os.rootfs-bytes label
// (what its layer's root takes on ext4: files in whole blocks, the journal, the inode tables; built on
// the bytes of its regular files as GNU tar counts them), and a card whose spare root is
// shrunk host-side (same start, the rest of the table kept, a fresh ext4 under the same label).
import { test, expect } from '@playwright/test';
import { $ } from 'zx';
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureImage } from '../../images/build.ts';
import { findRelease } from '../../images/lib/releases.ts';
import { readPartitionTable, withPartitionShrunk } from '../../harness/image/card-image.ts';
import { ext4RootNeedBytes, tarFileBytes } from '../../harness/registry/publish.ts';

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

test('ext4RootNeedBytes is room enough: mke2fs fits the tree into a partition of that size, not of its file bytes', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-ext4-'));
  try {
    // Like a kernel module tree: thousands of small files, most of a block wasted on each.
    const tree = path.join(dir, 'tree');
    for (let d = 0; d < 40; d++) {
      await mkdir(path.join(tree, `drivers-${d}`), { recursive: true });
      for (let f = 0; f < 100; f++)
        await writeFile(path.join(tree, `drivers-${d}`, `m${f}.ko`), Buffer.alloc(1500 + ((d * 100 + f) % 5000), f));
    }
    await symlink('drivers-0/m0.ko', path.join(tree, 'short-link'));
    const file = path.join(dir, 'tree.tar');
    await $`tar --numeric-owner --sort=name -C ${tree} -cf ${file} .`;
    const tar = await readFile(file);
    const need = ext4RootNeedBytes(tar);
    const mkfs = (bytes: number) =>
      $`mke2fs -q -F -t ext4 -b 4096 -d ${tree} ${path.join(dir, 'root.img')} ${Math.floor(bytes / 1024)}k`
        .nothrow()
        .quiet();
    expect((await mkfs(need)).exitCode, 'the tree fits a partition of the label size').toBe(0);
    // The files' own bytes (what the label said before) do not hold them: each file takes whole blocks.
    expect((await mkfs(tarFileBytes(tar))).exitCode, 'the tree fits its file bytes').not.toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
