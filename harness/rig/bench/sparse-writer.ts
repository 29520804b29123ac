// Writes a card image to a card, only where the image has data: the block map comes from Debian's
// bmap-tools (`bmaptool create` finds the image's holes with SEEK_DATA/SEEK_HOLE and records a
// sha256 per mapped range). Each range is then read back from the card and checked against the map.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { cacheDir } from '../../../images/lib/cache.ts';
import { InfraError } from '../../errors.ts';
import type { FlashTarget } from './flash-target.ts';
import { FlashRefused } from './flash-target.ts';

export interface BlockMap {
  imageBytes: number;
  blockSize: number;
  ranges: Array<{ first: number; last: number; sha256: string }>;
}

export interface FlashReport {
  image: string;
  target: string;
  imageBytes: number;
  /** Bytes written to the card: the image's mapped ranges only. */
  writtenBytes: number;
  /** Bytes read back from the card and matched against the block map's checksums. */
  verifiedBytes: number;
  ranges: number;
  writeMs: number;
  verifyMs: number;
}

const chunkBytes = 4 * 1024 * 1024;

/** The image's block map, made once per image (keyed by path, size and mtime) under .cache/bmaps/. */
export async function blockMapOf(image: string): Promise<BlockMap> {
  const st = await stat(image);
  const key = createHash('sha256')
    .update(`${path.resolve(image)}:${st.size}:${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const file = path.join(cacheDir, 'bmaps', `${key}.bmap`);
  let xml = await readFile(file, 'utf8').catch(() => undefined);
  if (!xml) {
    await mkdir(path.dirname(file), { recursive: true });
    const result = await $`bmaptool create -o ${file}.tmp ${image}`.nothrow().quiet();
    if (result.exitCode !== 0)
      throw new InfraError(
        `\`bmaptool create ${image}\` failed (exit ${result.exitCode}): ${result.stderr.trim()}. Is bmap-tools installed (npm run setup)?`,
      );
    await rename(`${file}.tmp`, file);
    xml = await readFile(file, 'utf8');
  }
  return parseBlockMap(xml, file);
}

export function parseBlockMap(xml: string, where: string): BlockMap {
  const field = (name: string) => {
    const m = new RegExp(`<${name}>\\s*(\\S+)\\s*</${name}>`).exec(xml);
    if (!m) throw new InfraError(`${where}: no <${name}> in the block map`);
    return m[1]!;
  };
  if (field('ChecksumType') !== 'sha256') throw new InfraError(`${where}: expected sha256 range checksums`);
  const ranges = [...xml.matchAll(/<Range chksum="([0-9a-f]+)">\s*(\d+)(?:-(\d+))?\s*<\/Range>/g)].map((m) => ({
    first: Number(m[2]),
    last: Number(m[3] ?? m[2]),
    sha256: m[1]!,
  }));
  return { imageBytes: Number(field('ImageSize')), blockSize: Number(field('BlockSize')), ranges };
}

