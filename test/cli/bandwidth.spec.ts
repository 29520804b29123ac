// `hupbench bandwidth` against a results folder of a fixture run (bandwidth-results-fixture.ts): the
// whole update per path and component with the device's own bytes, the findings, the seed's ranges,
// the filters, the app what-if, the budget's exit codes, and a clear refusal when nothing matches.
import { test, expect } from '@playwright/test';
import { withAppOf } from '../../harness/cli/bandwidth-command.ts';
import { updateBandwidth } from '../../harness/report/update-bandwidth.ts';
import { migration } from '../report/fixture/update-traffic.ts';
import { bbb, rpi, writeResultsFixture } from './bandwidth-results-fixture.ts';
import { inProcess } from './in-process.ts';

let results: string;
test.beforeAll(async ({}, testInfo) => {
  results = writeResultsFixture(testInfo.outputPath('results'));
});

const bandwidth = (...args: string[]) => inProcess('bandwidth', '--results', results, ...args);

test('prints the whole update per path and component, the device without SSH, the findings and the seed ranges', async () => {
  const out = await bandwidth('--rig', bbb);
  expect(out.code, out.stderr).toBe(0);
  expect(out.stdout).toMatch(
    /^rig\s+path\s+hostOS\s+supervisor\s+tools\/resinhup\s+app\s+protocol\s+total served\s+device received\s+device sent\s+findings$/m,
  );
  expect(out.stdout).toMatch(
    /^qemu-beaglebone-black\s+1\.30\.1 → 2\.12\.3\+rev1\s+100\.0\s+50\.0\s+45\.0\s+323\.0\s+2\.0\s+520\.0\s+530\.0\s+7\.0\s+1$/m,
  );
  expect(out.stdout).toMatch(/^\s+seed's range\s+70–120 MB\s+40–70 MB\s+~50 MB$/m);
  expect(out.stdout).toContain('supervisor 40–70 MB, layers cached between versions');
  expect(out.stdout).toMatch(
    /By phase[^\n]*\n(.*\n)? {2}qemu-beaglebone-black 1\.30\.1 → 2\.12\.3\+rev1: fetch-tools 45\.0, first-boot 373\.0$/m,
  );
  expect(out.stdout).toMatch(
    /Findings:\n {2}qemu-beaglebone-black 1\.30\.1 → 2\.12\.3\+rev1: held-pulled-again, app re-pulled 323 MiB in first-boot/,
  );
  // A fault's test is shown as such; a record of the updater's run only keeps the old figures.
  expect(out.stdout).toMatch(/2\.9\.7\+rev1 → 2\.12\.3\+rev1 \(fault link-drop\)/);
  expect(out.stdout).toMatch(
    /Measured while the updater ran only[^\n]*\n.*\n.*\nqemu-beaglebone-black\s+2\.0\.0\+rev2 → 2\.12\.3\+rev1\s+17\.0\s+0\.3\s+passed/,
  );
  expect(out.stdout).not.toContain(rpi);
});

test('--json: per path its components, device figures and findings; filters by --from and --to', async () => {
  const out = await bandwidth('--json', '--from', '2.9.7+rev1', '--to', '2.12.3+rev1');
  expect(out.code, out.stderr).toBe(0);
  const json = JSON.parse(out.stdout) as {
    filter: Record<string, string>;
    paths: Array<{ rig: string; fault?: string; whole: { wholeMiB: number; wholeBasis: string; components: object } }>;
    seedRanges: Record<string, string>;
  };
  expect(json.filter).toMatchObject({ from: '2.9.7+rev1', to: '2.12.3+rev1' });
  expect(json.paths.map((p) => `${p.rig} ${p.fault ?? ''}`)).toEqual([`${bbb} `, `${bbb} link-drop`, `${rpi} `]);
  expect(json.paths[0]!.whole).toMatchObject({
    wholeMiB: 104,
    wholeBasis: 'device received',
    components: { hostOS: 90 },
  });
  expect(json.paths[2]!.whole).toMatchObject({ wholeMiB: 101, wholeBasis: 'registry served' });
  expect(json.seedRanges.hostOS).toBe('70–120 MB');
});

test('--app-mb N: the paths that pulled their app again, priced with an N MB app', async () => {
  const out = await bandwidth('--rig', bbb, '--app-mb', '30');
  expect(out.code, out.stderr).toBe(0);
  expect(out.stdout).toMatch(/\s+with a 30 MB app$/m);
  // 530 MiB less the 323 MiB app, plus 30 MB (28.6 MiB); the clean path is unchanged.
  expect(out.stdout).toMatch(/^qemu-beaglebone-black\s+1\.30\.1 → 2\.12\.3\+rev1\s.*\s1\s+235\.6$/m);
  expect(out.stdout).toMatch(/^qemu-beaglebone-black\s+2\.9\.7\+rev1 → 2\.12\.3\+rev1\s.*\s0\s+104\.0$/m);
  expect(withAppOf(updateBandwidth(migration)!, 323 * 1.048576)).toBeCloseTo(530, 6);
  const help = await inProcess('bandwidth', '--help');
  expect(help.stdout).toMatch(/--app-mb <n>\s+what if the app were N MB/);
  expect(help.stdout).toMatch(/runs\s+nothing: measure first with `npm run hil`/);
});

test('--budget-mib: exit 1 naming the paths over it, 0 when all are within; a fault is not judged', async () => {
  const over = await bandwidth('--budget-mib', '250');
  expect(over.code, over.stderr).toBe(1);
  expect(over.stdout).toMatch(
    /Budget 250 MiB: 1 path over it:\n {2}qemu-beaglebone-black 1\.30\.1 → 2\.12\.3\+rev1: 530\.0 MiB \(device received\)$/m,
  );
  const within = await bandwidth('--budget-mib', '250', '--from', '2.9.7+rev1');
  expect(within.code, within.stdout).toBe(0);
  expect(within.stdout).toContain('Budget 250 MiB: every path within it (2 judged).');
  // The registry's total where the device was not counted.
  const rpiOver = await bandwidth('--budget-mib', '100', '--rig', rpi, '--json');
  expect(rpiOver.code).toBe(1);
  expect(JSON.parse(rpiOver.stdout).budget).toEqual({ budgetMiB: 100, over: [`${rpi} 2.9.7+rev1 → 2.12.3+rev1`] });
});

test('refuses (exit 2): no record matches, no such folder, nothing to judge, a bad number', async () => {
  const none = await bandwidth('--rig', rpi, '--from', '1.30.1');
  expect(none.code).toBe(2);
  expect(none.stderr).toContain(`No bandwidth record in ${results} matches --rig ${rpi} --from 1.30.1.`);
  expect(none.stderr).toMatch(/It has: qemu-beaglebone-black 2\.9\.7\+rev1 → 2\.12\.3\+rev1;.*`npm run hil`/);
  const empty = await inProcess(
    'bandwidth',
    '--results',
    writeResultsFixture(`${results}-empty`, []),
    '--to',
    '2.12.3+rev1',
  );
  expect(empty.code).toBe(2);
  expect(empty.stderr).toMatch(
    /No bandwidth record in .*-empty for --to 2\.12\.3\+rev1: no update path of that run recorded one\..*`npm run hil`/,
  );
  const missing = await inProcess('bandwidth', '--results', '/nonexistent/run');
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/No results folder \/nonexistent\/run\..*npm run hil/);
  const oldOnly = await bandwidth('--from', '2.0.0+rev2', '--budget-mib', '10');
  expect(oldOnly.code).toBe(2);
  expect(oldOnly.stderr).toMatch(/no path .* has a whole-update record to judge/);
  const bad = await bandwidth('--budget-mib', 'lots');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--budget-mib <n>' argument 'lots' is invalid\. a number above 0/);
});
