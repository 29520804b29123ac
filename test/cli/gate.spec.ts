// The release gate's verdict and the exit codes of the commands that judge the product, from a
// run's summary rows: a product failure is 1 whether or not a retry passed, rig failures alone are
// 3, a check that did not run never passes, findings of unsafe windows lead the verdict, and a path
// over the release's bandwidth budget (or with none measured while one is set) fails it.
import { test, expect } from '@playwright/test';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findRelease } from '../../images/lib/releases.ts';
import { gateGrep, gateLines, gatePlan, powerCutTitle, type GatePlan } from '../../harness/cli/gate-plan.ts';
import { gateVerdict } from '../../harness/cli/gate-verdict.ts';
import { gateBudget } from '../../harness/cli/gate-budget.ts';
import { updateBandwidth } from '../../harness/report/update-bandwidth.ts';
import { clean2x, migration } from '../report/fixture/update-traffic.ts';
import { runExitCode } from '../../harness/report/run-exit-code.ts';
import type { RunSummary, SummaryRow } from '../../harness/report/run-summary.ts';
import type { Verdict } from '../../harness/report/retry-policy.ts';

const rig = 'qemu-beaglebone-black';
const target = '2.12.3+rev1';
const meta = { resultsDir: 'results/x', startedAt: new Date(0), durationMs: 60_000, playwrightExit: 0 };
const passed: Verdict = { result: 'passed', attempts: 1 };
const row = (title: string, verdict: Verdict = passed, extra: Partial<SummaryRow> = {}): SummaryRow => ({
  project: rig,
  title,
  file: '/x/suites/any.spec.ts',
  verdict,
  durationMs: 90_000,
  ...extra,
});
const summary = (rows: SummaryRow[]): RunSummary => ({
  startedAt: '',
  durationMs: 0,
  rows,
  passed: 0,
  failed: 0,
  skipped: 0,
  flaky: 0,
});

/** One summary row for every check the plan names, all passed; `edit` changes the ones it matches. */
function allChecks(plan: GatePlan, edit: (r: SummaryRow) => SummaryRow = (r) => r): SummaryRow[] {
  const rows = [
    ...plan.paths.map((e) =>
      row(`x: ${e.path.name}`, passed, { from: e.path.from.version, to: e.path.to.version, file: `/x/${e.suite}` }),
    ),
    ...plan.rollbackTitles.map((t) => row(t)),
    ...plan.updaters.map((u) => row(`${u} refuses: downgrade`)),
    ...plan.powerCuts.map((c) => row(powerCutTitle(c))),
  ];
  return rows.map(edit);
}

let plan: GatePlan;
test.beforeAll(async () => {
  plan = await gatePlan(await findRelease(target), [rig], true);
});

test('the gate plan covers every category for a 2.x release: paths, rollback, refusals, a named power-cut sample', () => {
  expect(plan.paths.length).toBeGreaterThan(1);
  expect(plan.updaters).toContain('upgrade-2.x.sh');
  expect(plan.rollbackTitles).toContain(`rollback: broken-init (2.9.7+rev1 → ${target})`);
  expect(plan.powerCuts.map((c) => `${c.updater} ${c.phase}`)).toContain('upgrade-2.x.sh reboot');
  const grep = new RegExp(gateGrep(plan));
  expect(grep.test(`2.x → 2.x: 2.9.7+rev1 → ${target} @hup`)).toBe(true);
  expect(grep.test('upgrade-2.x.sh refuses: downgrade @sanity')).toBe(true);
  expect(grep.test('power cut: upgrade-2.x.sh in reboot → new-os @fault')).toBe(true);
  // Not in the --quick sample, and not the gated release.
  expect(grep.test('power cut: upgrade-2.x.sh in checks → old-os @fault')).toBe(false);
  expect(grep.test('2.x → 2.x: 2.0.0+rev2 → 2.9.7+rev1 @hup')).toBe(false);
});

