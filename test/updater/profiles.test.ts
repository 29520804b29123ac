// Updater profiles: every known profile validates and a bad one is refused naming the field; the
// phases of each profile are recognised in sample output of its updater (and in the updater's own
// source: the scripts announce what their profiles say); arguments are built in each updater's own
// flag names; power-cut rows follow the profile's phases.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { powerCut } from '../../harness/faults/power-cut.ts';
import { networkDown, outageMessage, registryDown } from '../../harness/faults/link.ts';
import { commonRefusals, refusalMessage } from '../../harness/faults/refusals.ts';
import { mislabelledHostOsImage, unlabelledOtherRootImage } from '../../harness/faults/mislabelled-hostos.ts';
import type { Release } from '../../images/lib/releases.ts';
import {
  activeUpdaterProfile,
  buildUpdaterArgs,
  contractOfScript,
  errorLine,
  exitMeaning,
  findUpdaterProfile,
  logPathIn,
  PROFILE_ENV,
  recognisePhase,
  updaterFor,
  updaterProfiles,
  validateProfile,
  type UpdaterContract,
} from '../../harness/updater/profiles/index.ts';
import { refusalNames } from '../../harness/updater/profiles/types.ts';
import { hupbenchReference } from '../../harness/updater/profiles/hupbench-reference.ts';
import { projectRoot } from '../../harness/project-root.ts';

const reference2x = () => findUpdaterProfile('hupbench-reference').updaters['2x']!;
const resinhup2x = () => findUpdaterProfile('resinhup-style').updaters['2x']!;
const phasesIn = (contract: UpdaterContract, output: string) =>
  output.split('\n').flatMap((l) => recognisePhase(contract, l) ?? []);
const updaterSource = (file: string) => readFileSync(path.join(projectRoot, 'images/updater', file), 'utf8');

test('every known profile validates, and each names the updater of at least one path class', () => {
  const names = updaterProfiles().map((p) => p.name);
  expect(names).toEqual(['hupbench-reference', 'resinhup-style']);
  expect(Object.keys(findUpdaterProfile('hupbench-reference').updaters).sort()).toEqual(['1x', '1x-2x', '2x']);
  expect(Object.keys(findUpdaterProfile('resinhup-style').updaters)).toEqual(['2x']);
});

