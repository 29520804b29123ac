// The hupbench command as a user meets it: help with examples on every command, the matrix, and
// bad input refused before anything starts, naming what is wrong and the known values (exit 2).
// Plus the release-gate verdict from a run's summary.
import { test, expect } from '@playwright/test';
import { loadReleases } from '../../images/lib/releases.ts';
import { hupbench } from '../hupbench-command.ts';
import { inProcess } from './in-process.ts';

const commands = ['paths', 'run', 'gate', 'nightly', 'report', 'bandwidth', 'flash', 'console', 'check', 'images'];

test('the installed command runs: bin/hupbench.js --help, and a refusal exits 2', async () => {
  const top = await hupbench('--help');
  expect(top.code, top.stderr).toBe(0);
  for (const c of commands) expect(top.stdout).toContain(c);
  const bad = await hupbench('gate', '7.0.0');
  expect(bad.stderr).toMatch(/Unknown version "7\.0\.0"/);
  expect(bad.code).toBe(2);
});

test('every command has --help with examples', async () => {
  for (const c of commands) {
    const help = await inProcess(c, '--help');
    expect(help.code, `${c} --help`).toBe(0);
    expect(help.stdout, `${c} --help`).toMatch(/Examples:\n\s+\$ (hupbench|npm run)/);
  }
});

test('paths lists the matrix from images/releases.yaml, filterable', async () => {
  const out = await inProcess('paths', '--json', '--rig', 'qemu-beaglebone-black', '--class', '2x');
  expect(out.code, out.stderr).toBe(0);
  const rows = JSON.parse(out.stdout) as Array<{ rig: string; from: string; to: string; pathClass: string }>;
  const twoX = (await loadReleases()).filter((r) => r.layout === '2.x').map((r) => r.version);
  // Every older 2.x release to every newer one.
  expect(rows.length).toBe((twoX.length * (twoX.length - 1)) / 2);
  expect(new Set(rows.map((r) => r.rig))).toEqual(new Set(['qemu-beaglebone-black']));
  expect(rows.every((r) => r.pathClass === '2x' && twoX.indexOf(r.from) < twoX.indexOf(r.to))).toBe(true);
  const table = await inProcess('paths', '--to', twoX.at(-1)!);
  expect(table.stdout).toMatch(/^rig\s+device type\s+from\s+to/m);
});

/** `hupbench run` on the newest 2.x path of the BeagleBone rig, with more options. */
const run2x = (...more: string[]) => [
  'run',
  '--rig',
  'qemu-beaglebone-black',
  '--from',
  '2.9.7+rev1',
  '--to',
  '2.12.3+rev1',
  ...more,
];

const refusals: Array<[string[], RegExp]> = [
  [
    ['run', '--rig', 'no-such-rig', '--from', '2.9.7+rev1', '--to', '2.12.3+rev1'],
    /Unknown rig "no-such-rig"\. Known rigs: .*qemu-beaglebone-black/,
  ],
  [
    ['run', '--rig', 'qemu-beaglebone-black', '--from', '9.9.9', '--to', '2.12.3+rev1'],
    /Unknown version "9\.9\.9"\. Known versions: .*2\.9\.7\+rev1/,
  ],
  [
    ['run', '--rig', 'qemu-beaglebone-black', '--from', '2.12.3+rev1', '--to', '2.9.7+rev1'],
    /No upgrade path 2\.12\.3\+rev1 → 2\.9\.7\+rev1 on qemu-beaglebone-black\. Paths on qemu-beaglebone-black: .*2\.9\.7\+rev1 → 2\.12\.3\+rev1/,
  ],
  [run2x('--fault', 'meteor'), /Unknown fault "meteor"\. Known faults: power-cut, network-down, broken-init/],
  [
    run2x('--fault', 'power-cut'),
    /--fault power-cut needs --at PHASE.*checks, stop-supervisor, pull, format-spare, export/,
  ],
  [run2x('--fault', 'power-cut', '--at', 'exprot'), /Unknown phase "exprot"\. Known phases: checks, .*export/],
  [run2x('--fault', 'broken-init', '--at', 'export'), /broken-init .* takes no --at/],
  [run2x('--at', 'export'), /--at needs a --fault/],
  [['gate', '7.0.0'], /Unknown version "7\.0\.0"\. Known versions:/],
  [
    ['gate', '2.0.0+rev2'],
    /No supported source version updates to 2\.0\.0\+rev2.*Versions that are update targets: .*2\.12\.3\+rev1/,
  ],
  [['gate', '2.12.3+rev1', '--rig', 'bench-42'], /Unknown rig "bench-42"/],
  [['paths', '--class', '3x'], /Unknown path class "3x"\. Known path classes: 2x, 1x-2x, 1x/],
  [
    ['images', '--device-type', 'toaster'],
    /Unknown device type "toaster"\. Known device types: beaglebone-black, raspberrypi3-64/,
  ],
  [['check', '--rig', 'nope'], /Unknown rig "nope"/],
  [['console', '--rig', 'qemu-beaglebone-black'], /needs an image to boot: --release VERSION or --image FILE/],
  [['flash', '--rig', 'qemu-beaglebone-black'], /Say what to flash: --release VERSION .* or --image FILE/],
  [['report', '/nonexistent/results'], /No results folder \/nonexistent\/results/],
  [['nightly', '--shard', '4/3'], /--shard "4\/3" is not a shard: give i\/n with 1 ≤ i ≤ n/],
  [['nightly', '--shard', 'half'], /--shard "half" is not a shard/],
  [['nightly', '--workers', '0'], /--workers 0 runs nothing/],
  // --from is optional since --profile can give the source; without either it is still refused.
  [
    ['run', '--rig', 'qemu-beaglebone-black', '--to', '2.12.3+rev1'],
    /Give a version with --from \(or --profile\)\. Known versions: 1\.26\.0/,
  ],
  // commander's own parse errors are bad input too.
  [['nightly', '--workers', 'two'], /option '--workers <n>' argument 'two' is invalid\. a whole number/],
  [run2x('--fault', 'power-cut', '--at', 'export', '--after-ms', '-5'), /--after-ms/],
  [['frobnicate'], /unknown command 'frobnicate'/],
  [['gate', '2.12.3+rev1', '--workers', '0'], /--workers 0 runs nothing/],
  [['gate', '2.12.3+rev1', '--only', 'paths'], /categories are update paths, rollback, sanity, power cuts/],
];

test('refuses: a gate on the lean engine (a release verdict needs the real engine)', async () => {
  const before = process.env.HUPBENCH_ENGINE;
  process.env.HUPBENCH_ENGINE = 'lean';
  try {
    const out = await inProcess('gate', '2.12.3+rev1', '--rig', 'qemu-beaglebone-black');
    expect(out.stderr).toMatch(/HUPBENCH_ENGINE=lean selects the lean shell model.*needs the real engine/);
    expect(out.code).toBe(2);
  } finally {
    if (before === undefined) delete process.env.HUPBENCH_ENGINE;
    else process.env.HUPBENCH_ENGINE = before;
  }
});

for (const [args, message] of refusals) {
  test(`refuses: hupbench ${args.join(' ')}`, async () => {
    const out = await inProcess(...args);
    expect(out.stderr).toMatch(message);
    expect(out.code).toBe(2);
  });
}