test('every check passed: exit 0, PASS', () => {
  const v = gateVerdict(plan, gateLines(plan, [rig], summary(allChecks(plan))), meta);
  expect(v.exitCode).toBe(0);
  expect(v.markdown).toMatch(new RegExp(`^# Release gate: ${target.replace(/[.+]/g, '\\$&')} — PASS`));
  expect(v.markdown).toMatch(/^## power cuts: \d+ passed, 0 failed, 0 findings/m);
  expect(v.markdown).toContain('--quick: the sample upgrade-2.x.sh in pull, export, switch-boot, reboot');
});

test('a product failure that a retry passed fails the gate (exit 1) and the verdict names the check', () => {
  const failed: Verdict = { result: 'failed', attempts: 2, kind: 'product', retriedIntoPass: true };
  const rows = allChecks(plan, (r) =>
    r.title.startsWith('rollback: broken-init')
      ? { ...r, verdict: failed, error: 'ProductWaitError: U-Boot giving up on the new OS: did not happen.' }
      : r,
  );
  const v = gateVerdict(plan, gateLines(plan, [rig], summary(rows)), meta);
  expect(v.exitCode).toBe(1);
  expect(v.markdown).toMatch(/— FAIL/);
  expect(v.markdown).toMatch(
    /## Failures\n\n- \*\*qemu-beaglebone-black, rollback, broken-init \(2\.9\.7\+rev1 → 2\.12\.3\+rev1\)\*\*: ProductWaitError: U-Boot giving up/,
  );
});

test('a retried rig fault that then passed is a pass; rig failures alone are exit 3, no verdict', () => {
  const flaky: Verdict = { result: 'flaky', attempts: 2, retriedFor: ['infrastructure'] };
  const first = plan.paths[0]!.path;
  const withFlaky = allChecks(plan, (r) => (r.from === first.from.version ? { ...r, verdict: flaky } : r));
  expect(gateVerdict(plan, gateLines(plan, [rig], summary(withFlaky)), meta).exitCode).toBe(0);
  const rigFailed: Verdict = { result: 'failed', attempts: 2, kind: 'infrastructure', retriedIntoPass: false };
  const lost = allChecks(plan, (r) =>
    r.from === first.from.version ? { ...r, verdict: rigFailed, error: 'InfraError: QEMU did not start' } : r,
  );
  const v = gateVerdict(plan, gateLines(plan, [rig], summary(lost)), meta);
  expect(v.exitCode).toBe(3);
  expect(v.markdown).toMatch(/— NO VERDICT \(the rig failed\)/);
});

test('a check that did not run fails the gate', () => {
  const rows = allChecks(plan).filter((r) => !r.title.includes('refuses:'));
  const v = gateVerdict(plan, gateLines(plan, [rig], summary(rows)), meta);
  expect(v.exitCode).toBe(1);
  expect(v.markdown).toContain('| qemu-beaglebone-black | upgrade-2.x.sh: its refusals | NOT RUN |');
});

test('findings of unsafe windows lead the verdict', () => {
  const full = { ...plan, powerCuts: plan.powerCuts };
  const rows = allChecks(full, (r) =>
    r.title.startsWith('power cut: upgrade-1.x-to-2.x.sh in layout')
      ? { ...r, findings: ['known unsafe window layout: new-os after a rerun; resin-data intact'] }
      : r,
  );
  const v = gateVerdict(full, gateLines(full, [rig], summary(rows)), meta);
  expect(v.exitCode).toBe(0);
  expect(v.markdown).toMatch(
    /^# Release gate[^\n]*\n\n[^\n]*\n\n[^\n]*\n\n## Findings\n\n[^\n]*\n\n- \*\*qemu-beaglebone-black, power cuts, upgrade-1\.x-to-2\.x\.sh in layout → unsafe\*\*: known unsafe window layout/,
  );
});

test('exit codes: 0 passed, 1 product (or a timeout, or nothing ran), 3 only rig failures', () => {
  const fail = (kind: 'product' | 'infrastructure' | 'timeout' | 'harness'): Verdict => ({
    result: 'failed',
    attempts: 2,
    kind,
    retriedIntoPass: false,
  });
  expect(
    runExitCode([row('a'), row('b', { result: 'flaky', attempts: 2, retriedFor: ['infrastructure'] })], 0).code,
  ).toBe(0);
  expect(runExitCode([row('a'), row('b', fail('product'))], 1).code).toBe(1);
  expect(runExitCode([row('a'), row('b', fail('timeout'))], 1).code).toBe(1);
  expect(runExitCode([row('a', fail('harness'))], 1).code).toBe(1);
  expect(runExitCode([row('a', fail('infrastructure')), row('b', fail('product'))], 1).code).toBe(1);
  expect(runExitCode([row('a', fail('infrastructure')), row('b')], 1).code).toBe(3);
  expect(
    runExitCode([row('a', { result: 'failed', attempts: 2, kind: 'product', retriedIntoPass: true })], 0).code,
  ).toBe(1);
  expect(runExitCode([], 0).code).toBe(1);
  expect(runExitCode([row('a')], 1).code).toBe(1);
});

test('--only judges some categories, and the verdict says the gate was partial', async () => {
  const partial = await gatePlan(await findRelease(target), [rig], true, ['update paths']);
  const grep = new RegExp(gateGrep(partial));
  expect(grep.test(`2.x → 2.x: 2.9.7+rev1 → ${target} @hup`)).toBe(true);
  expect(grep.test('upgrade-2.x.sh refuses: downgrade @sanity')).toBe(false);
  expect(partial.rollbackTitles).toEqual([]);
  expect(partial.powerCuts).toEqual([]);
  const v = gateVerdict(partial, gateLines(partial, [rig], summary(allChecks(partial))), meta);
  expect(v.exitCode).toBe(0);
  expect(v.markdown).toMatch(/— PASS \(partial: only update paths\)/);
  expect(v.markdown).toContain('## sanity\n\nNot judged in this run (--only update paths).');
});

test.describe('the bandwidth budget', () => {
  const budget = { budgetMiB: 250, byDeviceType: {}, source: '/r/release.yaml' };
  /** Every check passed; the update paths with the whole update measured as `record` (or none). */
  const measured = (record?: Parameters<typeof updateBandwidth>[0]) =>
    allChecks(plan, (r) => (r.from && record ? { ...r, bandwidth: updateBandwidth(record) } : r));

  test('the verdict shows each path’s bandwidth, its components and findings, with or without a budget', () => {
    const v = gateVerdict(plan, gateLines(plan, [rig], summary(measured(clean2x))), meta);
    expect(v.exitCode).toBe(0);
    expect(v.markdown).toContain('## bandwidth: the whole update per path\n');
    expect(v.markdown).toContain('No bandwidth budget for this release');
    expect(v.markdown).toMatch(
      /\| qemu-beaglebone-black \| 2\.9\.7\+rev1 → 2\.12\.3\+rev1 \(2x, upgrade-2\.x\.sh\) \| 104\.0 \| 101\.0 \| 90\.0 \| 10\.0 \| 0\.0 \| 0\.0 \| 1\.0 \| 0 \| {2}\|/,
    );
    const withFindings = gateVerdict(plan, gateLines(plan, [rig], summary(measured(migration))), meta);
    expect(withFindings.markdown).toMatch(
      /Findings \(bytes an update did not need to move\):\n\n- qemu-beaglebone-black, 1\.26\.0 → 2\.12\.3\+rev1 \([^)]*\): held-pulled-again, app re-pulled 323 MiB in first-boot/,
    );
    // No record and no budget: no section at all.
    expect(gateVerdict(plan, gateLines(plan, [rig], summary(allChecks(plan))), meta).markdown).not.toContain(
      '## bandwidth',
    );
  });

  test('under the budget: PASS, each path marked within it', () => {
    const v = gateVerdict(plan, gateLines(plan, [rig], summary(measured(clean2x))), meta, budget);
    expect(v.exitCode).toBe(0);
    expect(v.markdown).toMatch(/— PASS/);
    expect(v.markdown).toContain('Budget (/r/release.yaml): 250 MiB per path');
    expect(v.markdown).toMatch(/\| 0 \| within 250 MiB \|/);
  });

  test('over the budget: FAIL (exit 1) naming the path, its MiB and the budget', () => {
    const v = gateVerdict(plan, gateLines(plan, [rig], summary(measured(migration))), meta, budget);
    expect(v.exitCode).toBe(1);
    expect(v.markdown).toMatch(/— FAIL/);
    expect(v.markdown).toMatch(
      /## Failures\n\n- \*\*qemu-beaglebone-black, bandwidth, 1\.26\.0 → 2\.12\.3\+rev1 \(1x-2x, upgrade-1\.x-to-2\.x\.sh\)\*\*: the whole update moved 530\.0 MiB \(device received\), over the budget of 250 MiB \(\/r\/release\.yaml\)/,
    );
    expect(v.markdown).toMatch(/\| \*\*OVER 250 MiB\*\* \|/);
    // A device type's own budget wins over the release's.
    const roomy = { ...budget, byDeviceType: { 'beaglebone-black': 600 } };
    expect(gateVerdict(plan, gateLines(plan, [rig], summary(measured(migration))), meta, roomy).exitCode).toBe(0);
  });

  test('a path that measured no bandwidth while a budget is set fails the gate', () => {
    const v = gateVerdict(plan, gateLines(plan, [rig], summary(allChecks(plan))), meta, budget);
    expect(v.exitCode).toBe(1);
    expect(v.markdown).toMatch(
      /- \*\*qemu-beaglebone-black, bandwidth, 2\.9\.7\+rev1 → 2\.12\.3\+rev1 \([^)]*\)\*\*: no bandwidth measured — the test made no whole-update bandwidth record, and \/r\/release\.yaml sets a budget of 250 MiB/,
    );
    // Rig failures alone are exit 3; a path over the budget makes it the product's failure.
    const rigFailed: Verdict = { result: 'failed', attempts: 2, kind: 'infrastructure', retriedIntoPass: false };
    const rows = measured(migration).map((r) =>
      r.title.startsWith('rollback') ? { ...r, verdict: rigFailed, error: 'InfraError: QEMU' } : r,
    );
    expect(gateVerdict(plan, gateLines(plan, [rig], summary(rows)), meta, budget).exitCode).toBe(1);
  });

  test("the budget comes from --budget-mib, else the release manifest's bandwidth section", async ({}, testInfo) => {
    const release = await findRelease(target);
    expect(await gateBudget(release)).toBeUndefined();
    expect(await gateBudget(release, 120)).toEqual({ budgetMiB: 120, byDeviceType: {}, source: '--budget-mib' });
    const dir = testInfo.outputPath('release');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'release.yaml');
    await writeFile(
      file,
      `version: ${release.version}\nlayout: ${release.layout}\nsupervisor: ${release.supervisor}\ndeviceTypes: {}\nbandwidth:\n  budgetMiB: 250\n  deviceTypes:\n    raspberrypi3-64: { budgetMiB: 300 }\n`,
    );
    expect(await gateBudget({ ...release, manifest: file })).toEqual({
      budgetMiB: 250,
      byDeviceType: { 'raspberrypi3-64': 300 },
      source: file,
    });
  });
});
