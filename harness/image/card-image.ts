// Host-side reading and editing of card images without mounting them: sfdisk --json for the table,
// blkid -p for labels, debugfs and mtools for files, e2fsprogs' `?offset=` for in-place edits.
import { $ } from 'zx';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, fileExists } from '../../images/lib/cache.ts';
import { makeFilesystem } from '../../images/lib/disk.ts';

export interface CardPartition {
  number: number;
  startBytes: number;
  sizeBytes: number;
  type: string;
  bootable: boolean;
  label?: string;
  fs?: string;
}

export async function readPartitionTable(image: string): Promise<CardPartition[]> {
  const table = JSON.parse((await $`sfdisk --json ${image}`).stdout) as {
    partitiontable: {
      sectorsize?: number;
      partitions: Array<{ node: string; start: number; size: number; type: string; bootable?: boolean }>;
    };
  };
  const sector = table.partitiontable.sectorsize ?? 512;
  const parts: CardPartition[] = [];
  for (const p of table.partitiontable.partitions) {
    const number = Number(p.node.match(/(\d+)$/)![1]);
    const part: CardPartition = {
      number,
      startBytes: p.start * sector,
      sizeBytes: p.size * sector,
      type: p.type,
      bootable: Boolean(p.bootable),
    };
    if (p.type !== '5' && p.type !== 'f') Object.assign(part, await probe(image, part.startBytes, part.sizeBytes));
    parts.push(part);
  }
  return parts;
}