test('a bad profile is refused, naming the profile and each wrong field', () => {
  const bad = structuredClone(hupbenchReference) as unknown as {
    updaters: Record<string, Record<string, unknown>>;
  };
  const twoX = bad.updaters['2x']!;
  twoX.phases = [
    { name: 'checks', starts: /a/ },
    { name: 'checks', starts: /b/ },
  ];
  twoX.exitCodes = { '0': 'failed', '9': 'locked' };
  twoX.flags = { ...(twoX.flags as object), registry: 'registry' };
  twoX.log = { dir: 'mnt/data' };
  const message = (() => {
    try {
      validateProfile(bad, '"broken" (test)');
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  })();
  expect(message).toContain('Invalid updater profile "broken" (test)');
  expect(message).toContain('updaters.2x.flags.registry: must be a command-line flag');
  expect(message).toContain('updaters.2x.log.dir: must be an absolute path on the device');
  expect(message).toContain("updaters.2x.exitCodes.0: 0 must mean 'ok'");
  expect(message).toContain('updaters.2x.phases: phase named twice: checks');
  expect(() => validateProfile({ name: 'empty', description: 'x', updaters: {} }, 'empty')).toThrow(
    /updaters: must describe the updater of at least one path class/,
  );
});

test('an unknown profile is an error that lists the known ones, from the name and from the variable', () => {
  expect(() => findUpdaterProfile('swupdate')).toThrow(
    'Unknown updater profile "swupdate". Known updater profiles: hupbench-reference, resinhup-style',
  );
  const saved = process.env[PROFILE_ENV];
  try {
    process.env[PROFILE_ENV] = 'swupdate';
    expect(() => activeUpdaterProfile()).toThrow(/^HUPBENCH_UPDATER_PROFILE: Unknown updater profile "swupdate"/);
    process.env[PROFILE_ENV] = 'resinhup-style';
    expect(updaterFor('2x').contract.script).toBe('resinhup-style/resinhup-2.x.sh');
    // A class the profile has no updater for is run by the reference updater, and says so.
    expect(updaterFor('1x-2x').profile.name).toBe('hupbench-reference');
    delete process.env[PROFILE_ENV];
    expect(activeUpdaterProfile().name).toBe('hupbench-reference');
  } finally {
    if (saved === undefined) delete process.env[PROFILE_ENV];
    else process.env[PROFILE_ENV] = saved;
  }
});

test('the reference profile recognises its phases in sample output of upgrade-2.x.sh', () => {
  const output = [
    '[hup] 12:00:00 upgrade-2.x.sh: to 2.12.3+rev1, log /mnt/data/resinhup/upgrade-2.x-20261129T120000.log',
    '[hup] phase=checks',
    '[hup] 12:00:01 checks passed',
    '[hup] phase=stop-supervisor',
    '[hup] phase=pull',
    'Pulling resin/resinos:2.12.3_rev1-beaglebone-black ... phase=export',
    '[hup] phase=format-spare',
    '[hup] phase=export',
    '[hup] 12:01:00 error: exporting the image failed (phase export)',
  ].join('\n');
  const contract = reference2x();
  expect(phasesIn(contract, output)).toEqual(['checks', 'stop-supervisor', 'pull', 'format-spare', 'export']);
  expect(recognisePhase(contract, '[hup] phase=format')).toBeUndefined();
  expect(errorLine(contract, output)).toBe('[hup] 12:01:00 error: exporting the image failed (phase export)');
  expect(logPathIn(contract, output)).toBe('/mnt/data/resinhup/upgrade-2.x-20261129T120000.log');
  expect([0, 1, 9, 2].map((c) => exitMeaning(contract, c))).toEqual(['ok', 'failed', 'locked', 'failed']);
  expect(exitMeaning(findUpdaterProfile('hupbench-reference').updaters['1x']!, 3)).toBe('already-there');
});

test('the resinhup-style profile recognises its phases in sample output of resinhup-2.x.sh', () => {
  const output = [
    '[000000000][LOG]Checking the device and the target release',
    '[000000004][LOG]Host OS version 2.9.7+rev1 on beaglebone-black, target 2.12.3+rev1.',
    '[000000005][LOG]Stopping the supervisor',
    '[000000009][LOG]Downloading hostOS image resin/resinos:2.12.3_rev1-beaglebone-black',
    '[hup] phase=format-spare',
    '[000000031][LOG]Creating filesystem on inactive partition /dev/vda3',
    '[000000033][LOG]Unpacking hostOS root filesystem onto /dev/vda3',
    '[000000060][ERROR]Unpacking resin/resinos:2.12.3_rev1-beaglebone-black failed.',
    '[000000060][WARNING]Update failed (exit 1). Changed on the device: /dev/vda3 reformatted. Boot settings untouched.',
  ].join('\n');
  const contract = resinhup2x();
  expect(phasesIn(contract, output)).toEqual(['checks', 'stop-supervisor', 'pull', 'format-spare', 'export']);
  expect(phasesIn(reference2x(), output)).toEqual(['format-spare']);
  expect(errorLine(contract, output)).toBe(
    '[000000060][ERROR]Unpacking resin/resinos:2.12.3_rev1-beaglebone-black failed.',
  );
  expect(logPathIn(contract, output)).toBeUndefined();
  expect(contract.log.dir).toBe('/mnt/data/balenahup');
});

test('arguments are built in each updater’s own flag names', () => {
  const invocation = {
    targetVersion: '2.12.3+rev1',
    supervisorVersion: '7.4.3',
    registry: 'http://10.0.2.2:5000',
    noReboot: true,
  };
  expect(buildUpdaterArgs(reference2x(), invocation)).toEqual([
    '--hostos-version',
    '2.12.3+rev1',
    '--supervisor-version',
    '7.4.3',
    '--registry',
    'http://10.0.2.2:5000',
    '--no-reboot',
  ]);
  expect(buildUpdaterArgs(resinhup2x(), invocation)).toEqual([
    '--hostos-version',
    '2.12.3+rev1',
    '--supervisor-version',
    '7.4.3',
    '--resinos-registry',
    'http://10.0.2.2:5000',
    '--no-reboot',
  ]);
  expect(
    buildUpdaterArgs(findUpdaterProfile('hupbench-reference').updaters['1x']!, {
      targetVersion: '1.30.1',
      force: true,
    }),
  ).toEqual(['--hostos-version', '1.30.1', '--force']);
  expect(() => buildUpdaterArgs(resinhup2x(), { targetVersion: '2.12.3+rev1', force: true })).toThrow(
    'The updater resinhup-style/resinhup-2.x.sh has no force flag (its profile names none)',
  );
});

/** The `phase <name>` calls of a reference script (and its secondary's `phase('<name>')`, in its phase). */
function announcedByReference(script: string): string[] {
  const own = [...updaterSource(script).matchAll(/^\s*phase ([a-z0-9-]+)\s*$/gm)].map((m) => m[1]!);
  if (script !== 'upgrade-1.x.sh') return own;
  const secondary = [...updaterSource('resinhup/resinhup.py').matchAll(/^\s*phase\('([a-z0-9-]+)'\)/gm)];
  own.splice(own.indexOf('resinhup') + 1, 0, ...secondary.map((m) => m[1]!));
  return own;
}

test('the reference scripts announce exactly their profile’s phases, in order', () => {
  for (const contract of Object.values(findUpdaterProfile('hupbench-reference').updaters)) {
    const announced = announcedByReference(contract!.script);
    // The order a script's source lists its phases in is not always the order it runs them (the
    // reboot is a function defined early): compare the sets, and the order where the source is linear.
    expect(new Set(announced), contract!.script).toEqual(new Set(contract!.phases.map((p) => p.name)));
  }
  expect(announcedByReference('upgrade-2.x.sh')).toEqual(reference2x().phases.map((p) => p.name));
});

/** The resinhup-style script's `log "…"` lines as they print (variables filled with sample words). */
function resinhupLogLines(): string[] {
  const sample: Record<string, string> = {
    update_part: '/dev/vda3',
    update_label: 'resin-rootB',
    TAG: '2.99.0_rev1-beaglebone-black',
    UPDATE_NR: '3',
    registry: 'http://10.0.2.2:9',
    SLUG: 'raspberrypi3-64',
    MACHINE: 'beaglebone-black',
    target_version: '2.99.0+rev1',
    VERSION: '2.12.3+rev1',
    room_mb: '16.8',
    need_mb: '25.3',
    LOCKFILE: '/var/lock/resinhup.lock',
    pull_tries: '3',
    // A mislabelled image: the running release's under the target's tag.
    labelled: '2.12.3+rev1',
    labelled_type: 'beaglebone-black',
    got: '2.12.3+rev1',
    got_machine: 'beaglebone-black',
  };
  return [...updaterSource('resinhup-style/resinhup-2.x.sh').matchAll(/\blog (?:(ERROR|WARN) )?"([^"]*)"/g)].map(
    ([, level, words]) =>
      `[000000001][${level === 'WARN' ? 'WARNING' : (level ?? 'LOG')}]${words!.replace(/\$\{?(\w+)\}?/g, (_, v) => sample[v] ?? 'x')}`,
  );
}

