// Which device a flash may write to: only the configured SD card, and never a disk the host uses.
// Checked after the mux has switched the card to the host, right before anything is written.
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InfraError } from '../../errors.ts';

export class FlashRefused extends InfraError {
  override name = 'FlashRefused';
}

export interface FlashTarget {
  /** The configured path (e.g. /dev/disk/by-id/…). */
  configured: string;
  /** What it resolves to (e.g. /dev/sdc). */
  resolved: string;
  kind: 'block-device' | 'card-image-file';
  sizeBytes: number;
}

/**
 * Resolves the configured card and refuses it unless it is a whole disk that nothing on this host
 * has mounted, swaps on or stacks on (LVM, RAID, dm-crypt). A regular file is accepted only as the
 * virtual bench's card (`allowCardImageFile`).
 */
export async function checkFlashTarget(
  configured: string,
  opts: { allowCardImageFile?: boolean } = {},
): Promise<FlashTarget> {
  const resolved = await realpath(configured).catch(() => {
    throw new FlashRefused(
      `The SD card ${configured} is not present. Is the mux switched to the host and its USB cable plugged in? (\`ls -l /dev/disk/by-id/\` lists the disks this host sees.)`,
    );
  });
  const st = await stat(resolved);
  const shown = resolved === configured ? configured : `${configured} (→ ${resolved})`;
  if (st.isFile()) {
    if (!opts.allowCardImageFile)
      throw new FlashRefused(
        `Refusing to flash ${shown}: it is a regular file, not a block device. sdMux.device must name the SD card as the mux presents it, e.g. /dev/disk/by-id/usb-LinuxAut_sdmux_HS-SD_MMC_<serial>-0:0.`,
      );
    return { configured, resolved, kind: 'card-image-file', sizeBytes: st.size };
  }
  if (!st.isBlockDevice())
    throw new FlashRefused(
      `Refusing to flash ${shown}: it is neither a block device nor the virtual bench's card file.`,
    );

  const name = path.basename(resolved);
  const sys = `/sys/class/block/${name}`;
  if (await exists(`${sys}/partition`)) {
    throw new FlashRefused(
      `Refusing to flash ${shown}: it is a partition, not a whole card. Name the card itself (the by-id path without "-partN").`,
    );
  }
  const parts = (await readdir(sys).catch(() => [] as string[])).filter((e) => e.startsWith(name));
  const devices = [name, ...parts];
  const numbers = new Map<string, string>();
  for (const d of devices) numbers.set((await readFile(`${d === name ? sys : `${sys}/${d}`}/dev`, 'utf8')).trim(), d);

  for (const use of await hostUses(devices, numbers)) {
    throw new FlashRefused(
      `Refusing to flash ${shown}: /dev/${use.device} ${use.what}. This looks like a disk the host uses (a system disk), not the SD card behind the mux. Check sdMux.device in the rig file: it must be the card's own /dev/disk/by-id/ path.`,
    );
  }
  const sectors = Number((await readFile(`${sys}/size`, 'utf8')).trim());
  return { configured, resolved, kind: 'block-device', sizeBytes: sectors * 512 };
}

/** Mounts, swaps and stacked devices on any of `devices` (a disk and its partitions). */
async function hostUses(
  devices: string[],
  numbers: Map<string, string>,
): Promise<Array<{ device: string; what: string }>> {
  const uses: Array<{ device: string; what: string }> = [];
  const byPath = new Set(devices.map((d) => `/dev/${d}`));
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 10) continue;
    const source = fields[fields.indexOf('-') + 2] ?? '';
    const sourceDevice = source.startsWith('/dev/') ? await realpath(source).catch(() => source) : '';
    const device = numbers.get(fields[2]!) ?? (byPath.has(sourceDevice) ? path.basename(sourceDevice) : undefined);
    if (device) uses.push({ device, what: `is mounted at ${fields[4]}` });
  }
  for (const line of (await readFile('/proc/swaps', 'utf8').catch(() => '')).split('\n').slice(1)) {
    const source = line.split(/\s+/)[0] ?? '';
    if (source && byPath.has(await realpath(source).catch(() => source)))
      uses.push({ device: path.basename(source), what: 'is a swap area' });
  }
  for (const d of devices) {
    const base = d === devices[0] ? `/sys/class/block/${d}` : `/sys/class/block/${devices[0]}/${d}`;
    const holders = await readdir(`${base}/holders`).catch(() => [] as string[]);
    if (holders.length) uses.push({ device: d, what: `is in use by ${holders.join(', ')} (LVM, RAID or dm-crypt)` });
  }
  return uses;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
