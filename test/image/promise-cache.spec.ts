// The one keyed promise cache behind the image, manifest, apt and publish caches.
import { test, expect } from '@playwright/test';
import { PromiseCache } from '../../images/lib/promise-cache.ts';

test('callers of one key share one computation; another key computes its own', async () => {
  const cache = new PromiseCache<number>();
  let runs = 0;
  const compute = async () => ++runs;
  const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
  expect([a, b, runs]).toEqual([1, 1, 1]);
  expect(await cache.get('k', compute)).toBe(1);
  expect(await cache.get('other', compute)).toBe(2);
});

test('a rejected computation is forgotten, so the next caller tries again', async () => {
  const cache = new PromiseCache<string>();
  await expect(cache.get('k', () => Promise.reject(new Error('apt index unreachable')))).rejects.toThrow(
    'apt index unreachable',
  );
  expect(await cache.get('k', async () => 'second try')).toBe('second try');
});

test('inFlightOnly shares a running computation but forgets it once fulfilled', async () => {
  const cache = new PromiseCache<number>({ inFlightOnly: true });
  let runs = 0;
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const compute = async () => {
    await gate;
    return ++runs;
  };
  const first = cache.get('k', compute);
  const second = cache.get('k', compute);
  release();
  expect(await Promise.all([first, second])).toEqual([1, 1]);
  expect(await cache.get('k', compute)).toBe(2);
});
