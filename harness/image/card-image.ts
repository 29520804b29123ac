// Host-side reading and editing of card images without mounting them: sfdisk --json for the table,
// blkid -p for labels, debugfs and mtools for files, e2fsprogs' `?offset=` for in-place edits.
import { $ } from 'zx';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, fileExists } from '../../images/lib/cache.ts';

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
    partitiontable: { sectorsize?: number; partitions: Array<{ node: string; start: number; size: number; type: string; bootable?: boolean }> };
  };
  const sector = table.partitiontable.sectorsize ?? 512;
  const parts: CardPartition[] = [];
  for (const p of table.partitiontable.partitions) {
    const number = Number(p.node.match(/(\d+)$/)![1]);
    const part: CardPartition = { number, startBytes: p.start * sector, sizeBytes: p.size * sector, type: p.type, bootable: Boolean(p.bootable) };
    if (p.type !== '5' && p.type !== 'f') Object.assign(part, await probe(image, part.startBytes, part.sizeBytes));
    parts.push(part);
  }
  return parts;
}

async function probe(image: string, offset: number, size: number): Promise<{ label?: string; fs?: string }> {
  const out = await $`blkid -p -o export -O ${offset} -S ${size} ${image}`.nothrow();
  const values = Object.fromEntries(out.stdout.split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return { label: values.LABEL, fs: values.TYPE };
}

export async function partitionByLabel(image: string, label: string): Promise<CardPartition> {
  const parts = await readPartitionTable(image);
  const part = parts.find((p) => p.label === label);
  if (!part) throw new Error(`${image} has no partition labelled ${label} (it has: ${parts.map((p) => p.label ?? `p${p.number}`).join(', ')})`);
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
