// Each release boots the kernel of its Debian suite (images/lib/kernel.ts): the board's kernel
// metapackage resolved in that suite, so an older release (suite: bullseye) boots 5.10 and a newer one
// bookworm's 6.1, and `hupbench diff` shows the kernel change across an update.
import { test, expect } from '@playwright/test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deviceTypes } from '../../images/device-types.ts';
import { ensureImage } from '../../images/build.ts';
import { metapackageTarget } from '../../images/lib/debian-packages.ts';
import { downloadKernelPackage, kernelSource } from '../../images/lib/kernel.ts';
import { findRelease, loadReleases } from '../../images/lib/releases.ts';
import { readExt4File } from '../../harness/image/card-image.ts';
import { kernelOf } from '../../harness/release/release-contents.ts';

test.setTimeout(10 * 60_000);

test('a release takes its board’s kernel metapackage from its own suite, bookworm when it names none', async () => {
  const releases = (await loadReleases()).filter((r) => !r.manifest);
  for (const [name, profile] of Object.entries(deviceTypes))
    for (const release of releases)
      expect(kernelSource(profile, release), `${release.version} on ${name}`).toEqual({
        metapackage: profile.kernelPackage,
        arch: profile.arch,
        suite: release.suite ?? 'bookworm',
      });
  const bullseye = releases.filter((r) => kernelSource(deviceTypes['beaglebone-black']!, r).suite === 'bullseye');
  expect(bullseye.map((r) => r.version)).toEqual(['1.30.1', '2.0.0+rev2']);
});

test('the kernel package is what the metapackage depends on in apt-cache’s answer', () => {
  expect(metapackageTarget('linux-image-armmp:armhf\n  Depends: linux-image-5.10.0-32-armmp:armhf\n')).toBe(
    'linux-image-5.10.0-32-armmp',
  );
  expect(metapackageTarget('linux-image-arm64:arm64\n  Depends: linux-image-6.1.0-50-arm64:arm64\n')).toBe(
    'linux-image-6.1.0-50-arm64',
  );
  expect(metapackageTarget('linux-image-armmp:armhf\n')).toBeUndefined();
});

test('another suite’s kernel is resolved and downloaded through that suite’s apt (its stored answers)', async () => {
  const cache = await mkdtemp(path.join(tmpdir(), 'hupbench-kernel-'));
  try {
    // Stored answers as a first build leaves them: no apt is asked while the .deb they name exists.
    const deb = path.join(cache, 'debs/armhf/linux-image-5.10.0-32-armmp_5.10.223-1_armhf.deb');
    await mkdir(path.dirname(deb), { recursive: true });
    await writeFile(deb, '');
    await mkdir(path.join(cache, 'apt-suites/bullseye'), { recursive: true });
    await writeFile(
      path.join(cache, 'apt-suites/bullseye/answers.json'),
      JSON.stringify({
        'metapackage:bullseye:armhf:linux-image-armmp': ['linux-image-5.10.0-32-armmp'],
        'bullseye:armhf:linux-image-5.10.0-32-armmp': [deb],
      }),
    );
    expect(await downloadKernelPackage(deviceTypes['beaglebone-black']!, { suite: 'bullseye' }, cache)).toEqual([deb]);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});

test('a bullseye release’s card lists bullseye’s 5.10 kernel, a bookworm one 6.1', async () => {
  for (const [version, series] of [
    ['1.30.1', '5.10.'],
    ['1.26.0', '6.1.'],
  ] as const) {
    const image = await ensureImage(await findRelease(version), 'beaglebone-black');
    const status = await readExt4File(image.path, 'resin-root', '/var/lib/dpkg/status');
    const packages = Object.fromEntries(
      status.split('\n\n').map((s) => [/^Package: (.+)$/m.exec(s)?.[1], /^Version: (.+)$/m.exec(s)?.[1]]),
    );
    expect(kernelOf(packages), version).toMatch(new RegExp(`^${series.replace('.', '\\.')}\\S*-armmp `));
  }
});
