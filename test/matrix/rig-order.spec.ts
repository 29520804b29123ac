// The run order of rigs and the schedule model the nightly estimate uses: a single-instance slow rig
// started first runs beside the others; queued last, it runs alone at the end.
import { test, expect } from '@playwright/test';
import { rigsByLoad } from '../../harness/matrix/rig-order.ts';
import { scheduleMs, uniformContention } from '../../bench/schedule.ts';

const durations = {
  '[qemu-beaglebone-black] › suites/a.spec.ts › one': 200_000,
  '[qemu-beaglebone-black] › suites/a.spec.ts › two': 240_000,
  '[qemu-beaglebone-black] › suites/a.spec.ts › three': 260_000,
  '[qemu-raspberrypi3] › suites/a.spec.ts › one': 500_000,
  '[virtual-bench-beaglebone-black] › suites/a.spec.ts › one': 30_000,
};

test('the rig with the longest recorded tests per instance comes first; unrecorded rigs last, by name', () => {
  const rigs = [
    { name: 'qemu-beaglebone-black', instances: 2 },
    { name: 'zz-new-bench', instances: 1 },
    { name: 'qemu-raspberrypi3', instances: 1 },
    { name: 'aa-new-bench', instances: 1 },
    { name: 'virtual-bench-beaglebone-black', instances: 1 },
  ];
  expect(rigsByLoad(rigs, durations).map((r) => r.name)).toEqual([
    'qemu-raspberrypi3',
    'qemu-beaglebone-black',
    'virtual-bench-beaglebone-black',
    'aa-new-bench',
    'zz-new-bench',
  ]);
  // Instances divide the load: a BeagleBone rig with 10 instances is no longer the busier one.
  const many = rigsByLoad(
    [
      { name: 'qemu-beaglebone-black', instances: 10 },
      { name: 'virtual-bench-beaglebone-black', instances: 1 },
    ],
    durations,
  );
  expect(many.map((r) => r.name)).toEqual(['virtual-bench-beaglebone-black', 'qemu-beaglebone-black']);
});

test('a free worker takes the first queued test whose rig has a free instance', () => {
  const instances = { bbb: 2, pi: 1 };
  const bbb = Array.from({ length: 4 }, () => ({ rig: 'bbb', ms: 100 }));
  const pi = Array.from({ length: 2 }, () => ({ rig: 'pi', ms: 300 }));
  // Pi queued last: the BeagleBone tests take both workers (200), then the Pi's two run one after
  // the other on one instance while the second worker idles: 200 + 600.
  expect(scheduleMs([...bbb, ...pi], 2, instances)).toBe(800);
  // Pi first: one worker runs the Pi all along (600), the other the BeagleBone tests beside it.
  expect(scheduleMs([...pi, ...bbb], 2, instances)).toBe(600);
  // One worker: the sum, whatever the order.
  expect(scheduleMs([...pi, ...bbb], 1, instances)).toBe(1000);
  // A rig never runs more tests at once than it has instances, however many workers are free.
  expect(scheduleMs(pi, 2, instances)).toBe(600);
});

test('boards slow each other only while they run at the same time, by the pair that runs', () => {
  const instances = { bbb: 2, pi: 1 };
  // A board alone runs at full speed, whatever the contention.
  expect(scheduleMs([{ rig: 'pi', ms: 300 }], 2, instances, uniformContention(1.5))).toBe(300);
  // Two together at 1.5×: the shorter ends at 150, the longer's remaining 200 runs alone: 350.
  const pair = [
    { rig: 'bbb', ms: 100 },
    { rig: 'bbb', ms: 300 },
  ];
  expect(scheduleMs(pair, 2, instances, uniformContention(1.5))).toBe(350);
  // A board that takes both cores (the Pi's multi-threaded TCG) slows its neighbour more than a pair of BeagleBones.
  const piHeavy = (rig: string, others: string[]) =>
    !others.length ? 1 : rig === 'pi' || others.includes('pi') ? 2 : 1.2;
  expect(
    scheduleMs(
      [
        { rig: 'pi', ms: 100 },
        { rig: 'bbb', ms: 100 },
      ],
      2,
      instances,
      piHeavy,
    ),
  ).toBe(200);
  expect(scheduleMs(pair, 2, instances, piHeavy)).toBe(320);
});
