// A preloaded app is written in the form the card's engine takes: the lean engine's own store, or a
// `docker save` archive that the real engine loads at boot (manifest.json naming the tag, the config
// with the layers' diff ids, the gzip layers whose digests the config's layers hash to).
import { test, expect } from '@playwright/test';
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { preloadApp } from '../../harness/profile/app-preload.ts';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function withEngine<T>(engine: string, body: () => Promise<T>): Promise<T> {
  const before = process.env.HUPBENCH_ENGINE;
  process.env.HUPBENCH_ENGINE = engine;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env.HUPBENCH_ENGINE;
    else process.env.HUPBENCH_ENGINE = before;
  }
}

test('the real engine gets a docker save archive of the app, layers and tag as docker load reads them', async () => {
  test.setTimeout(120_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'preload-'));
  try {
    const app = await withEngine('moby', () => preloadApp(dir, 'beaglebone-black', 2));
    expect(await readdir(path.join(dir, 'preload'))).toEqual(['app.tar']);
    const unpacked = path.join(dir, 'unpacked');
    await $`mkdir -p ${unpacked} && tar -C ${unpacked} -xf ${path.join(dir, 'preload', 'app.tar')}`;
    const [entry] = JSON.parse(await readFile(path.join(unpacked, 'manifest.json'), 'utf8'));
    expect(entry.RepoTags).toEqual([app.reference]);
    const config = JSON.parse(await readFile(path.join(unpacked, entry.Config), 'utf8'));
    expect(entry.Layers).toHaveLength(2);
    const diffIds = await Promise.all(
      entry.Layers.map(async (l: string) => `sha256:${sha256(gunzipSync(await readFile(path.join(unpacked, l))))}`),
    );
    expect(config.rootfs.diff_ids).toEqual(diffIds);
    expect(app.bytes).toBeGreaterThan(1.9e6);
    expect(await readdir(dir)).not.toContain('docker');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the lean engine gets its own store, and no archive', async () => {
  test.setTimeout(120_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'preload-'));
  try {
    const app = await withEngine('lean', () => preloadApp(dir, 'beaglebone-black', 2));
    expect(await readFile(path.join(dir, 'docker', 'repositories'), 'utf8')).toMatch(
      new RegExp(`^${app.reference.replace(/[/.]/g, '\\$&')} [0-9a-f]{64} sha256:[0-9a-f]{64}\n$`),
    );
    expect(await readdir(dir)).not.toContain('preload');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
