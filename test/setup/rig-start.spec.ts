// The setup proves each rig's QEMU starts, and a failure names the rig, the missing file and the
// package that ships it. The QEMU messages below are the ones Debian 12's QEMU 7.2 prints.
import { test, expect } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  checkRigsStart,
  describeStartFailure,
  explainQemuFailure,
  rigStartTargets,
  type RigStartResult,
} from '../../harness/setup/rig-start.ts';
import { minimalDeviceTree } from '../../harness/setup/stand-in-card.ts';

const hasQemu = spawnSync('sh', ['-c', 'command -v qemu-system-arm && command -v qemu-system-aarch64']).status === 0;
const root = path.resolve(import.meta.dirname, '../..');

test("QEMU's messages map to the file and the Debian package that ships it", () => {
  const rom = explainQemuFailure(
    'qemu-system-arm: -device virtio-net-pci,netdev=net0,id=nic0: failed to find romfile "efi-virtio.rom"\n',
    'qemu-system-arm',
  );
  expect(rom.missing).toMatchObject({
    file: 'efi-virtio.rom',
    requirement: { needs: '/usr/lib/ipxe/qemu/efi-virtio.rom', debianPackage: 'ipxe-qemu' },
  });
  const uboot = explainQemuFailure(
    "qemu-system-arm: Could not find ROM image '/nonexistent/usr/lib/u-boot/qemu_arm/u-boot.bin'\n",
    'qemu-system-arm',
  );
  expect(uboot.missing).toMatchObject({
    file: '/nonexistent/usr/lib/u-boot/qemu_arm/u-boot.bin',
    requirement: { debianPackage: 'u-boot-qemu' },
  });
  const binary = explainQemuFailure(
    'setpriv: failed to execute qemu-system-aarch64: No such file or directory\n',
    'qemu-system-aarch64',
  );
  expect(binary.missing?.requirement?.debianPackage).toBe('qemu-system-arm');
  const other = explainQemuFailure(
    "qemu-system-arm: -m 999999: cannot set up guest memory 'mach-virt.ram': Cannot allocate memory\n",
    'qemu-system-arm',
  );
  expect(other.missing).toBeUndefined();
});

test('a failure names the rigs, the file, its package and the command to run', () => {
  const result: RigStartResult = {
    deviceType: 'beaglebone-black',
    rigs: ['qemu-beaglebone-black', 'virtual-bench-beaglebone-black'],
    memoryMiB: 512,
    ok: false,
    ms: 80,
    stderr: '',
    failure: explainQemuFailure(
      'qemu-system-arm: -device virtio-net-pci,netdev=net0,id=nic0: failed to find romfile "efi-virtio.rom"',
      'qemu-system-arm',
    ),
  };
  expect(describeStartFailure(result)).toMatch(
    /^rig qemu-beaglebone-black, virtual-bench-beaglebone-black: QEMU would not start: efi-virtio.rom \(\/usr\/lib\/ipxe\/qemu\/efi-virtio.rom\) is missing: .*Debian package ipxe-qemu ships it; run as root: apt-get install -y --no-install-recommends ipxe-qemu\n {4}QEMU said: .*failed to find romfile "efi-virtio.rom"$/,
  );
});

test('every non-example rig that runs QEMU on this host is checked, grouped by board', async () => {
  const targets = await rigStartTargets();
  expect(targets.map((t) => [t.deviceType, t.rigs])).toEqual(
    expect.arrayContaining([
      ['beaglebone-black', expect.arrayContaining(['qemu-beaglebone-black', 'virtual-bench-beaglebone-black'])],
      ['raspberrypi3-64', expect.arrayContaining(['qemu-raspberrypi3'])],
    ]),
  );
  // Example bench rigs describe boards wired to another host: no QEMU here.
  expect(targets.flatMap((t) => t.rigs).filter((r) => r.startsWith('example-'))).toEqual([]);
});

test('the stand-in device tree is a valid flattened tree', () => {
  const dtb = minimalDeviceTree();
  expect(dtb.readUInt32BE(0)).toBe(0xd00dfeed);
  expect(dtb.readUInt32BE(4)).toBe(dtb.length);
  const offStrings = dtb.readUInt32BE(12);
  expect(dtb.subarray(offStrings).toString()).toBe('#address-cells\0#size-cells\0');
});

test.describe('on this host', () => {
  test.skip(!hasQemu, 'QEMU is not installed (npx tsx harness/setup/ensure-host.ts installs it)');

  test("every rig's QEMU starts with its real command line, paused, in a few seconds", async () => {
    const started = Date.now();
    const results = await checkRigsStart();
    expect(results.map((r) => r.deviceType)).toEqual(expect.arrayContaining(['beaglebone-black', 'raspberrypi3-64']));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    for (const r of results) expect(r.command).toContain(' -S ');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("with ipxe-qemu's ROMs hidden, the BeagleBone rigs fail naming efi-virtio.rom and ipxe-qemu; the Pi still starts", async ({}, testInfo) => {
    test.skip(
      process.getuid?.() !== 0 || !existsSync('/usr/lib/ipxe/qemu'),
      'needs root (a private mount namespace) and ipxe-qemu installed',
    );
    const empty = testInfo.outputPath('empty');
    await mkdir(empty, { recursive: true });
    // Note: the bind mount lives in a private mount namespace that ends with the command.
    const run = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount --bind "$1" /usr/lib/ipxe/qemu && exec node_modules/.bin/tsx test/setup/fixtures/check-rigs.ts`,
        'sh',
        empty,
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toContain('rig qemu-raspberrypi3: QEMU starts');
    expect(run.stdout).toMatch(
      /rig qemu-beaglebone-black, virtual-bench-beaglebone-black: QEMU would not start: efi-virtio.rom \(\/usr\/lib\/ipxe\/qemu\/efi-virtio.rom\) is missing/,
    );
    expect(run.stdout).toContain('run as root: apt-get install -y --no-install-recommends ipxe-qemu');
    expect(run.stdout).not.toMatch(/^\s+at /m);
    // The host itself still has the ROM.
    expect(execFileSync('ls', ['/usr/lib/ipxe/qemu'], { encoding: 'utf8' })).toContain('efi-virtio.rom');
  });
});
