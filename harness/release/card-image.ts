// A release's card image as a raw file a rig can flash: used in place when it is raw; a .gz, .xz or
// .zst image is decompressed once into .cache/releases/cards/, and an image with a block map is
// written there by bmaptool (which checks the map's checksums), sparse.
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { cacheDir, fileExists } from '../../images/lib/cache.ts';
import { ReleaseError } from './release-error.ts';

const decompressors: Record<string, string[]> = {
  '.gz': ['gzip', '-dc'],
  '.xz': ['xz', '-dc'],
  '.zst': ['zstd', '-dcq'],
};

export async function rawCardImage(card: { image: string; bmap?: string }): Promise<string> {
  const ext = path.extname(card.image);
  const tool = decompressors[ext];
  if (!tool && !card.bmap) return card.image;
  const s = await stat(card.image);
  const key = createHash('sha256')
    .update(JSON.stringify([card.image, s.size, s.mtimeMs, card.bmap]))
    .digest('hex')
    .slice(0, 16);
  const output = path.join(
    cacheDir,
    'releases',
    'cards',
    `${path.basename(card.image, ext).replace(/\.img$/, '')}-${key}.img`,
  );
  if (await fileExists(output)) return output;
  await mkdir(path.dirname(output), { recursive: true });
  const partial = `${output}.${process.pid}.partial`;
  await rm(partial, { force: true });
  const written = card.bmap
    ? await $`bmaptool copy --bmap ${card.bmap} ${card.image} ${partial}`.quiet().nothrow()
    : await $`${tool![0]} ${tool!.slice(1)} ${card.image} | dd of=${partial} bs=1M conv=sparse status=none`.nothrow();
  if (written.exitCode !== 0) {
    await rm(partial, { force: true });
    throw new ReleaseError(
      `Could not ${card.bmap ? `write ${card.image} with bmaptool (block map ${card.bmap})` : `decompress ${card.image}`}: ${written.stderr.trim()}`,
    );
  }
  await rename(partial, output);
  return output;
}