test('resinhup-2.x.sh prints one line for each phase of its profile, in the profile’s order', () => {
  const lines = resinhupLogLines();
  const contract = resinhup2x();
  const starts = lines.flatMap((l) => recognisePhase(contract, l) ?? []);
  expect(starts).toEqual(contract.phases.map((p) => p.name));
  // Its failures are ERROR lines the profile reads as the error; none of them starts a phase.
  const errors = lines.filter((l) => errorLine(contract, l));
  expect(errors.length).toBeGreaterThan(20);
  for (const e of errors) expect(recognisePhase(contract, e), e).toBeUndefined();
});

test('power-cut rows follow the profile: resinhup-2.x.sh has the 2.x rows in its phases', () => {
  const { contract } = contractOfScript('resinhup-style/resinhup-2.x.sh');
  const rows = powerCut.rows(contract.script);
  expect(rows.map((r) => r.phase)).toEqual(contract.phases.map((p) => p.name));
  const strip = (r: { updater: string }) => ({ ...r, updater: '' });
  expect(rows.map(strip)).toEqual(powerCut.rows('upgrade-2.x.sh').map(strip));
  expect(rows.find((r) => r.phase === 'export')).toMatchObject({ guarantee: 'old-os', afterMs: 1500 });
});

test('resinhup-2.x.sh names a failed download in the words its profile gives for an outage', () => {
  const contract = resinhup2x();
  const downloadFailed = resinhupLogLines().filter((l) => contract.failures['network-down']!.test(l));
  expect(downloadFailed).toEqual([
    '[000000001][ERROR]Could not download resin/resinos:2.99.0_rev1-beaglebone-black after 3 tries.',
  ]);
  expect(errorLine(contract, downloadFailed[0]!)).toBe(downloadFailed[0]);
  expect(outageMessage(registryDown, contract.script)).toBe(contract.failures['registry-down']);
  expect(outageMessage(networkDown, 'upgrade-2.x.sh')).toBe(networkDown.message);
});

