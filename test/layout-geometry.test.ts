// The 1.x and 2.x geometries differ the way the migration's two-stage table rewrite needs them to
// (upgrade-1.x-to-2.x.sh): resin-boot kept, resin-rootA the running 1.x root grown in place, the backup
// on the 1.x spare root clear of everything stage 1 writes, 2.x resin-data further in; and the device-side
// geometry helpers the suites compare a snapshot with.
import { test, expect } from '@playwright/test';
import { placePartitions } from '../images/lib/layout.ts';
import type { EngineName } from '../images/lib/engine.ts';
import { cardEndSector, deviceGeometry, layoutGeometry } from '../harness/device/layout-geometry.ts';
import type { DeviceState, PartitionState } from '../harness/device/device-state.ts';

const MiB = 2 ** 20;
const byNumber = (layout: '1.x' | '2.x', engine: EngineName) =>
  Object.fromEntries(placePartitions(layout, undefined, engine).map((p) => [p.number, p]));

for (const engine of ['lean', 'moby'] as const) {
  test(`${engine}: the 2.x table is a rewrite of the 1.x one the migration can make in two stages`, () => {
    const one = byNumber('1.x', engine);
    const two = byNumber('2.x', engine);
    expect(two[1]).toEqual({ ...one[1], label: 'resin-boot' });
    expect(two[2]!.startBytes, 'resin-rootA is the 1.x root grown in place').toBe(one[2]!.startBytes);
    expect(two[2]!.sizeBytes).toBeGreaterThan(one[2]!.sizeBytes);
    expect(two[3]!.sizeBytes).toBe(two[2]!.sizeBytes);
    expect(two[5]!.sizeBytes, 'resin-state is larger than resin-conf').toBeGreaterThan(one[5]!.sizeBytes);
    const extended2x = two[5]!.startBytes - MiB;
    expect(
      one[3]!.startBytes + one[3]!.sizeBytes,
      'the backup (1.x spare root) ends before stage 1 writes',
    ).toBeLessThanOrEqual(extended2x);
    expect(two[3]!.startBytes + two[3]!.sizeBytes).toBeLessThanOrEqual(extended2x);
    expect(two[6]!.startBytes, '2.x resin-data starts further in').toBeGreaterThan(one[6]!.startBytes);
    expect(two[6]!.startBytes + two[6]!.sizeBytes).toBe(one[6]!.startBytes + one[6]!.sizeBytes);
  });
}

const part = (number: number, label: string, startMiB: number, sizeMiB: number): PartitionState => ({
  device: `/dev/vda${number}`,
  number,
  label,
  startSector: (startMiB * MiB) / 512,
  sizeBytes: sizeMiB * MiB,
});

test('a snapshot compares with the builder placement, resin-data to the card end, the extended partition aside', () => {
  const placed = placePartitions('2.x', 1024 * MiB, 'lean');
  const partitions = placed.map((p) => part(p.number, p.label, p.startBytes / MiB, p.sizeBytes / MiB));
  partitions.splice(3, 0, { device: '/dev/vda4', number: 4, startSector: 524 * 2048, sizeBytes: 1024 });
  const state = { partitions } as DeviceState;
  expect(cardEndSector(state)).toBe((1024 * MiB) / 512);
  expect(deviceGeometry(state).map((p) => p.number)).toEqual([1, 2, 3, 5, 6]);
  expect(deviceGeometry(state)).toEqual(layoutGeometry('2.x', cardEndSector(state)));
  // A larger card: the same starts, resin-data to its end.
  const bigger = layoutGeometry('2.x', (4096 * MiB) / 512);
  expect(bigger.at(-1)!.sizeBytes).toBe(4096 * MiB - placed.at(-1)!.startBytes);
  expect(() => cardEndSector({ partitions: [] as PartitionState[] } as DeviceState)).toThrow(/no partitions/);
});
