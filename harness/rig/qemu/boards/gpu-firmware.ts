// The Raspberry Pi's GPU firmware, emulated on the host: at every boot it reads config.txt from the
// boot partition of the SD card and loads the kernel it names and the dtb; like the real firmware, an
// `initramfs <file> followkernel` line loads an initramfs and cmdline.txt becomes the kernel's
// command line. resinOS 2.x names U-Boot as the kernel (which ignores both); 1.x boots Linux
// straight from resin-boot, its root chosen by cmdline.txt's `root=`.
// Read from the card as it is now (the qcow2 overlay), since a host OS update may have changed them.
import { $ } from 'zx';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InfraError } from '../../../errors.ts';

export interface FirmwareFiles {
  kernel: string;
  dtb: string;
  config: Record<string, string>;
  /** From config.txt's `initramfs <file> followkernel`. */
  initrd?: string;
  /** cmdline.txt, one line, when the boot partition has one. */
  cmdline?: string;
}

/** config.txt as the firmware reads it: `key=value` lines, and `initramfs <file> [followkernel|<address>]`. */
export function parseConfigTxt(text: string): { config: Record<string, string>; initramfs?: string } {
  const config: Record<string, string> = {};
  let initramfs: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const ramfs = line.match(/^initramfs\s+(\S+)/);
    if (ramfs) initramfs = ramfs[1];
    else if (line.includes('=')) {
      const [key, value] = line.split(/=(.*)/s) as [string, string];
      config[key.trim()] = value.trim();
    }
  }
  return { config, initramfs };
}

export async function readFirmwareFiles(diskPath: string, outDir: string, dtbName: string): Promise<FirmwareFiles> {
  await mkdir(outDir, { recursive: true });
  const header = path.join(outDir, 'mbr.raw');
  await $`qemu-img dd -f qcow2 -O raw bs=1M count=1 if=${diskPath} of=${header}`;
  const table = JSON.parse((await $`sfdisk --json ${header}`.quiet()).stdout) as {
    partitiontable: { partitions: Array<{ start: number; size: number }> };
  };
  const boot = table.partitiontable.partitions[0];
  if (!boot) throw new InfraError(`GPU firmware: the SD card ${diskPath} has no partition table`);
  const bootPart = path.join(outDir, 'boot.raw');
  // qemu-img dd counts in blocks of bs; the boot partition starts and ends on MiB boundaries.
  const MiBSectors = 2048;
  await $`rm -f ${bootPart}`;
  await $`qemu-img dd -f qcow2 -O raw bs=1M skip=${boot.start / MiBSectors} count=${Math.ceil(boot.size / MiBSectors)} if=${diskPath} of=${bootPart}`;
  const configText = (await $`mtype -i ${bootPart} ::config.txt`.nothrow()).stdout;
  if (!configText)
    throw new InfraError(`GPU firmware: no config.txt on the boot partition of ${diskPath}; the board would not boot`);
  const { config, initramfs } = parseConfigTxt(configText);
  // Note: kernel8.img is what the firmware of a Pi 3 in 64-bit mode boots when config.txt names none.
  const kernelName = config.kernel ?? 'kernel8.img';
  const kernel = path.join(outDir, 'kernel.bin');
  const dtb = path.join(outDir, 'board.dtb');
  const initrd = initramfs ? path.join(outDir, 'initrd.img') : undefined;
  const wanted: Array<[string, string]> = [
    [kernelName, kernel],
    [config.device_tree ?? dtbName, dtb],
  ];
  if (initramfs) wanted.push([initramfs, initrd!]);
  for (const [name, out] of wanted) {
    const copy = await $`mcopy -o -n -i ${bootPart} ${`::${name}`} ${out}`.nothrow();
    if (copy.exitCode !== 0)
      throw new InfraError(
        `GPU firmware: cannot read ${name} (named by config.txt) from the boot partition: ${copy.stderr.trim()}`,
      );
  }
  const cmdlineRead = await $`mtype -i ${bootPart} ::cmdline.txt`.nothrow().quiet();
  const cmdline = cmdlineRead.exitCode === 0 ? cmdlineRead.stdout.split('\n')[0]!.trim() || undefined : undefined;
  await readFile(kernel); // fail here, not inside QEMU, if the copy is unreadable
  return { kernel, dtb, config, initrd, cmdline };
}
