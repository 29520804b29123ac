// DeviceState of a 1.x device (layout, 1.x boot settings) and the matchers the migration suites use.
import { test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSnapshot } from '../../harness/device/device-state.ts';
import { expect } from '../../harness/device/matchers.ts';

const fixture = (name: string) => readFile(path.join(import.meta.dirname, '../fixtures', name), 'utf8');
const failure = (assertion: () => void) => {
  try {
    assertion();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no failure';
};

test('a 1.x Raspberry Pi running from resin-updt: layout, root, cmdline.txt boot settings', async () => {
  const state = parseSnapshot(await fixture('rpi-1x-snapshot.txt'));
  expect(state).toHaveLayout('1.x');
  expect(state).toBootFrom('resin-updt');
  expect(state.bootEnv).toEqual({});
  expect(state.bootSelects).toEqual({ file: 'cmdline.txt', partition: 3 });
  expect(state).toSelectRoot(3);
  expect(state.legacyBoot.configTxt.kernel).toBe('kernel8.img');
  expect(state.bootFiles['./kernel8.img']).toBe(11446272);
  expect(failure(() => expect(state).toHaveLayout('2.x'))).toContain('p6 (resin-data) is btrfs, expected ext4');
  expect(failure(() => expect(state).toSelectRoot(2))).toContain('cmdline.txt selects 3');
});

test('a 1.x BeagleBone selects its root with uEnv.txt bootpart', async () => {
  const text = (await fixture('rpi-1x-snapshot.txt'))
    .replace(/=== uenv-1x\n/, '=== uenv-1x\nbootpart=1:2\n')
    .replace(/=== cmdline-txt\n.*\n/, '=== cmdline-txt\n');
  const state = parseSnapshot(text);
  expect(state.bootSelects).toEqual({ file: 'uEnv.txt', partition: 2 });
});

test('toBeUnchangedFrom names every difference: labels, boot files, boot settings', async () => {
  const before = parseSnapshot(await fixture('rpi-1x-snapshot.txt'));
  expect(before).toBeUnchangedFrom(structuredClone(before));
  const after = structuredClone(before);
  after.partitions[5]!.label = 'resin-state';
  after.bootFiles['./boot.scr'] = 2048;
  after.legacyBoot.cmdline = 'console=ttyS1,115200 root=/dev/mmcblk0p2';
  const message = failure(() => expect(after).toBeUnchangedFrom(before));
  expect(message).toContain('partitions: was');
  expect(message).toContain('bootFiles../boot.scr: was undefined, now 2048');
  expect(message).toContain('legacyBoot.cmdline');
});

test('a 2.x snapshot still parses without the 1.x sections', async () => {
  const state = parseSnapshot(await fixture('bbb-snapshot.txt'));
  expect(state.legacyBoot).toEqual({ uEnv: {}, cmdline: undefined, configTxt: {} });
  expect(state.bootSelects).toEqual({ file: 'resinOS_uEnv.txt', partition: 2 });
});
