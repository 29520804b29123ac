// The fault catalogue holds together: one entry per name, every kind present and accepted by the
// CLI's --fault, every power-cut row's phase a phase of its updater's profile (that the scripts announce
// their profile's phases is test/updater/profiles.test.ts's), every refusal case whole.
import { test, expect } from '@playwright/test';
import { faultNames, phaseFaults, requireFault, updaterPhases } from '../../harness/cli/known.ts';
import { UsageError } from '../../harness/cli/usage-error.ts';
import {
  faultCatalogue,
  faultKinds,
  faultsOfKind,
  findFault,
  newOsFaults,
  powerCut,
  powerCutGuarantees,
  refusalFaults,
  strikesAtPhase,
  type Fault,
} from '../../harness/faults/index.ts';
import type { Release } from '../../images/lib/releases.ts';

test('every fault has a unique name, a description and a guarantee', () => {
  const names = faultCatalogue.map((f) => f.name);
  expect(new Set(names).size, `duplicate names in ${names.join(', ')}`).toBe(names.length);
  for (const f of faultCatalogue) {
    expect(f.name, 'a name --fault can take').toMatch(/^[a-z0-9-]+$/);
    expect(f.description.length, `${f.name}: description`).toBeGreaterThan(20);
    expect(f.guarantee.length, `${f.name}: guarantee`).toBeGreaterThan(20);
  }
});

test('every kind has at least one fault, and faultsOfKind partitions the catalogue', () => {
  for (const kind of faultKinds) expect(faultsOfKind(kind).length, kind).toBeGreaterThan(0);
  expect(faultKinds.flatMap((k) => faultsOfKind(k)).length).toBe(faultCatalogue.length);
  expect(Object.keys(newOsFaults)).toEqual(faultsOfKind('new-os').map((f) => f.name));
});

test("every power-cut row's phase is a phase of its updater's profile", async () => {
  const updaters = [...new Set(powerCutGuarantees.map((r) => r.updater))];
  expect(updaters.sort()).toEqual([
    'resinhup-style/resinhup-2.x.sh',
    'upgrade-1.x-to-2.x.sh',
    'upgrade-1.x.sh',
    'upgrade-2.x.sh',
  ]);
  for (const updater of updaters) {
    const phases = await updaterPhases(updater);
    expect(phases.length, `phases of ${updater}`).toBeGreaterThan(3);
    for (const row of powerCut.rows(updater)) expect(phases, `${updater}: phase ${row.phase}`).toContain(row.phase);
  }
});

test('the phase an outage strikes at is a phase of every updater', async () => {
  for (const f of faultCatalogue) {
    if ((f.kind !== 'link' && f.kind !== 'registry') || f.effect !== 'outage') continue;
    for (const updater of [
      'upgrade-2.x.sh',
      'upgrade-1.x-to-2.x.sh',
      'upgrade-1.x.sh',
      'resinhup-style/resinhup-2.x.sh',
    ])
      expect(await updaterPhases(updater), `${f.name} in ${updater}`).toContain(f.at.phase);
  }
});

test("the CLI's --fault takes every fault of every kind, and lists them all for an unknown one", () => {
  expect(faultNames()).toEqual(faultCatalogue.map((f) => f.name));
  for (const f of faultCatalogue) expect(requireFault(f.name)).toBe(f);
  for (const kind of faultKinds) {
    const one: Fault = faultsOfKind(kind)[0]!;
    expect(requireFault(one.name).kind).toBe(kind);
  }
  // The phase faults are those that strike at a phase (power-cut, the outages), with what each does.
  expect(Object.keys(phaseFaults)).toEqual(faultCatalogue.filter(strikesAtPhase).map((f) => f.name));
  expect(Object.keys(phaseFaults)).toEqual(expect.arrayContaining(['power-cut', 'network-down', 'registry-down']));
  let error: unknown;
  try {
    requireFault('meteor');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(UsageError);
  const message = (error as Error).message;
  expect(message).toMatch(/^Unknown fault "meteor"\. Known faults: power-cut, network-down, broken-init/);
  for (const kind of faultKinds) expect(message, `the hint names ${kind}`).toContain(`${kind}: `);
});

test('findFault finds every entry and names the known ones for an unknown one', () => {
  for (const f of faultCatalogue) expect(findFault(f.name)).toBe(f);
  expect(() => findFault('meteor')).toThrow(/Unknown fault "meteor"\. Known faults: power-cut, network-down/);
});

test('each refusal entry makes a whole case for a subject, named as the sanity suites title it', () => {
  const device = { version: '2.9.7+rev1', layout: '2.x', supervisor: '7.4.3' } as Release;
  const subject = { device, target: '2.12.3+rev1', missing: '2.99.0+rev1', spareLabel: 'resin-rootB' };
  const cases = refusalFaults.map((f) => f.refusal(subject));
  expect(cases.map((c) => c.name)).toEqual([
    'wrong device type (no --force-slug)',
    'unreachable registry',
    'missing image tag',
    'update lock held',
    'spare root too small',
    "a mislabelled hostOS image (the running release's image under the target's tag)",
    "an unlabelled hostOS image whose root is another release's (refused after the export)",
  ]);
  for (const c of cases) {
    expect(c.device).toBe(device);
    expect([1, 9]).toContain(c.exitCode);
  }
  expect(cases[2]!.target).toBe('2.99.0+rev1');
  expect('image resin/resinos:2.99.0_rev1-beaglebone-black not found in registry').toMatch(cases[2]!.message);
  expect(
    () => findFault('missing-tag').kind === 'refusal' && refusalFaults[2]!.refusal({ device, target: 'x' }),
  ).toThrow(/needs a subject with missing/);
});
