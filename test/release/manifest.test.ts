// release.yaml validation: every problem is refused with the manifest's file and the field; the
// optional bandwidth budget the gate judges paths by.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ensureImage } from '../../images/build.ts';
import { loadReleaseManifest, requireArtifact } from '../../harness/release/load-manifest.ts';
import { ReleaseError } from '../../harness/release/release-error.ts';
import { tempDir, removeTempDirs } from './tiny-release.ts';

test.afterAll(removeTempDirs);

async function manifestWith(text: string, files: string[] = []): Promise<string> {
  const dir = await tempDir();
  for (const f of files) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), 'x');
  }
  await writeFile(path.join(dir, 'release.yaml'), text);
  return dir;
}

const base = 'version: 2.13.0\nlayout: 2.x\nsupervisor: 7.16.6\n';

const refusals: [string, string, RegExp][] = [
  [
    'a bad version',
    'version: 2.13\nlayout: 2.x\nsupervisor: 7.16.6\ndeviceTypes: {}\n',
    /version: a version like 2\.13\.0/,
  ],
  ['an unknown layout', 'version: 2.13.0\nlayout: 3.x\nsupervisor: 7.16.6\ndeviceTypes: {}\n', /layout: /],
  ['no supervisor version', 'version: 2.13.0\nlayout: 2.x\ndeviceTypes: {}\n', /supervisor: /],
  ['a misspelt key', `${base}deviceTypes: {}\nsupervisorr: 1.2.3\n`, /\(top level\): .*supervisorr/],
  [
    'an unknown device type',
    `${base}deviceTypes:\n  beaglebone-white:\n    card: card.img\n`,
    /deviceTypes\.beaglebone-white: unknown device type; known: beaglebone-black/,
  ],
  [
    'a hostOS that is neither an archive nor a reference',
    `${base}deviceTypes:\n  beaglebone-black:\n    hostOS: { file: os.tar }\n`,
    /deviceTypes\.beaglebone-black\.hostOS: give `archive: FILE`/,
  ],
  [
    'a reference not pinned by digest',
    `${base}deviceTypes:\n  beaglebone-black:\n    hostOS: { reference: "reg.lab:5000/resin/resinos:2.13.0" }\n`,
    /deviceTypes\.beaglebone-black\.hostOS/,
  ],
  [
    'from1x on a 1.x release',
    'version: 1.31.0\nlayout: 1.x\nsupervisor: 6.0.1\nfrom1x: true\ndeviceTypes: {}\n',
    /from1x: from1x is for 2\.x releases/,
  ],
  [
    'a bandwidth budget of no MiB',
    `${base}deviceTypes: {}\nbandwidth: { budgetMiB: 0 }\n`,
    /bandwidth\.budgetMiB: a number of MiB above 0/,
  ],
  [
    'a bandwidth section without a budget',
    `${base}deviceTypes: {}\nbandwidth: {}\n`,
    /bandwidth: give budgetMiB \(for every device type\) or deviceTypes\.<type>\.budgetMiB/,
  ],
  [
    'a bandwidth budget in MB, a key the schema does not know',
    `${base}deviceTypes: {}\nbandwidth: { budgetMB: 250 }\n`,
    /bandwidth: .*budgetMB/,
  ],
  [
    'a bandwidth budget for an unknown device type',
    `${base}deviceTypes: {}\nbandwidth: { deviceTypes: { beaglebone-white: { budgetMiB: 9 } } }\n`,
    /bandwidth\.deviceTypes\.beaglebone-white: unknown device type; known: beaglebone-black/,
  ],
];

test('a bandwidth budget: for the release, and per device type', async () => {
  const dir = await manifestWith(
    `${base}deviceTypes: {}\nbandwidth:\n  budgetMiB: 250\n  deviceTypes:\n    raspberrypi3-64: { budgetMiB: 300 }\n`,
  );
  expect((await loadReleaseManifest(dir)).bandwidth).toEqual({
    budgetMiB: 250,
    deviceTypes: { 'raspberrypi3-64': { budgetMiB: 300 } },
  });
  expect((await loadReleaseManifest(await manifestWith(`${base}deviceTypes: {}\n`))).bandwidth).toBeUndefined();
});

for (const [what, text, message] of refusals) {
  test(`a manifest with ${what} is refused, naming the file and the field`, async () => {
    const dir = await manifestWith(text);
    const error = await loadReleaseManifest(dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ReleaseError);
    expect((error as Error).message).toContain(path.join(dir, 'release.yaml'));
    expect((error as Error).message).toMatch(message);
  });
}

test('a named file that is not there is refused with its field', async () => {
  const dir = await manifestWith(
    `${base}deviceTypes:\n  beaglebone-black:\n    card: card.img\n    hostOS: { archive: os.tar }\n`,
    ['card.img'],
  );
  await expect(loadReleaseManifest(dir)).rejects.toThrow(
    `${path.join(dir, 'release.yaml')}: deviceTypes.beaglebone-black.hostOS.archive: ${path.join(dir, 'os.tar')} does not exist`,
  );
});

test('a folder without release.yaml, and YAML that does not parse, are refused', async () => {
  const empty = await tempDir();
  await expect(loadReleaseManifest(empty)).rejects.toThrow(/release\.yaml does not exist/);
  await expect(loadReleaseManifest(await manifestWith('version: [\n'))).rejects.toThrow(/is not valid YAML/);
});

test('paths resolve against the manifest folder; a missing artifact names release, artifact and device type', async () => {
  const dir = await manifestWith(
    `${base}deviceTypes:\n  beaglebone-black:\n    card: { image: cards/card.img.xz, bmap: cards/card.bmap }\n    hostOS: { archive: os.tar }\n`,
    ['cards/card.img.xz', 'cards/card.bmap', 'os.tar'],
  );
  const manifest = await loadReleaseManifest(path.join(dir, 'release.yaml'));
  expect(manifest.deviceTypes['beaglebone-black']!.card).toEqual({
    image: path.join(dir, 'cards/card.img.xz'),
    bmap: path.join(dir, 'cards/card.bmap'),
  });
  expect(() => requireArtifact(manifest, 'beaglebone-black', 'supervisor')).toThrow(
    `release 2.13.0 has no supervisor image for beaglebone-black: add deviceTypes.beaglebone-black.supervisor to ${manifest.file}`,
  );
  expect(() => requireArtifact(manifest, 'raspberrypi3-64', 'hostOS')).toThrow(
    /^release 2\.13\.0 has no hostOS image for raspberrypi3-64: .* has artifacts for beaglebone-black only$/,
  );
});

test('the reference builder refuses a release that has a manifest of its own', async () => {
  const given = {
    version: '2.13.0',
    layout: '2.x' as const,
    supervisor: '7.16.6',
    manifest: '/srv/2.13.0/release.yaml',
  };
  await expect(ensureImage(given, 'beaglebone-black')).rejects.toThrow(
    '2.13.0 is given by /srv/2.13.0/release.yaml; the reference builder does not build it',
  );
});
