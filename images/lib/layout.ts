// The SD-card layouts of DESIGN.md, as data: the builder writes them, the device model checks them.
import { type EngineName, selectedEngine } from './engine.ts';

export type LayoutName = '1.x' | '2.x';
export type Filesystem = 'vfat' | 'ext4' | 'btrfs';

export interface PartitionSpec {
  number: number;
  label: string;
  fs: Filesystem;
  /** Size in MiB; undefined = the rest of the card. */
  sizeMiB?: number;
}

const MiB = 1024 * 1024;
export const CARD_SIZE_BYTES = 1024 * MiB;

/**
 * The two geometries differ as resinOS 1.x and 2.x cards did (resinhup's upgrade-1.x-to-2.x.sh: the
 * migration grows p2 in place, moves p3 after it, and moves the extended partition with resin-state and
 * resin-data further in), scaled to a 1 GiB card: 2.x roots are larger, the 1.x resin-conf smaller than
 * resin-state, and 2.x resin-data starts 120 MiB later. The 1.x spare root (p3) holds the
 * migration's staged 2.x OS, its own tools and the resin-data backup: what the first two leave is the
 * ~170 MB backup cap (bench/data-cap.ts).
 */
export const layouts: Record<LayoutName, PartitionSpec[]> = {
  '2.x': [
    { number: 1, label: 'resin-boot', fs: 'vfat', sizeMiB: 40 },
    { number: 2, label: 'resin-rootA', fs: 'ext4', sizeMiB: 240 },
    { number: 3, label: 'resin-rootB', fs: 'ext4', sizeMiB: 240 },
    { number: 5, label: 'resin-state', fs: 'ext4', sizeMiB: 20 },
    { number: 6, label: 'resin-data', fs: 'ext4' },
  ],
  '1.x': [
    { number: 1, label: 'resin-boot', fs: 'vfat', sizeMiB: 40 },
    { number: 2, label: 'resin-root', fs: 'ext4', sizeMiB: 186 },
    { number: 3, label: 'resin-updt', fs: 'ext4', sizeMiB: 186 },
    { number: 5, label: 'resin-conf', fs: 'ext4', sizeMiB: 8 },
    { number: 6, label: 'resin-data', fs: 'btrfs' },
  ],
};

/**
 * The moby engine's root partitions and card: Debian's engine adds ~150 MB to the root tree and the
 * release's kernel modules up to ~200 MB more (a Pi 2.12.3+rev1 root: 365.5 MB of files, ~400 MB on
 * ext4), and resin-data holds the engine's unpacked layers besides their downloads. 1.x roots grow
 * less, as real 1.x roots were smaller: they hold a 1.x root (BeagleBone 1.30.1: 230 MB on ext4) with
 * some room, and the 1.x spare root holds the migration's staged 2.x OS (its zstd export, about its
 * compressed layers: 90-120 MB), the tools and the resin-data backup, which leaves the ~170 MB cap.
 */
const MOBY_ROOT_EXTRA_MIB: Record<LayoutName, number> = { '2.x': 300, '1.x': 110 };
// Note: a power of 2: QEMU's raspi3b takes no other SD card size.
const MOBY_CARD_SIZE_BYTES = 4096 * MiB;

export function layoutFor(layout: LayoutName, engine: EngineName = selectedEngine()): PartitionSpec[] {
  if (engine === 'lean') return layouts[layout];
  return layouts[layout].map((p) =>
    p.number === 2 || p.number === 3 ? { ...p, sizeMiB: p.sizeMiB! + MOBY_ROOT_EXTRA_MIB[layout] } : p,
  );
}

export function cardBytesFor(engine: EngineName = selectedEngine()): number {
  return engine === 'lean' ? CARD_SIZE_BYTES : MOBY_CARD_SIZE_BYTES;
}

export interface PlacedPartition extends PartitionSpec {
  startBytes: number;
  sizeBytes: number;
}

/**
 * Places a layout on a card: primaries 1-3, extended 4 over the rest, logicals 5 and 6 each after
 * a 1 MiB gap for their EBR. The first partition starts at 4 MiB (room for a raw bootloader).
 */
export function placePartitions(
  layout: LayoutName,
  cardBytes = cardBytesFor(),
  engine: EngineName = selectedEngine(),
): PlacedPartition[] {
  let cursor = 4 * MiB;
  const placed: PlacedPartition[] = [];
  for (const part of layoutFor(layout, engine)) {
    if (part.number >= 5) cursor += MiB; // EBR gap
    const sizeBytes = part.sizeMiB ? part.sizeMiB * MiB : cardBytes - cursor;
    placed.push({ ...part, startBytes: cursor, sizeBytes });
    cursor += sizeBytes;
  }
  return placed;
}

/** An sfdisk script for the placed layout (MBR). */
export function sfdiskScript(parts: PlacedPartition[]): string {
  const sectors = (bytes: number) => bytes / 512;
  const lines = ['label: dos', 'unit: sectors', ''];
  const logicalStart = parts.find((p) => p.number === 5)!.startBytes - MiB;
  for (const p of parts) {
    if (p.number === 5) lines.push(`start=${sectors(logicalStart)}, type=5`);
    const type = p.fs === 'vfat' ? 'c' : '83';
    const bootable = p.number === 1 ? ', bootable' : '';
    lines.push(`start=${sectors(p.startBytes)}, size=${sectors(p.sizeBytes)}, type=${type}${bootable}`);
  }
  return `${lines.join('\n')}\n`;
}
