// User data seeded into a card's resin-data on the host, before flashing: the partition is rebuilt
// with the seed in it (mkfs.btrfs --rootdir for 1.x, mkfs.ext4 -d for 2.x), so hundreds of MB land
// in seconds instead of minutes over SSH. The content is generated deterministically from a seed
// string, its sha256 recorded per file, and the derived card cached by source image and spec.
import { $ } from 'zx';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, fileExists } from '../../images/lib/cache.ts';
import { makeFilesystem } from '../../images/lib/disk.ts';
import type { Filesystem } from '../../images/lib/layout.ts';
import { type CardPartition, partitionByLabel } from './card-image.ts';

export type DataKind = 'incompressible' | 'compressible';

export interface DataSeed {
  /** incompressible: a pseudo-random stream; compressible: sensor-log text (zstd shrinks it ~10×). */
  kind: DataKind;
  totalBytes: number;
  /** Largest file; the set is split into files of this size and one remainder. Default 16 MiB. */
  fileBytes?: number;
  /** Content is a function of this string (default: the kind). */
  seed?: string;
}

export interface SeededCard {
  /** The derived card image (flash this). */
  path: string;
  /** sha256 per file, keyed as `dataChecksums()` reports them: `./userdata/<file>` under resin-data/. */
  checksums: Record<string, string>;
  bytes: number;
  files: number;
  spec: DataSeed;
}

/** Where the seed goes inside the resin-data partition (the device sees /mnt/data/resin-data/userdata). */
export const SEED_DIR = 'resin-data/userdata';
const MiB = 1024 * 1024;
const derivedDir = path.join(cacheDir, 'derived', 'seeded');
const KEEP = 8;

/**
 * A copy of `image` whose resin-data holds only the seed (the reference images ship it empty; a
 * vendor image's data would be replaced). Cached: the same image and spec give the same card.
 */
export async function seedResinData(image: string, spec: DataSeed): Promise<SeededCard> {
  if (!Number.isInteger(spec.totalBytes) || spec.totalBytes <= 0) {
    throw new Error(`seedResinData: totalBytes must be a positive whole number of bytes, got ${spec.totalBytes}`);
  }
  const fileBytes = spec.fileBytes ?? 16 * MiB;
  const part = await partitionByLabel(image, 'resin-data');
  if (part.fs !== 'btrfs' && part.fs !== 'ext4') {
    throw new Error(`${image}: resin-data is ${part.fs ?? 'unformatted'}; seeding knows btrfs (1.x) and ext4 (2.x)`);
  }
  // Filesystem overhead and the app's own files need room too: refuse a seed that cannot fit.
  if (spec.totalBytes > part.sizeBytes * 0.85) {
    throw new Error(
      `A ${(spec.totalBytes / 1e6).toFixed(1)} MB seed does not fit resin-data of ${image} (${(part.sizeBytes / 1e6).toFixed(1)} MB; at most 85% of it can be seeded)`,
    );
  }
  const key = createHash('sha256')
    .update(JSON.stringify({ image: path.resolve(image), size: (await stat(image)).mtimeMs, spec, fileBytes }))
    .digest('hex')
    .slice(0, 16);
  const out = path.join(derivedDir, `${path.basename(image, '.img')}-${key}.img`);
  const sidecar = out.replace(/\.img$/, '.json');
  if ((await fileExists(out)) && (await fileExists(sidecar)))
    return JSON.parse(await readFile(sidecar, 'utf8')) as SeededCard;

  await mkdir(derivedDir, { recursive: true });
  const work = path.join(cacheDir, 'work', `seed-${key}-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  try {
    const tree = path.join(work, 'tree');
    const dir = path.join(tree, SEED_DIR);
    await mkdir(dir, { recursive: true });
    const checksums: Record<string, string> = {};
    let files = 0;
    for (let offset = 0, index = 1; offset < spec.totalBytes; offset += fileBytes, index++) {
      const size = Math.min(fileBytes, spec.totalBytes - offset);
      const name = `${spec.kind}-${String(index).padStart(3, '0')}.${spec.kind === 'compressible' ? 'log' : 'bin'}`;
      checksums[`./userdata/${name}`] = await writeSeedFile(
        path.join(dir, name),
        size,
        spec.kind,
        `${spec.seed ?? spec.kind}/${index}`,
      );
      files++;
    }
    const tmp = `${out}.partial`;
    await $`cp --sparse=always ${image} ${tmp}`;
    await writeResinData(tmp, part, tree, work);
    const seeded: SeededCard = { path: out, checksums, bytes: spec.totalBytes, files, spec };
    await rename(tmp, out);
    await writeFile(sidecar, JSON.stringify(seeded, null, 2));
    await pruneSeeded(out);
    return seeded;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Writes `size` bytes of the kind's content; returns the sha256 (hex). */
export async function writeSeedFile(file: string, size: number, kind: DataKind, seed: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'w');
  try {
    const chunks = kind === 'incompressible' ? randomStream(seed) : sensorLog(seed);
    let left = size;
    for (const chunk of chunks) {
      const piece = chunk.subarray(0, Math.min(chunk.length, left));
      hash.update(piece);
      await handle.write(piece);
      left -= piece.length;
      if (left === 0) break;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** AES-256-CTR keystream: indistinguishable from random to a compressor, and reproducible. */
export function* randomStream(seed: string): Generator<Buffer> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (;;) yield cipher.update(zeros);
}

/** Sensor-log lines: repetitive structure, varying numbers, as device data often is. */
function* sensorLog(seed: string): Generator<Buffer> {
  let n = createHash('sha256').update(seed).digest().readUInt32BE(0);
  let t = 1_700_000_000;
  for (;;) {
    const lines: string[] = [];
    for (let i = 0; i < 16_384; i++) {
      n = (Math.imul(n, 1_103_515_245) + 12_345) >>> 0;
      t += 1 + (n % 3);
      lines.push(
        `${t} sensor=${n % 12} temp=${20 + (n % 90) / 10} humidity=${40 + (n % 300) / 10} status=${n % 97 ? 'ok' : 'warn'}\n`,
      );
    }
    yield Buffer.from(lines.join(''));
  }
}

async function pruneSeeded(keepAlso: string): Promise<void> {
  const images = await Promise.all(
    (await readdir(derivedDir))
      .filter((f) => f.endsWith('.img'))
      .map(async (f) => ({ f: path.join(derivedDir, f), mtime: (await stat(path.join(derivedDir, f))).mtimeMs })),
  );
  for (const { f } of images.sort((a, b) => b.mtime - a.mtime).slice(KEEP)) {
    if (f === keepAlso) continue;
    await rm(f, { force: true });
    await rm(f.replace(/\.img$/, '.json'), { force: true });
  }
}

/** Makes `tree` the resin-data filesystem of `card` (in place, at `part`); `work` holds the image meanwhile. */
export async function writeResinData(card: string, part: CardPartition, tree: string, work: string): Promise<void> {
  const fsFile = path.join(work, 'resin-data.fs');
  const placed = { number: part.number, label: 'resin-data', fs: part.fs as Filesystem };
  await makeFilesystem({ ...placed, startBytes: part.startBytes, sizeBytes: part.sizeBytes }, fsFile, { from: tree });
  await $`dd if=${fsFile} of=${card} bs=1M seek=${part.startBytes / MiB} conv=notrunc,sparse status=none`;
}
