// Where a resinOS layout puts each partition on a card, in the device's terms (start sector, size in
// bytes), so a suite can compare a snapshot's table with the builder's placement of DESIGN.md's layouts.
import { type LayoutName, placePartitions } from '../../images/lib/layout.ts';
import type { DeviceState } from './device-state.ts';

export interface PartitionGeometry {
  number: number;
  label?: string;
  startSector: number;
  sizeBytes: number;
}

/** The card's end: where its last partition (resin-data, which runs to the end) ends, in sectors. */
export function cardEndSector(state: DeviceState): number {
  const last = state.partitions.at(-1);
  if (!last) throw new Error('the device state lists no partitions: cannot tell where the card ends');
  return last.startSector + last.sizeBytes / 512;
}

/** The builder's placement of `layout`, with resin-data running to `endSector` (the card's own end). */
export function layoutGeometry(layout: LayoutName, endSector: number): PartitionGeometry[] {
  return placePartitions(layout).map(({ number, label, startBytes, sizeBytes, sizeMiB }) => ({
    number,
    label,
    startSector: startBytes / 512,
    sizeBytes: sizeMiB ? sizeBytes : endSector * 512 - startBytes,
  }));
}

/** A snapshot's primary and logical partitions (the extended one aside) in the same terms. */
export function deviceGeometry(state: DeviceState): PartitionGeometry[] {
  return state.partitions
    .filter((p) => p.number !== 4)
    .map(({ number, label, startSector, sizeBytes }) => ({ number, label, startSector, sizeBytes }));
}
