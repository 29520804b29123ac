// The 1.x → 2.x and 1.x → 1.x upgrade-path matrices from a release catalogue.
import { test, expect } from '@playwright/test';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { allPaths, pathBetween, pathsFor1x, pathsFor1xTo2x } from '../../harness/updater/paths.ts';
import { loadReleases } from '../../images/lib/releases.ts';

test('every 1.x source to every from1x 2.x target, oldest first', async () => {
  const releases = [
    { version: '2.12.3+rev1', layout: '2.x' as const, supervisor: '7.16.6', from1x: true },
    { version: '1.30.1', layout: '1.x' as const, supervisor: '6.0.1' },
    { version: '2.0.0+rev2', layout: '2.x' as const, supervisor: '6.3.5' },
    { version: '1.26.0', layout: '1.x' as const, supervisor: '4.1.2' },
    { version: '2.9.7+rev1', layout: '2.x' as const, supervisor: '7.4.3', from1x: true },
  ];
  const paths = pathsFor1xTo2x(releases);
  expect(paths.map((p) => p.name)).toEqual([
    '1.26.0 → 2.9.7+rev1',
    '1.26.0 → 2.12.3+rev1',
    '1.30.1 → 2.9.7+rev1',
    '1.30.1 → 2.12.3+rev1',
  ]);
  expect(new Set(paths.map((p) => p.updater))).toEqual(new Set(['upgrade-1.x-to-2.x.sh']));
  expect(paths.every((p) => p.pathClass === '1x-2x' && p.supervisorUpdate)).toBe(true);
});

test('1.x → 1.x: every 1.x source to every newer 1.x release, through upgrade-1.x.sh', () => {
  const releases = [
    { version: '1.30.1', layout: '1.x' as const, supervisor: '6.0.1' },
    { version: '2.9.7+rev1', layout: '2.x' as const, supervisor: '7.4.3', from1x: true },
    { version: '1.26.0', layout: '1.x' as const, supervisor: '4.1.2' },
    { version: '1.28.0', layout: '1.x' as const, supervisor: '4.1.2' },
  ];
  const paths = pathsFor1x(releases);
  expect(paths.map((p) => p.name)).toEqual(['1.26.0 → 1.28.0', '1.26.0 → 1.30.1', '1.28.0 → 1.30.1']);
  expect(paths.every((p) => p.pathClass === '1x' && p.updater === 'upgrade-1.x.sh')).toBe(true);
  expect(paths.map((p) => p.supervisorUpdate)).toEqual([false, true, true]);
});

test('the path matrix of images/releases.yaml covers every upgrade class of DESIGN.md', async () => {
  const paths = allPaths(await loadReleases());
  expect(new Set(paths.map((p) => p.pathClass))).toEqual(new Set(['2x', '1x-2x', '1x']));
  expect(paths.filter((p) => p.pathClass === '1x').map((p) => p.name)).toContain('1.26.0 → 1.30.1');
});

test('from1x on a 1.x release is refused with the field named', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'releases-')), 'releases.yaml');
  await writeFile(file, 'releases:\n  - version: 1.26.0\n    layout: 1.x\n    supervisor: 4.1.2\n    from1x: true\n');
  await expect(loadReleases(file)).rejects.toThrow(/releases\.0\.from1x: from1x is for 2\.x releases/);
});

test('a chain of releases: each hop takes the updater of its class', () => {
  const chain = [
    { version: '1.26.0', layout: '1.x' as const, supervisor: '4.1.2' },
    { version: '1.30.1', layout: '1.x' as const, supervisor: '6.0.1' },
    { version: '2.9.7+rev1', layout: '2.x' as const, supervisor: '7.4.3', from1x: true },
    { version: '2.12.3+rev1', layout: '2.x' as const, supervisor: '7.4.3' },
  ];
  const hops = chain.slice(1).map((to, i) => pathBetween(chain[i]!, to));
  expect(hops.map((h) => [h.name, h.pathClass, h.updater, h.supervisorUpdate])).toEqual([
    ['1.26.0 → 1.30.1', '1x', 'upgrade-1.x.sh', true],
    ['1.30.1 → 2.9.7+rev1', '1x-2x', 'upgrade-1.x-to-2.x.sh', true],
    ['2.9.7+rev1 → 2.12.3+rev1', '2x', 'upgrade-2.x.sh', false],
  ]);
});
