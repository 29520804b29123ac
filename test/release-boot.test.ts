// A release's own boot content and packages (images/releases.yaml `boot`, `packages`, `suite`): the
// revisions, config.txt, which packages come from which Debian suite, and reading U-Boot's version.
import { test, expect } from '@playwright/test';
import {
  bootEnvText,
  bootRevisions,
  bootScriptBanner,
  configTxtFor,
  splitBySuite,
  ubootVersionIn,
} from '../images/lib/release-boot.ts';
import { loadReleases } from '../images/lib/releases.ts';

test('revisions default to 1; the banner and bootenv.txt carry the release’s', () => {
  expect(bootRevisions({})).toEqual({ script: 1, env: 1 });
  const r = { version: '2.9.7+rev1', boot: { script: 4, env: 3 } };
  expect(bootScriptBanner(r)).toBe('[boot.scr] hupbench boot script rev 4 (2.9.7+rev1)');
  expect(bootEnvText(r)).toBe('boot_env_rev=3\n');
});

test('config.txt gets the release’s lines after the board’s, once terminated', () => {
  const board = 'kernel=u-boot.bin\nenable_uart=1';
  expect(configTxtFor(board, {})).toBe(board);
  expect(configTxtFor(board, { boot: { script: 1, env: 1, config: ['gpu_mem=16'] } })).toBe(
    'kernel=u-boot.bin\nenable_uart=1\ngpu_mem=16\n',
  );
});

test('a release on another suite takes only its own packages from it, their dependencies from the host’s', () => {
  const closure = ['busybox-static:armhf', 'less:armhf', 'libtinfo6:armhf'];
  expect(splitBySuite(closure, { packages: ['less'] })).toEqual({ host: closure, suite: [] });
  expect(splitBySuite(closure, { packages: ['less'], suite: 'bookworm' })).toEqual({ host: closure, suite: [] });
  expect(splitBySuite(closure, { packages: ['less'], suite: 'bullseye' })).toEqual({
    host: ['busybox-static:armhf', 'libtinfo6:armhf'],
    suite: ['less'],
  });
});

test('U-Boot’s version is read from its binary’s banner string', () => {
  const bin = Buffer.concat([
    Buffer.from([0, 1, 2]),
    Buffer.from('U-Boot 2021.01+dfsg-5 (May 23 2021 - 04:32:45 +0000)\0'),
  ]);
  expect(ubootVersionIn(bin)).toBe('2021.01+dfsg-5');
  expect(ubootVersionIn(Buffer.from('no banner here'))).toBeUndefined();
});

test('the catalogue’s 2.x releases each have a boot script revision of their own, rising with the version', async () => {
  const twoX = (await loadReleases()).filter((r) => r.layout === '2.x' && !r.manifest);
  const revs = twoX.map((r) => bootRevisions(r).script);
  expect(new Set(revs).size).toBe(revs.length);
  expect([...revs].sort((a, b) => a - b)).toEqual(revs);
});