async function probe(image: string, offset: number, size: number): Promise<{ label?: string; fs?: string }> {
  const out = await $`blkid -p -o export -O ${offset} -S ${size} ${image}`.nothrow();
  const values = Object.fromEntries(
    out.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
  return { label: values.LABEL, fs: values.TYPE };
}

export async function partitionByLabel(image: string, label: string): Promise<CardPartition> {
  const parts = await readPartitionTable(image);
  const part = parts.find((p) => p.label === label);
  if (!part)
    throw new Error(
      `${image} has no partition labelled ${label} (it has: ${parts.map((p) => p.label ?? `p${p.number}`).join(', ')})`,
    );
  return part;
}

/** A file's contents from an ext4 partition of the image. */
export async function readExt4File(image: string, label: string, file: string): Promise<string> {
  const part = await partitionByLabel(image, label);
  return (await $`debugfs -R ${`cat ${file}`} ${`${image}?offset=${part.startBytes}`}`.quiet()).stdout;
}

/** A file's contents from the vfat boot partition of the image. */
export async function readVfatFile(image: string, label: string, file: string): Promise<string> {
  const part = await partitionByLabel(image, label);
  return (await $`mtype -i ${`${image}@@${part.startBytes}`} ${`::${file}`}`).stdout;
}

/**
 * A copy of a 2.x card whose root B holds the same filesystem as root A (relabelled resin-rootB),
 * so a test can prove the bootloader follows resin_root_part. Cached beside the source image.
 */
export async function withRootBCopiedFromRootA(image: string): Promise<string> {
  const out = path.join(cacheDir, 'derived', `${path.basename(image, '.img')}-rootB.img`);
  if (await fileExists(out)) return out;
  await mkdir(path.dirname(out), { recursive: true });
  const rootA = await partitionByLabel(image, 'resin-rootA');
  const rootB = await partitionByLabel(image, 'resin-rootB');
  const tmp = `${out}.partial`;
  await $`cp --sparse=always ${image} ${tmp}`;
  const MiB = 1024 * 1024;
  await $`dd if=${image} of=${tmp} bs=1M skip=${rootA.startBytes / MiB} seek=${rootB.startBytes / MiB} count=${rootA.sizeBytes / MiB} conv=notrunc,sparse status=none`;
  await $`tune2fs -L resin-rootB -U random ${`${tmp}?offset=${rootB.startBytes}`}`.quiet();
  await $`mv ${tmp} ${out}`;
  return out;
}

/**
 * A copy of a 1.x card that runs from resin-updt (p3), as a 1.x device does after one 1.x update:
 * p3 holds the same filesystem as p2 (relabelled resin-updt) and the board's boot settings name p3
 * (BeagleBone uEnv.txt `bootpart=1:3`, Raspberry Pi cmdline.txt `root=…p3`). Cached beside the source.
 */
export async function with1xRootOnP3(image: string): Promise<string> {
  const out = path.join(cacheDir, 'derived', `${path.basename(image, '.img')}-1x-on-p3.img`);
  if (await fileExists(out)) return out;
  await mkdir(path.dirname(out), { recursive: true });
  const root = await partitionByLabel(image, 'resin-root');
  const updt = await partitionByLabel(image, 'resin-updt');
  const boot = await partitionByLabel(image, 'resin-boot');
  const tmp = `${out}.partial`;
  await $`cp --sparse=always ${image} ${tmp}`;
  const MiB = 1024 * 1024;
  await $`dd if=${image} of=${tmp} bs=1M skip=${root.startBytes / MiB} seek=${updt.startBytes / MiB} count=${root.sizeBytes / MiB} conv=notrunc,sparse status=none`;
  await $`tune2fs -L resin-updt -U random ${`${tmp}?offset=${updt.startBytes}`}`.quiet();
  const fat = `${tmp}@@${boot.startBytes}`;
  const settings = path.join(path.dirname(out), `${path.basename(out)}.boot-setting`);
  const uEnv = await $`mtype -i ${fat} ::uEnv.txt`.nothrow().quiet();
  const cmdline = await $`mtype -i ${fat} ::cmdline.txt`.nothrow().quiet();
  if (uEnv.exitCode === 0) {
    await writeFile(settings, uEnv.stdout.replace(/^bootpart=.*$/m, 'bootpart=1:3'));
    await $`mcopy -o -i ${fat} ${settings} ::uEnv.txt`;
  } else if (cmdline.exitCode === 0) {
    await writeFile(settings, cmdline.stdout.replace(/\broot=(\S*?)2\b/, 'root=$13'));
    await $`mcopy -o -i ${fat} ${settings} ::cmdline.txt`;
  } else {
    throw new Error(`${image}: resin-boot has neither uEnv.txt nor cmdline.txt; is it a 1.x card?`);
  }
  await rm(settings, { force: true });
  await $`mv ${tmp} ${out}`;
  return out;
}

/**
 * A copy of a card whose partition `label` is `sizeMiB` long (same start; the rest of the table as
 * it was) and holds a fresh, empty ext4 of that size under the same label: a card made with a smaller
 * spare root than the releases need. Cached beside the source.
 */
export async function withPartitionShrunk(image: string, label: string, sizeMiB: number): Promise<string> {
  const out = path.join(cacheDir, 'derived', `${path.basename(image, '.img')}-${label}-${sizeMiB}MiB.img`);
  if (await fileExists(out)) return out;
  const part = await partitionByLabel(image, label);
  const MiB = 1024 * 1024;
  if (sizeMiB * MiB >= part.sizeBytes)
    throw new Error(`${image}: ${label} is ${part.sizeBytes / MiB} MiB; shrinking it to ${sizeMiB} MiB is no shrink`);
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.partial`;
  const fsFile = `${out}.fs`;
  try {
    await $`cp --sparse=always ${image} ${tmp}`;
    await $({ input: `size=${sizeMiB}MiB\n` })`sfdisk --quiet --no-reread --no-tell-kernel -N ${part.number} ${tmp}`;
    await makeFilesystem(
      { number: part.number, label, fs: 'ext4', startBytes: part.startBytes, sizeBytes: sizeMiB * MiB },
      fsFile,
      {},
    );
    await $`dd if=${fsFile} of=${tmp} bs=1M seek=${part.startBytes / MiB} conv=notrunc,sparse status=none`;
    await $`mv ${tmp} ${out}`;
  } finally {
    await rm(fsFile, { force: true });
    await rm(tmp, { force: true });
  }
  return out;
}
