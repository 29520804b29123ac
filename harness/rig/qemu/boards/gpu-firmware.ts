// The Raspberry Pi's GPU firmware, emulated on the host: at every boot it reads config.txt from the
// boot partition of the SD card and loads the kernel it names (for resinOS: U-Boot) and the dtb.
// Read from the card as it is now (the qcow2 overlay), since a host OS update may have changed them.
import { $ } from 'zx';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InfraError } from '../../../errors.ts';

export interface FirmwareFiles {
  kernel: string;
  dtb: string;
  config: Record<string, string>;
}

export async function readFirmwareFiles(diskPath: string, outDir: string, dtbName: string): Promise<FirmwareFiles> {
  await mkdir(outDir, { recursive: true });
  const header = path.join(outDir, 'mbr.raw');
  await $`qemu-img dd -f qcow2 -O raw bs=1M count=1 if=${diskPath} of=${header}`;
  const table = JSON.parse((await $`sfdisk --json ${header}`.quiet()).stdout) as { partitiontable: { partitions: Array<{ start: number; size: number }> } };
  const boot = table.partitiontable.partitions[0];
  if (!boot) throw new InfraError(`GPU firmware: the SD card ${diskPath} has no partition table`);
  const bootPart = path.join(outDir, 'boot.raw');
  // qemu-img dd counts in blocks of bs; the boot partition starts and ends on MiB boundaries.
  const MiBSectors = 2048;
  await $`rm -f ${bootPart}`;
  await $`qemu-img dd -f qcow2 -O raw bs=1M skip=${boot.start / MiBSectors} count=${Math.ceil(boot.size / MiBSectors)} if=${diskPath} of=${bootPart}`;
  const configText = (await $`mtype -i ${bootPart} ::config.txt`.nothrow()).stdout;
  if (!configText) throw new InfraError(`GPU firmware: no config.txt on the boot partition of ${diskPath}; the board would not boot`);
  const config = Object.fromEntries(
    configText.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && l.includes('=')).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  const kernelName = config.kernel ?? 'kernel8.img';
  const kernel = path.join(outDir, 'kernel.bin');
  const dtb = path.join(outDir, 'board.dtb');
  for (const [name, out] of [[kernelName, kernel], [config.device_tree ?? dtbName, dtb]] as const) {
    const copy = await $`mcopy -o -n -i ${bootPart} ${`::${name}`} ${out}`.nothrow();
    if (copy.exitCode !== 0) throw new InfraError(`GPU firmware: cannot read ${name} (named by config.txt) from the boot partition: ${copy.stderr.trim()}`);
  }
  await readFile(kernel); // fail here, not inside QEMU, if the copy is unreadable
  return { kernel, dtb, config };
}
