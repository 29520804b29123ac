// The report, built for real and looked at in a browser: a renderer-fixture run (the real
// reporters, evidence code and retry policy, on recorded console and snapshot data; see
// fixture/report.fixture.ts) → finalize + `allure generate` → Debian's Chromium opens it and
// the timeline, the attachments, the DeviceState tables, the categories and the bandwidth chart
// must render. Screenshots are kept as attachments of this test.
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReport, type BuiltReport } from '../../harness/report/build-report.ts';
import type { RunSummary } from '../../harness/report/run-summary.ts';
import { upgrade2xPhases } from './fixture/upgrade-2x-phases.ts';
import { serveReport, type ServedReport } from '../../harness/report/serve-report.ts';

const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = '/usr/bin/chromium';

test.describe.configure({ mode: 'serial' });

let out: string;
let report: BuiltReport;
let served: ServedReport;
let browser: Browser;
let page: Page;

interface TestCaseData {
  uid: string;
  name: string;
  status: string;
  hidden?: boolean;
}
const testCases = (): TestCaseData[] =>
  readdirSync(path.join(report.reportDir, 'data/test-cases')).map((f) =>
    JSON.parse(readFileSync(path.join(report.reportDir, 'data/test-cases', f), 'utf8')),
  );
/** The test's shown result (Allure keeps earlier attempts as hidden retries of it). */
const testCase = (prefix: string) => {
  const found = testCases().find((t) => t.name.startsWith(prefix) && !t.hidden);
  if (!found)
    throw new Error(
      `no test case "${prefix}…" in the report; it has: ${testCases()
        .map((t) => t.name)
        .join(', ')}`,
    );
  return found;
};

