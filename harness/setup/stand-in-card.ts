// The stand-in SD card the rig-start check gives QEMU (harness/setup/rig-start.ts): a tiny boot
// partition with what the emulated firmware reads at start, built with mtools and sfdisk.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './apt.ts';

/**
 * The card QEMU is given: a stand-in whose resin-boot has what the emulated Raspberry Pi firmware
 * reads (config.txt, a placeholder u-boot.bin, a minimal device tree); QEMU loads them at start and
 * never runs them. Note: not a built reference image: the check must not depend on the image cache
 * (empty on a fresh host, pruned by concurrent builds), and what it proves is the host's side.
 */
export async function sdCard(dir: string): Promise<string> {
  const boot = path.join(dir, 'boot.vfat');
  const card = path.join(dir, 'card.raw');
  const files = path.join(dir, 'boot-files');
  await mkdir(files, { recursive: true });
  await writeFile(path.join(files, 'config.txt'), 'kernel=u-boot.bin\nenable_uart=1\narm_64bit=1\n');
  await writeFile(path.join(files, 'u-boot.bin'), Buffer.alloc(4096));
  await writeFile(path.join(files, 'bcm2837-rpi-3-b.dtb'), minimalDeviceTree());
  const steps: Array<[string, string[]]> = [
    ['mkfs.vfat', ['-C', boot, String(8 * 1024)]], // 8 MiB, in KiB
    [
      'mcopy',
      ['-i', boot, ...['config.txt', 'u-boot.bin', 'bcm2837-rpi-3-b.dtb'].map((f) => path.join(files, f)), '::'],
    ],
    ['truncate', ['-s', '16M', card]], // raspi3b takes only power-of-two SD cards
  ];
  for (const [cmd, args] of steps) await must(cmd, args);
  await must('sh', ['-c', `echo 'start=2048, size=16384, type=c' | sfdisk -q "$1"`, 'sh', card]);
  await must('dd', [`if=${boot}`, `of=${card}`, 'bs=1M', 'seek=1', 'conv=notrunc', 'status=none']);
  return card;
}

async function must(cmd: string, args: string[]): Promise<void> {
  const out = await runCommand([cmd, ...args]);
  if (out.exitCode !== 0)
    throw new Error(`${cmd} failed: ${out.stderr.trim().split('\n').at(-1) ?? `exit ${out.exitCode}`}`);
}

/**
 * A flattened device tree with a root node (#address-cells, #size-cells: what QEMU's loader reads
 * before it adds /memory and /chosen) and an empty /chosen. Format: devicetree-specification, ch. 5.
 */
export function minimalDeviceTree(): Buffer {
  const strings = Buffer.from('#address-cells\0#size-cells\0');
  const u32 = (...v: number[]) =>
    Buffer.concat(
      v.map((n) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
      }),
    );
  const name = (s: string) => {
    const b = Buffer.alloc(Math.ceil((s.length + 1) / 4) * 4);
    b.write(s);
    return b;
  };
  const [BEGIN_NODE, END_NODE, PROP, END] = [1, 2, 3, 9];
  const struct = Buffer.concat([
    u32(BEGIN_NODE),
    name(''),
    u32(PROP, 4, 0, 1), // #address-cells = <1>
    u32(PROP, 4, 15, 1), // #size-cells = <1>
    u32(BEGIN_NODE),
    name('chosen'),
    u32(END_NODE),
    u32(END_NODE),
    u32(END),
  ]);
  const headerSize = 40;
  const reserveMap = Buffer.alloc(16); // one terminating entry
  const offStruct = headerSize + reserveMap.length;
  const offStrings = offStruct + struct.length;
  const total = offStrings + strings.length;
  const header = u32(0xd00dfeed, total, offStruct, offStrings, headerSize, 17, 16, 0, strings.length, struct.length);
  return Buffer.concat([header, reserveMap, struct, strings]);
}
