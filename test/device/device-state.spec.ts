import { test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSnapshot } from '../../harness/device/device-state.ts';
import { expect } from '../../harness/device/matchers.ts';

const snapshot = async () =>
  parseSnapshot(await readFile(path.join(import.meta.dirname, '../fixtures/bbb-snapshot.txt'), 'utf8'));

test('a 2.x BeagleBone snapshot parses into partitions, root, env and release', async () => {
  const state = await snapshot();
  expect(state.partitions.map((p) => p.label)).toEqual([
    'resin-boot',
    'resin-rootA',
    'resin-rootB',
    undefined,
    'resin-state',
    'resin-data',
  ]);
  expect(state.activeRoot).toEqual({ device: '/dev/vda2', partition: 2, label: 'resin-rootA' });
  expect(state.bootEnv).toEqual({ resin_root_part: '2', upgrade_available: '0' });
  expect(state.osRelease.VERSION).toBe('2.9.7+rev1');
  expect(state.filesystems.find((f) => f.mountpoint === '/mnt/data')?.availableKiB).toBe(542540);
  expect(state.stateFiles).toEqual(['dropbear']);
  expect(state).toHaveLayout('2.x');
  expect(state).toBootFrom('resin-rootA');
});

test('layout and boot matchers say what the device has instead', async () => {
  const state = await snapshot();
  state.partitions[2]!.label = 'resin-updt';
  state.partitions[5]!.fs = 'btrfs';
  const layout = (() => {
    try {
      expect(state).toHaveLayout('2.x');
    } catch (e) {
      return (e as Error).message;
    }
  })();
  expect(layout).toContain('p3 is labelled resin-updt, expected resin-rootB');
  expect(layout).toContain('p6 (resin-data) is btrfs, expected ext4');
  const boot = (() => {
    try {
      expect(state).toBootFrom('resin-rootB');
    } catch (e) {
      return (e as Error).message;
    }
  })();
  expect(boot).toContain('it runs from /dev/vda2 (resin-rootA)');
});
