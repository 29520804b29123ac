// Writes filesystems into files and places them on a sparse card image. No loop mounts: mkfs -d,
// mkfs.btrfs --rootdir, mkfs.vfat + mtools.
import { $ } from 'zx';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { placePartitions, sfdiskScript, type LayoutName, type PlacedPartition } from './layout.ts';

export interface PartitionContent {
  /** Directory whose files go onto the partition; undefined = empty filesystem. */
  from?: string;
}

export async function makeFilesystem(part: PlacedPartition, file: string, content: PartitionContent): Promise<void> {
  await rm(file, { force: true });
  if (part.fs === 'vfat') {
    // Note: resinOS labels its boot partition in lower case; mkfs.vfat warns but keeps it so.
    await $`mkfs.vfat -n ${part.label} -C ${file} ${part.sizeBytes / 1024}`.quiet();
    if (content.from) {
      const entries = (await readdir(content.from)).map((e) => path.join(content.from!, e));
      if (entries.length) await $`mcopy -s -i ${file} ${entries} ::/`;
    }
  } else if (part.fs === 'ext4') {
    const fromDir = content.from ? ['-d', content.from] : [];
    await $`mkfs.ext4 -q -F -L ${part.label} -O ^orphan_file -E root_owner=0:0 ${fromDir} ${file} ${part.sizeBytes / 1024}k`;
  } else {
    await $`truncate -s ${part.sizeBytes} ${file}`;
    const fromDir = content.from ? ['--rootdir', content.from] : [];
    await $`mkfs.btrfs -q -f -L ${part.label} ${fromDir} ${file}`;
  }
}

/** Builds the card: partition table, then every filesystem copied in place, holes kept sparse. */
export async function assembleCard(opts: {
  layout: LayoutName;
  output: string;
  cardBytes: number;
  workDir: string;
  contents: Record<string, PartitionContent>;
}): Promise<PlacedPartition[]> {
  const parts = placePartitions(opts.layout, opts.cardBytes);
  await rm(opts.output, { force: true });
  await $`truncate -s ${opts.cardBytes} ${opts.output}`;
  await $({ input: sfdiskScript(parts) })`sfdisk --quiet ${opts.output}`;
  for (const part of parts) {
    const file = `${opts.workDir}/p${part.number}.fs`;
    await makeFilesystem(part, file, opts.contents[part.label] ?? {});
    await $`dd if=${file} of=${opts.output} bs=1M seek=${part.startBytes / 1048576} conv=notrunc,sparse status=none`;
    await rm(file);
  }
  return parts;
}