test.beforeAll(async ({}, testInfo) => {
  test.setTimeout(180_000);
  out = testInfo.outputPath('renderer-fixture-run');
  const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(
      path.join(root, 'node_modules/.bin/playwright'),
      ['test', '--config', 'test/report/fixture/report-fixture.config.ts'],
      {
        cwd: root,
        env: { ...process.env, HUPBENCH_FIXTURE_RESULTS: out },
      },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
  // Note: the fixture fails on purpose (five failures), so Playwright exits 1.
  expect(run.code, run.output).toBe(1);
  report = await buildReport(out);
  served = await serveReport(report.reportDir);
  expect(
    existsSync(chromiumPath),
    `${chromiumPath} is missing: apt-get install -y chromium (harness/setup/ensure-host.ts installs it)`,
  ).toBe(true);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
});

test.afterAll(async () => {
  await browser?.close();
  await served?.close();
});

test('the summary counts with the retry policy: infrastructure retries are flaky, product failures stay failed', async () => {
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
  const verdicts = Object.fromEntries(summary.rows.map((r) => [r.title.replace('renderer fixture: ', ''), r.verdict]));
  expect(verdicts['2.x → 2.x: 2.9.7+rev1 → 2.12.3+rev1']).toMatchObject({ result: 'passed' });
  expect(verdicts['QEMU would not start on the first attempt']).toMatchObject({
    result: 'flaky',
    retriedFor: ['infrastructure'],
  });
  expect(verdicts['product failure that a retry would pass']).toMatchObject({
    result: 'failed',
    kind: 'product',
    retriedIntoPass: true,
  });
  expect(verdicts['product failure whose retry the policy fails']).toEqual({
    result: 'failed',
    attempts: 2,
    kind: 'product',
    retriedIntoPass: false,
  });
  expect(verdicts['the updated OS never reached its login prompt']).toEqual({
    result: 'failed',
    attempts: 2,
    kind: 'product',
    retriedIntoPass: false,
  });
  expect(verdicts['product failure in export']).toMatchObject({ result: 'failed', kind: 'product' });
  expect(verdicts['SSH never came up']).toMatchObject({ result: 'failed', kind: 'infrastructure' });
  expect(summary).toMatchObject({ passed: 3, failed: 5, flaky: 1 });
});

test('JUnit agrees: a product failure whose retry the fixture fails is a failure, not a flaky pass', async () => {
  const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
  const testcase = (name: string) =>
    junit.match(new RegExp(`<testcase name="renderer fixture: ${name}"[\\s\\S]*?</testcase>`))?.[0] ?? '';
  expect(testcase('product failure whose retry the policy fails')).toContain('<failure');
  expect(testcase('the updated OS never reached its login prompt')).toContain('<failure');
  expect(testcase('QEMU would not start on the first attempt')).not.toContain('<failure');
});

test("the run's power-cut rows become its guarantee table, as they stood when each test ended", async () => {
  const table = readFileSync(path.join(out, 'guarantee-table-renderer-fixture.md'), 'utf8');
  expect(table).toContain('# Power-cut guarantees (renderer-fixture)');
  expect(table).toMatch(
    /^\| renderer-fixture \| upgrade-2\.x\.sh \| export \+1500 \| old-os \| old-os \(resin-rootA, 2\.9\.7\+rev1\) \| ok \| ok \|/m,
  );
});

test('the report builds in well under a minute', async () => {
  expect(report.buildMs).toBeLessThan(60_000);
  expect(report.finalize).toMatchObject({ retriedProductFailures: 1, flaky: 1 });
  // The retry the policy failed is shown as the failure it was.
  expect(testCase('renderer fixture: product failure whose retry the policy fails').status).toBe('failed');
  test.info().annotations.push({ type: 'report-build', description: `${report.buildMs} ms` });
});

test('categories tell infrastructure faults from product failures', async () => {
  // What Allure decided (its data), then what the page shows.
  // categories.json: category → message group → test.
  type Node = { name: string; uid: string; children?: Node[] };
  const data = JSON.parse(readFileSync(path.join(report.reportDir, 'data/categories.json'), 'utf8')) as Node;
  const leaves = (n: Node): string[] =>
    n.children ? n.children.flatMap(leaves) : [n.name.replace('renderer fixture: ', '')];
  const members = Object.fromEntries(data.children!.map((c) => [c.name, leaves(c).sort()]));
  expect(members['Infrastructure faults (rig, not product)']).toEqual(['SSH never came up']);
  expect(members['Product failures (the OS or the updater)']).toEqual([
    'product failure in export',
    'product failure that a retry would pass',
    'product failure whose retry the policy fails',
    'the updated OS never reached its login prompt',
  ]);
  expect(members['Retried infrastructure faults (flaky)']).toEqual(['QEMU would not start on the first attempt']);

  await page.goto(`${served.url}#categories`);
  const tree = page.locator('allure-tree-view');
  await expect(tree).toContainText('Infrastructure faults (rig, not product)');
  await expect(tree).toContainText('Product failures (the OS or the updater)');
  await tree.getByText('Infrastructure faults (rig, not product)').click();
  await tree.getByText('WaitTimeoutError: SSH on 127.0.0.1:4022 not reached').click();
  await expect(tree).toContainText('renderer fixture: SSH never came up');
  await test.info().attach('categories.png', { body: await page.screenshot(), contentType: 'image/png' });
});

test('an update shows its phase timeline, DeviceState tables, per-boot consoles and labels', async () => {
  const tc = testCase('renderer fixture: 2.x');
  await page.goto(`${served.url}#testresult/${tc.uid}`);
  await expect(page.getByText('Parameters')).toBeVisible();
  for (const [name, value] of [
    ['device type', 'beaglebone-black'],
    ['from', '2.9.7+rev1'],
    ['to', '2.12.3+rev1'],
    ['path class', '2x'],
  ]) {
    await expect(page.locator('.pane__section', { hasText: 'Parameters' })).toContainText(`${name}: ${value}`);
  }
  await page.getByText('phase-timeline.html').first().click();
  const timeline = page.frameLocator('iframe').first();
  const phases = [...upgrade2xPhases, 'reboot (to login + SSH)'];
  await expect(timeline.locator('svg.hup-timeline g.phase')).toHaveCount(phases.length);
  expect(
    await timeline.locator('svg.hup-timeline g.phase').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-phase'))),
  ).toEqual(phases);
  // Every bar has a width: the chart is drawn from real step times.
  const widths = await timeline
    .locator('svg.hup-timeline g.phase rect')
    .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
  expect(widths.every((w) => w > 0)).toBe(true);
  await page.locator('iframe').first().scrollIntoViewIfNeeded();
  const screenshot = test.info().outputPath('report-timeline.png');
  await page.screenshot({ path: screenshot });
  await test.info().attach('report-timeline.png', { path: screenshot, contentType: 'image/png' });

  // Note: the renderer fixture calls the evidence code from an afterEach hook, so its attachments
  // sit in After Hooks › afterEach hook (the suites' boxed evidence fixture puts them at the top).
  await page.locator('.attachment-row', { hasText: 'phase-timeline.html' }).click(); // collapse: one preview at a time
  await expect(page.locator('iframe')).toHaveCount(0);
  await page.getByText('After Hooks').click();
  await page.getByText('afterEach hook').click();
  for (const name of [
    'updater.log',
    'device-state.json',
    'bandwidth.json',
    'serial-console.log',
    'serial-console-boot-1.log',
    'serial-console-boot-2.log',
    'boot-events.json',
    'device-state.html',
  ]) {
    await expect(page.locator('.attachment-row', { hasText: name }).first(), `attachment ${name}`).toBeVisible();
  }
  await page.locator('.attachment-row', { hasText: 'device-state.html' }).first().click();
  const state = page.frameLocator('iframe').first();
  await expect(state.locator('h2', { hasText: 'Active root' })).toBeVisible();
  await expect(state.locator('tr.changed', { hasText: 'resin_root_part' })).toContainText('3');
  await expect(state.locator('tr.changed', { hasText: 'VERSION' }).first()).toContainText('2.12.3+rev1');
  await page.locator('.attachment-row', { hasText: 'serial-console-boot-2.log' }).first().click();
  // The second boot's log opens as text: the recorded U-Boot banner and the login prompt.
  await expect(page.getByText(/Found U-Boot script \/boot\.scr[\s\S]*beaglebone-black login:/).first()).toBeVisible();
});

test('a product failure that a retry passed is shown failed, with the retry policy saying why', async () => {
  const tc = testCase('renderer fixture: product failure that a retry would pass');
  expect(tc.status).toBe('failed');
  await page.goto(`${served.url}#testresult/${tc.uid}`);
  await expect(page.getByText('hupbench retry policy: attempt 1 was a product failure').first()).toBeVisible();
});

test('the run summary shows the bandwidth chart across paths', async () => {
  const tc = testCase('Run summary (not a test)');
  await page.goto(`${served.url}#testresult/${tc.uid}`);
  await page.getByText('bandwidth-across-paths.html').first().click();
  const chart = page.frameLocator('iframe').first();
  await expect(chart.locator('svg.hup-bandwidth g.path')).toHaveCount(1);
  await expect(chart.locator('svg.hup-bandwidth')).toContainText('17.2 MiB');
  // The whole update: stacked by component, the app's re-pull marked.
  await expect(chart.locator('svg.hup-bandwidth')).toContainText('MiB per update path, whole update');
  await expect(chart.locator('svg.hup-bandwidth g.legend')).toContainText('tools/resinhup');
  await expect(chart.locator('svg.hup-bandwidth line.finding')).toHaveCount(1);
  await expect(chart.locator('svg.hup-bandwidth')).toContainText('re-pulled 4.0 MiB');
  await test.info().attach('report-bandwidth.png', { body: await page.screenshot(), contentType: 'image/png' });
});