test('resinhup-2.x.sh says each refusal in the words its profile gives for it', () => {
  const lines = resinhupLogLines();
  const contract = resinhup2x();
  const subject = { target: '2.99.0+rev1', running: '2.12.3+rev1', missing: '2.99.0+rev1' };
  const cases = { ...subject, registry: 'http://10.0.2.2:9', spareLabel: 'resin-rootB' };
  expect(Object.keys(contract.refusals).sort()).toEqual([...refusalNames].sort());
  for (const [name, words] of Object.entries(contract.refusals)) {
    const pattern = words!(cases);
    expect(lines.filter((l) => pattern.test(l)).length, `${name}: ${pattern}`).toBe(1);
  }
  // As the refusal assertion reads them: in the whole output, where the line is not the first.
  const device = { version: '2.12.3+rev1', layout: '2.x', supervisor: '7.16.6' } as Release;
  const refusal = { ...commonRefusals(device, '2.99.0+rev1', '2.99.0+rev1')[0]!, device };
  const said = lines.find((l) => l.includes('Unsupported device type'))!;
  expect(`[000000000][LOG]Checking the device and the target release\n${said}\n`).toMatch(
    refusalMessage(contract, refusal),
  );
  // And not for another case's facts: the words name the versions of the case.
  expect(lines.some((l) => contract.refusals.downgrade!({ ...cases, target: '2.0.0+rev2' }).test(l))).toBe(false);
});

test('upgrade-2.x.sh and resinhup-2.x.sh refuse a mislabelled hostOS image in their words, naming both versions, labelled or not', () => {
  const running = { version: '2.12.3+rev1', layout: '2.x', supervisor: '7.16.6' } as Release;
  const refusal = mislabelledHostOsImage(running, '2.99.0+rev1');
  const sample: Record<string, string> = {
    TAG: '2.99.0_rev1-beaglebone-black',
    HOSTOS_VERSION: '2.99.0+rev1',
    SLUG: 'beaglebone-black',
    labelled: '2.12.3+rev1',
    labelled_type: 'beaglebone-black',
    NEW_VERSION: '2.12.3+rev1',
    NEW_MACHINE: 'beaglebone-black',
  };
  // upgrade-2.x.sh's `fail "…"` lines as they print (${v:-default} filled with the sample's v).
  const failLines = [...updaterSource('upgrade-2.x.sh').matchAll(/\bfail "([^"]*)"/g)].map(
    ([, words]) =>
      `[hup] 12:00:00 error: ${words!.replace(/\$\{(\w+)(?::-[^}]*)?\}|\$(\w+)/g, (_, a, b) => sample[a ?? b] ?? 'x')} (phase checks)`,
  );
  // The labels in the checks, the exported root's os-release after the export: one line each.
  for (const c of [refusal, unlabelledOtherRootImage(running, '2.99.0+rev1')]) {
    const reference = refusalMessage(reference2x(), c);
    expect(
      failLines.filter((l) => reference.test(l)),
      String(reference),
    ).toHaveLength(1);
    const resinhup = refusalMessage(resinhup2x(), c);
    expect(
      resinhupLogLines().filter((l) => resinhup.test(l)),
      String(resinhup),
    ).toHaveLength(1);
  }
  // Not when the labels name the version asked for: the words carry the labelled and the target version.
  const asked = mislabelledHostOsImage({ ...running, version: '2.99.0+rev1' }, '2.99.0+rev1');
  expect(failLines.some((l) => refusalMessage(reference2x(), asked).test(l))).toBe(false);
  expect(resinhupLogLines().some((l) => refusalMessage(resinhup2x(), asked).test(l))).toBe(false);
  const askedRoot = unlabelledOtherRootImage({ ...running, version: '2.99.0+rev1' }, '2.99.0+rev1');
  expect(failLines.some((l) => refusalMessage(reference2x(), askedRoot).test(l))).toBe(false);
});
