// The 1.x → 2.x upgrade-path matrix from a release catalogue.
import { test, expect } from '@playwright/test';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathsFor1xTo2x } from '../../harness/updater/paths.ts';
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
  expect(paths.map((p) => p.name)).toEqual(['1.26.0 → 2.9.7+rev1', '1.26.0 → 2.12.3+rev1', '1.30.1 → 2.9.7+rev1', '1.30.1 → 2.12.3+rev1']);
  expect(new Set(paths.map((p) => p.updater))).toEqual(new Set(['upgrade-1.x-to-2.x.sh']));
  expect(paths.every((p) => p.pathClass === '1x-2x' && p.supervisorUpdate)).toBe(true);
});

test('from1x on a 1.x release is refused with the field named', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'releases-')), 'releases.yaml');
  await writeFile(file, 'releases:\n  - version: 1.26.0\n    layout: 1.x\n    supervisor: 4.1.2\n    from1x: true\n');
  await expect(loadReleases(file)).rejects.toThrow(/releases\.0\.from1x: from1x is for 2\.x releases/);
});
