// Bench rig files and the flash guard: a rig can only ever write to its own SD card. System disks
// named by kernel name are refused when the file is read; anything the host uses (mounted, swap,
// stacked) is refused when a flash resolves the card, before anything is opened for writing.
import { test, expect } from '@playwright/test';
import { mkdtemp, readFile, rm, symlink, writeFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseRigConfig, RigConfigError } from '../harness/rig/rig-config.ts';
import { checkFlashTarget, FlashRefused } from '../harness/rig/bench/flash-target.ts';

const rigWithCard = (device: string) => `
name: my-bench
kind: bench
deviceType: beaglebone-black
console: { serial: { path: /dev/serial/by-id/usb-FTDI_TTL232R-3V3_FT0ABC12-if00-port0 } }
power: { commands: { on: "usbrelay HURTM_1=1", off: "usbrelay HURTM_1=0" } }
sdMux:
  usbsdmux: { control: /dev/usb-sd-mux/id-000000000815 }
  device: ${device}
address: { fixed: 192.168.10.21 }
`;

for (const disk of [
  '/dev/sda',
  '/dev/sdb',
  '/dev/nvme0n1',
  '/dev/mmcblk0',
  '/dev/vda',
  '/dev/sda1',
  '/dev/disk/by-uuid/2f6c0c9e-1111-4aaa-9bbb-000000000000',
]) {
  test(`a rig file whose SD card is ${disk} is refused, naming the field and the fix`, () => {
    const error = (() => {
      try {
        parseRigConfig(rigWithCard(disk), 'rigs/my-bench.yaml');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(RigConfigError);
    expect(error!.message).toContain('rigs/my-bench.yaml is not a valid rig file');
    expect(error!.message).toMatch(/sdMux\.device: names a disk by its kernel name .* Refusing to flash it/);
    expect(error!.message).toContain('/dev/disk/by-id/');
  });
}

test("a card named by its stable id is accepted, with the wiring's defaults", () => {
  const config = parseRigConfig(
    rigWithCard('/dev/disk/by-id/usb-LinuxAut_sdmux_HS-SD_MMC_000000000815-0:0'),
    'rigs/my-bench.yaml',
  );
  expect(config.kind).toBe('bench');
  if (config.kind !== 'bench') return;
  expect(config.console).toEqual({
    serial: { path: '/dev/serial/by-id/usb-FTDI_TTL232R-3V3_FT0ABC12-if00-port0', baud: 115200 },
  });
  expect(config.address).toEqual({ fixed: '192.168.10.21', sshPort: 22 });
  expect(config.sdMux?.switchTimeoutSeconds).toBe(30);
});

test('a real bench without its wiring, or a virtual one with wiring, is refused field by field', () => {
  expect(() =>
    parseRigConfig('name: my-bench\nkind: bench\ndeviceType: beaglebone-black\n', 'rigs/my-bench.yaml'),
  ).toThrow(/console: required for a bench rig[\s\S]*power: required[\s\S]*sdMux: required[\s\S]*address: required/);
  expect(() =>
    parseRigConfig(
      'name: my-bench\nkind: bench\ndeviceType: beaglebone-black\nvirtualBench: {}\naddress: { fixed: 10.0.0.2 }\n',
      'rigs/my-bench.yaml',
    ),
  ).toThrow(/address: not allowed with virtualBench/);
  expect(() =>
    parseRigConfig(
      rigWithCard('/dev/disk/by-id/x').replace(
        'usbsdmux: { control: /dev/usb-sd-mux/id-000000000815 }',
        'commands: { host: a, board: b }\n  usbsdmux: { control: /dev/sg1 }',
      ),
      'rigs/my-bench.yaml',
    ),
  ).toThrow(/sdMux: give exactly one of/);
});

/** The whole disk holding this host's root filesystem, from /proc/self/mountinfo and sysfs. */
async function rootDisk(): Promise<string | undefined> {
  const root = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[4] === '/');
  const [major, minor] = (root?.[2] ?? '0:0').split(':');
  if (major === '0') return undefined; // overlay, tmpfs…: no block device
  const sysPath = await readlink(`/sys/dev/block/${major}:${minor}`).catch(() => undefined);
  if (!sysPath) return undefined;
  const name = path.basename(sysPath);
  const isPartition = await readFile(`/sys/class/block/${name}/partition`).then(
    () => true,
    () => false,
  );
  return `/dev/${isPartition ? path.basename(path.dirname(sysPath)) : name}`;
}

test.describe('the flash guard', () => {
  let dir: string;
  test.beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hupbench-guard-'));
  });
  test.afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("refuses this host's system disk even behind a by-id-looking name", async () => {
    const disk = await rootDisk();
    test.skip(!disk, 'the root filesystem of this host is not on a block device');
    const alias = path.join(dir, 'usb-LinuxAut_sdmux_HS-SD_MMC_000000000815-0:0');
    await symlink(disk!, alias);
    const error = await checkFlashTarget(alias).catch((e: Error) => e);
    expect(error).toBeInstanceOf(FlashRefused);
    expect((error as Error).message).toContain(`Refusing to flash ${alias} (→ ${disk})`);
    expect((error as Error).message).toMatch(/is mounted at \/[\s\S]*system disk/);
  });

  test('refuses a regular file unless it is the virtual bench card, and a missing card says what to check', async () => {
    const file = path.join(dir, 'card.img');
    await writeFile(file, Buffer.alloc(4096));
    await expect(checkFlashTarget(file)).rejects.toThrow(/it is a regular file, not a block device/);
    await expect(checkFlashTarget(file, { allowCardImageFile: true })).resolves.toMatchObject({
      kind: 'card-image-file',
      sizeBytes: 4096,
    });
    await expect(checkFlashTarget(path.join(dir, 'absent'))).rejects.toThrow(
      /is not present. Is the mux switched to the host/,
    );
  });

  test('refuses a device node that is not a disk', async () => {
    await expect(checkFlashTarget('/dev/null')).rejects.toThrow(
      /neither a block device nor the virtual bench's card file/,
    );
  });
});
