// Flashing writes only the image's mapped ranges (its block map from bmaptool) and reads them back
// against their checksums. Here the card is a file the size of a small SD card, as on the virtual bench.
import { test, expect } from '@playwright/test';
import { open, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { imageForRelease } from '../harness/image/release-image.ts';
import { checkFlashTarget, FlashRefused } from '../harness/rig/bench/flash-target.ts';
import { blockMapOf, verifyCard, writeSparseImage } from '../harness/rig/bench/sparse-writer.ts';
import { loadReleases } from '../images/lib/releases.ts';
import { $ } from 'zx';

let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hupbench-flash-'));
});
test.afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function blankCard(sizeBytes: number): Promise<string> {
  const file = path.join(dir, 'sd-card.img');
  const card = await open(file, 'w');
  await card.truncate(sizeBytes);
  await card.close();
  return file;
}

async function referenceImage(): Promise<string> {
  const newest = (await loadReleases()).filter((r) => r.layout === '2.x').at(-1)!;
  return (await imageForRelease(newest.version, 'beaglebone-black')).path;
}

test('a sparse reference image: fewer bytes written than the image holds, and read back verified', async () => {
  test.setTimeout(600_000); // builds the image if it is not cached yet
  const image = await referenceImage();
  const card = await blankCard(2 * 1024 ** 3);
  const lines: string[] = [];
  const report = await writeSparseImage(image, await checkFlashTarget(card, { allowCardImageFile: true }), (l) =>
    lines.push(l),
  );
  console.log(
    `flash: image ${report.imageBytes} bytes, wrote ${report.writtenBytes} bytes (${((100 * report.writtenBytes) / report.imageBytes).toFixed(1)}%) in ${report.ranges} ranges, verified ${report.verifiedBytes} bytes; write ${report.writeMs} ms, verify ${report.verifyMs} ms`,
  );
  expect(report.imageBytes).toBe((await stat(image)).size);
  expect(report.writtenBytes).toBeGreaterThan(0);
  expect(report.writtenBytes).toBeLessThan(report.imageBytes / 4);
  expect(report.verifiedBytes).toBe(report.writtenBytes);
  expect(lines.join('\n')).toMatch(/wrote \d+ of \d+ image bytes[\s\S]*verified \d+ bytes read back/);

  // The card's allocated blocks are the written ones: the holes were never touched.
  expect((await stat(card)).blocks * 512).toBeLessThan(report.writtenBytes + 1024 * 1024);
  // The card was blank, so its first imageBytes must now equal the image byte for byte (holes are zeros).
  const cmp = await $`cmp -n ${report.imageBytes} ${image} ${card}`.nothrow();
  expect(cmp.exitCode, `cmp: ${cmp.stdout}${cmp.stderr}`).toBe(0);
});

test('a card whose data differs from the image fails verification, naming the blocks', async () => {
  const image = await referenceImage();
  const card = await blankCard(2 * 1024 ** 3);
  const target = await checkFlashTarget(card, { allowCardImageFile: true });
  await writeSparseImage(image, target);
  const map = await blockMapOf(image);
  const range = map.ranges[1]!;
  const fd = await open(card, 'r+');
  await fd.write(Buffer.from([0x5a]), 0, 1, range.first * map.blockSize + 100);
  await fd.close();
  await expect(verifyCard(map, target)).rejects.toThrow(
    new RegExp(`Flash verification failed on ${card}: blocks ${range.first}-${range.last} read back as sha256`),
  );
});

test('a card smaller than the image is refused before anything is written', async () => {
  const image = await referenceImage();
  const card = await blankCard(64 * 1024 * 1024);
  const error = await writeSparseImage(image, await checkFlashTarget(card, { allowCardImageFile: true })).catch(
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(FlashRefused);
  expect((error as Error).message).toMatch(/holds 67108864 bytes; the image .* needs 1073741824/);
  expect((await stat(card)).blocks).toBe(0);
});

test('an image without a partition table (truncated, half-built) is refused: the card keeps its old OS behind the holes', async () => {
  const image = path.join(dir, 'half-built.img');
  const fd = await open(image, 'w');
  await fd.truncate(64 * 1024 * 1024);
  await fd.write(Buffer.alloc(1024 * 1024, 0x42), 0, 1024 * 1024, 8 * 1024 * 1024);
  await fd.close();
  const card = await blankCard(128 * 1024 * 1024);
  const error = await writeSparseImage(image, await checkFlashTarget(card, { allowCardImageFile: true })).catch(
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(FlashRefused);
  expect((error as Error).message).toContain(`${image} is not a card image: it has no partition table`);
  expect((await stat(card)).blocks).toBe(0);
});
