// The report's parts on their own: which side failed, the retry verdicts, the timeline built from
// Allure steps, and the rendered tables and charts.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSnapshot } from '../../harness/device/device-state.ts';
import { timelinesFromSteps } from '../../harness/report/allure-finalize.ts';
import { attemptFailureKind, failureHeadline, failureKind } from '../../harness/report/failure-kind.ts';
import { renderBandwidthSvg } from '../../harness/report/render/bandwidth-svg.ts';
import { renderDeviceStateHtml } from '../../harness/report/render/device-state-html.ts';
import { renderTimelineSvg } from '../../harness/report/render/timeline-svg.ts';
import { verdictOf } from '../../harness/report/retry-policy.ts';

const infra = {
  message: 'qemu-beaglebone-black: QEMU did not start.',
  stack: 'InfraError: qemu-beaglebone-black: QEMU did not start.\n    at QemuRig.startQemu',
};
const wait = {
  message: 'SSH on 127.0.0.1:4022 not reached after 120000ms',
  stack: 'WaitTimeoutError: SSH on 127.0.0.1:4022 not reached after 120000ms\n    at waitFor',
};
const product = {
  message: 'Error: expect(received).toBe(expected)',
  stack: 'Error: expect(received).toBe(expected)\n    at hup-2x.spec.ts:80',
};
const timeout = { message: 'Test timeout of 600000ms exceeded.' };

test('infrastructure faults are told from product failures by the error class', () => {
  expect(failureKind(infra)).toBe('infrastructure');
  expect(failureKind(wait)).toBe('infrastructure');
  expect(failureKind({ stack: '\u001b[31mInfraError\u001b[39m: serial port gone' })).toBe('infrastructure');
  expect(failureKind(product)).toBe('product');
  expect(
    failureKind({
      message: 'the updater logged InfraError in its output',
      stack: 'Error: the updater logged InfraError',
    }),
  ).toBe('product');
  expect(failureKind(timeout)).toBe('timeout');
  expect(
    failureKind({
      message: "SyntaxError: The requested module '../harness/index.ts' does not provide an export named 'x'",
      stack: "SyntaxError: The requested module '../harness/index.ts' does not provide an export named 'x'",
    }),
  ).toBe('harness');
  expect(attemptFailureKind([infra, product])).toBe('product');
  expect(attemptFailureKind([infra, wait])).toBe('infrastructure');
});

test('retries: only infrastructure faults may be retried into a pass', () => {
  expect(verdictOf([{ status: 'passed', errors: [] }])).toEqual({ result: 'passed', attempts: 1 });
  expect(
    verdictOf([
      { status: 'failed', errors: [infra] },
      { status: 'passed', errors: [] },
    ]),
  ).toEqual({ result: 'flaky', attempts: 2, retriedFor: ['infrastructure'] });
  expect(
    verdictOf([
      { status: 'failed', errors: [product] },
      { status: 'passed', errors: [] },
    ]),
  ).toEqual({ result: 'failed', attempts: 2, kind: 'product', retriedIntoPass: true });
  expect(
    verdictOf([
      { status: 'timedOut', errors: [timeout] },
      { status: 'passed', errors: [] },
    ]),
  ).toMatchObject({ result: 'failed', kind: 'timeout', retriedIntoPass: true });
  expect(
    verdictOf([
      { status: 'failed', errors: [infra] },
      { status: 'failed', errors: [infra] },
    ]),
  ).toMatchObject({ result: 'failed', kind: 'infrastructure' });
  const load = {
    message: "SyntaxError: The requested module '../harness/index.ts' does not provide an export named 'x'",
    stack: 'SyntaxError: The requested module',
  };
  expect(
    verdictOf([
      { status: 'failed', errors: [load] },
      { status: 'passed', errors: [] },
    ]),
  ).toEqual({ result: 'flaky', attempts: 2, retriedFor: ['harness'] });
  // A retry a fixture skipped because the first attempt was a product failure.
  expect(
    verdictOf([
      { status: 'failed', errors: [product] },
      { status: 'skipped', errors: [] },
    ]),
  ).toMatchObject({ result: 'failed', kind: 'product', attempts: 1 });
  expect(verdictOf([{ status: 'skipped', errors: [] }])).toMatchObject({ result: 'skipped' });
});

