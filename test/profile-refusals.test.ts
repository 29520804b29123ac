// A bad device profile is refused before any board starts: `hupbench run --profile` exits 2 with a
// message naming the file and the field, and no results folder is made (nothing was started).
// The shipped profiles pass the same checks.
import { test, expect } from '@playwright/test';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cardBytesFor, placePartitions } from '../images/lib/layout.ts';
import { loadReleases } from '../images/lib/releases.ts';
import { checkProfileForRig, DATA_SHARE, parseProfile, ProfileError } from '../harness/profile/load-profile.ts';
import { hupbench } from './hupbench-command.ts';

const root = path.resolve(import.meta.dirname, '..');
const RIG = 'qemu-beaglebone-black';
const MiB = 1024 * 1024;

// The card's partitions depend on the engine the images are built for (moby's roots and default
// card are bigger): the data sizes below are taken from them, so the tests hold for either engine.
const dataPartitionBytes = (cardBytes: number) =>
  placePartitions('2.x', cardBytes).find((p) => p.label === 'resin-data')!.sizeBytes;
const defaultCardMiB = cardBytesFor() / MiB;
/** More data than the default card's whole resin-data. */
const overDefaultMB = Math.ceil(dataPartitionBytes(defaultCardMiB * MiB) / 1e6) + 1;

const good = `name: t
device: { type: beaglebone-black, release: 2.9.7+rev1 }
`;

const cases: { title: string; yaml: string; message: RegExp }[] = [
  {
    title: 'an unknown field, named with its path',
    yaml: `${good}data: { totalMB: 10, compresibility: incompressible }\n`,
    message: /is not a valid device profile:\n {2}data: unknown field "compresibility"/,
  },
  {
    title: 'an unknown top-level field',
    yaml: `${good}wifi: []\n`,
    message: /\(top level\): unknown field "wifi"/,
  },
  {
    title: "data larger than the card's resin-data",
    yaml: `${good}data: { totalMB: ${overDefaultMB}, files: 90 }\n`,
    message: new RegExp(
      `data: data ${overDefaultMB}\\.0 MB = ${overDefaultMB}\\.0 MB does not fit the resin-data partition of a ${defaultCardMiB} MiB 2\\.x card \\([\\d.]+ MB, at most 85% of it usable: [\\d.]+ MB\\)\\. Make the data smaller or the card bigger \\(card\\.sizeMiB\\)`,
    ),
  },
  {
    title: 'a version the rig cannot boot',
    yaml: 'name: t\ndevice: { type: beaglebone-black, release: 2.13.0 }\n',
    message:
      /device\.release: 2\.13\.0 is not a release qemu-beaglebone-black can boot: the known releases are 1\.26\.0, /,
  },
  {
    title: "a device type that is not the rig's",
    yaml: 'name: t\ndevice: { type: raspberrypi3-64, release: 2.9.7+rev1 }\n',
    message: /device\.type: "raspberrypi3-64" is not the device type of rig qemu-beaglebone-black \(beaglebone-black\)/,
  },
  {
    title: 'a history this harness cannot replay',
    yaml: `${good}history: over-the-backup-cap\n`,
    message: /history: a history this harness can replay: rolled-back-by-altboot, rolled-back-by-health/,
  },
  {
    title: 'a rollback history on a 1.x device',
    yaml: 'name: t\ndevice: { type: beaglebone-black, release: 1.30.1 }\nhistory: rolled-back-by-health\n',
    message:
      /history: rolled-back-by-health is an update .* rollback-health rejected it .*; that happens on 2\.x devices, and 1\.30\.1 is 1\.x/,
  },
  {
    title: 'root changes on a 2.x device',
    yaml: `${good}rootChanges: { removed: [/etc/profile] }\n`,
    message: /rootChanges: 2\.9\.7\+rev1 is a 2\.x release: its root is read-only/,
  },
];

test.describe('hupbench run --profile refuses a bad profile before any board starts (exit 2)', () => {
  for (const c of cases) {
    test(c.title, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'profile-'));
      const file = path.join(dir, 'bad.yaml');
      await writeFile(file, c.yaml);
      const before: string[] = await readdir(path.join(root, 'results')).catch(() => []);
      const r = await hupbench('run', '--rig', RIG, '--profile', file, '--to', '2.12.3+rev1');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(c.message);
      const made = (await readdir(path.join(root, 'results')).catch(() => [])).filter(
        (f) => !before.includes(f) && f.includes('profile-t-'),
      );
      expect(made, 'no results folder: nothing started').toEqual([]);
    });
  }
});

test('a bigger card makes room: data that does not fit the default card is accepted on a bigger one', async () => {
  const releases = await loadReleases();
  const on = { rigName: RIG, deviceType: 'beaglebone-black', releases };
  // Between the default card's usable resin-data and that of a card 1 GiB bigger.
  const bigMiB = defaultCardMiB + 1024;
  const totalMB = Math.round(
    ((dataPartitionBytes(defaultCardMiB * MiB) + dataPartitionBytes(bigMiB * MiB)) / 2 / 1e6) * DATA_SHARE,
  );
  const data = `data: { totalMB: ${totalMB}, files: 90 }\n`;
  const big = parseProfile(`${good}${data}card: { sizeMiB: ${bigMiB} }\n`, 'big.yaml');
  expect(checkProfileForRig(big, 'big.yaml', on).version).toBe('2.9.7+rev1');
  const small = parseProfile(`${good}${data}`, 'small.yaml');
  expect(() => checkProfileForRig(small, 'small.yaml', on)).toThrow(ProfileError);
});

test('resin-data is said one way: totalMB, groups or a tarball', () => {
  expect(() => parseProfile(`${good}data: { totalMB: 10, groups: [{ files: 1, sizeKB: 5 }] }\n`, 'x.yaml')).toThrow(
    /data: say what resin-data holds one way/,
  );
  expect(() => parseProfile(`${good}data: { files: 3, groups: [{ files: 1, sizeKB: 5 }] }\n`, 'x.yaml')).toThrow(
    /data\.files: `files` goes with `totalMB`/,
  );
});

test('every shipped profile is valid and buildable on the BeagleBone rig', async () => {
  const releases = await loadReleases();
  const files = (await readdir(path.join(root, 'profiles'))).filter((f) => f.endsWith('.yaml'));
  expect(files.length).toBeGreaterThanOrEqual(4);
  for (const f of files) {
    const r = await hupbench('profile', 'check', path.join('profiles', f), '--rig', RIG);
    expect(r.code, `${f}: ${r.stderr}`).toBe(0);
  }
  expect(releases.length).toBeGreaterThan(0);
});

test('profile capture without a running board says how to get one (exit 2)', async () => {
  const r = await hupbench('profile', 'capture', '--rig', RIG);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(
    /No running board on qemu-beaglebone-black to capture: start one with `hupbench run .* --keep`/,
  );
  const bad = await hupbench('profile', 'capture', '--rig', RIG, '--ssh', 'nohost');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--ssh nohost: give HOST:PORT/);
});