/** Writes the mapped ranges of `image` to `target`, flushes, reads them back and checks each one. */
export async function writeSparseImage(
  image: string,
  target: FlashTarget,
  log: (line: string) => void = () => undefined,
): Promise<FlashReport> {
  const map = await blockMapOf(image);
  if (map.imageBytes > target.sizeBytes) {
    throw new FlashRefused(
      `The card ${target.configured} holds ${target.sizeBytes} bytes; the image ${image} needs ${map.imageBytes}. Use a bigger card.`,
    );
  }
  const source = await open(image, 'r');
  // Note: a flash leaves the card's old data wherever the image has holes, so a truncated or
  // half-built image would leave the previous OS bootable behind it. Refuse anything that does not
  // start with a partition table (MBR, or GPT's protective MBR).
  const mbr = Buffer.alloc(512);
  await source.read(mbr, 0, 512, 0);
  if (mbr.readUInt16LE(510) !== 0xaa55) {
    await source.close();
    throw new FlashRefused(
      `${image} is not a card image: it has no partition table (no 0x55AA signature at byte 510). Was it built completely? Rebuild it (npm run images) or check the path.`,
    );
  }
  const writeStarted = Date.now();
  let writtenBytes = 0;
  try {
    const card = await openCard(target, constants.O_WRONLY);
    try {
      for (const range of map.ranges) {
        await forEachChunk(map, range, async (offset, length) => {
          const buffer = Buffer.allocUnsafe(length);
          await readFully(source, buffer, offset);
          let done = 0;
          while (done < length) done += (await card.write(buffer, done, length - done, offset + done)).bytesWritten;
          writtenBytes += length;
        });
      }
      await card.sync();
    } finally {
      await card.close();
    }
  } finally {
    await source.close();
  }
  const writeMs = Date.now() - writeStarted;
  log(
    `wrote ${writtenBytes} of ${map.imageBytes} image bytes (${map.ranges.length} mapped ranges) to ${target.resolved} in ${writeMs}ms`,
  );

  const verifyStarted = Date.now();
  const verifiedBytes = await verifyCard(map, target);
  const verifyMs = Date.now() - verifyStarted;
  log(
    `verified ${verifiedBytes} bytes read back from ${target.resolved} against the block map's sha256 in ${verifyMs}ms`,
  );
  return {
    image,
    target: target.configured,
    imageBytes: map.imageBytes,
    writtenBytes,
    verifiedBytes,
    ranges: map.ranges.length,
    writeMs,
    verifyMs,
  };
}

/** Reads the map's ranges back from the card and checks each against its sha256; returns bytes read. */
export async function verifyCard(map: BlockMap, target: FlashTarget): Promise<number> {
  // Note: a block device is read back past the page cache (BLKFLSBUF), so the check sees the card.
  if (target.kind === 'block-device') await $`blockdev --flushbufs ${target.resolved}`.quiet();
  let verifiedBytes = 0;
  const card = await openCard(target, constants.O_RDONLY);
  try {
    for (const range of map.ranges) {
      const hash = createHash('sha256');
      await forEachChunk(map, range, async (offset, length) => {
        const buffer = Buffer.allocUnsafe(length);
        await readFully(card, buffer, offset);
        hash.update(buffer);
        verifiedBytes += length;
      });
      const got = hash.digest('hex');
      if (got !== range.sha256) {
        throw new InfraError(
          `Flash verification failed on ${target.configured}: blocks ${range.first}-${range.last} read back as sha256 ${got}, the image has ${range.sha256}. The card or its reader is faulty, or something else wrote to it.`,
        );
      }
    }
  } finally {
    await card.close();
  }
  return verifiedBytes;
}

async function openCard(target: FlashTarget, mode: number): Promise<FileHandle> {
  // Note: O_EXCL on a block device fails with EBUSY while the kernel has it in use (mounted, held by
  // dm): the last line of defence after checkFlashTarget.
  const flags = mode | (target.kind === 'block-device' ? constants.O_EXCL : 0);
  try {
    return await open(target.resolved, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EBUSY')
      throw new FlashRefused(
        `Refusing to flash ${target.configured}: the kernel says it is in use (EBUSY: mounted or held by another driver).`,
      );
    throw new InfraError(
      `Cannot open the card ${target.configured} (${target.resolved}): ${(e as Error).message}. Writing a block device needs root or the disk group.`,
    );
  }
}

async function forEachChunk(
  map: BlockMap,
  range: { first: number; last: number },
  body: (offset: number, length: number) => Promise<void>,
): Promise<void> {
  const start = range.first * map.blockSize;
  // Note: the last block of an image need not be whole.
  const end = Math.min((range.last + 1) * map.blockSize, map.imageBytes);
  for (let offset = start; offset < end; offset += chunkBytes) await body(offset, Math.min(chunkBytes, end - offset));
}

async function readFully(file: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await file.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new InfraError(`Unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}