test('the timeline is built from the updater phase steps, one per updater run, with the reboot', () => {
  const step = (name: string, start: number, stop: number, status = 'passed') => ({ name, start, stop, status });
  const runs = timelinesFromSteps([
    step('boot 2.9.7+rev1', 0, 900),
    step('updater phase: checks', 1000, 2500),
    step('updater phase: pull', 2500, 9000),
    step('updater phase: export', 9000, 20000, 'failed'),
    step('reboot into the new OS', 20000, 47000),
    step('retry: updater phase: checks', 60000, 61000),
  ]);
  expect(runs.map((r) => r.title)).toEqual(['Updater run 1', 'Updater run 2 (retry)']);
  // The rerun after a pre-step is nested in its own step.
  const nested = timelinesFromSteps([
    step('updater phase: checks', 0, 1000),
    {
      ...step('run the updater again after its pre-step', 1000, 9000),
      steps: [step('updater phase: checks', 1000, 2000), step('updater phase: backup', 2000, 9000)],
    },
  ]);
  expect(nested.map((r) => [r.title, r.segments.map((x) => x.name)])).toEqual([
    ['Updater run 1', ['checks']],
    ['Updater run 2 (run the updater again after its pre-step)', ['checks', 'backup']],
  ]);
  expect(runs[0]!.segments).toEqual([
    { name: 'checks', startMs: 0, durationMs: 1500, status: 'passed' },
    { name: 'pull', startMs: 1500, durationMs: 6500, status: 'passed' },
    { name: 'export', startMs: 8000, durationMs: 11000, status: 'failed' },
    { name: 'reboot (to login + SSH)', startMs: 19000, durationMs: 27000, status: 'passed' },
  ]);
  const svg = renderTimelineSvg(runs[0]!.segments);
  expect(svg.match(/<g class="phase"/g)).toHaveLength(4);
  expect(svg).toContain('fill="#d9534f"'); // the failed phase in red
  expect(svg).toContain('27.0 s');
  // Bars are proportional: export (11 s) is 11/27 of the reboot's width.
  const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
  expect(widths[2]! / widths[3]!).toBeCloseTo(11 / 27, 2);
});

test('DeviceState before/after renders as tables with the changed rows marked', () => {
  const snapshot = readFileSync(path.join(import.meta.dirname, '../fixtures/bbb-snapshot.txt'), 'utf8');
  const before = parseSnapshot(snapshot);
  const after = parseSnapshot(
    snapshot.replace('resin_root_part=2', 'resin_root_part=3').replace('/dev/vda2 / ext4', '/dev/vda3 / ext4'),
  );
  const html = renderDeviceStateHtml({ before, after });
  expect(html).toMatch(/<tr class="changed"><td>resin_root_part<\/td><td>2<\/td><td>3<\/td><\/tr>/);
  expect(html).toMatch(/<tr><td>MACHINE<\/td><td>beaglebone-black<\/td><td>beaglebone-black<\/td><\/tr>/);
  expect(html).toContain('resin-rootB · ext4');
  expect(renderDeviceStateHtml(before)).toContain('<th>snapshot</th>');
  expect(renderDeviceStateHtml({ before, after: undefined } as never)).toContain('<th>before</th>');
});

test('the bandwidth chart has one bar per path and rig, scaled to the largest', () => {
  const svg = renderBandwidthSvg([
    { path: '2.0.0+rev2 → 2.12.3+rev1', rig: 'qemu-beaglebone-black', receivedMiB: 20, sentMiB: 0.1 },
    { path: '2.9.7+rev1 → 2.12.3+rev1', rig: 'qemu-raspberrypi3', receivedMiB: 10, sentMiB: 0.1 },
  ]);
  expect(svg.match(/<g class="path"/g)).toHaveLength(2);
  const widths = [...svg.matchAll(/height="12" fill="#4a90d9"/g)].length;
  expect(widths).toBe(2);
  expect(svg).toContain('20.0 MiB');
  expect(renderBandwidthSvg([])).toContain('no update path recorded bandwidth');
});

test('a failure headline says what failed, past a matcher hint', () => {
  expect(
    failureHeadline(
      '\u001b[2mexpect(\u001b[22mreceived).toBootFrom(expected)\n\nexpected the device to boot from resin-rootB; it runs from /dev/vda2',
    ),
  ).toBe('expect(received).toBootFrom(expected): expected the device to boot from resin-rootB; it runs from /dev/vda2');
  expect(
    failureHeadline('Error: os-release of the running OS is the target version\n\nexpect(received).toBe(expected)'),
  ).toBe('Error: os-release of the running OS is the target version');
});
