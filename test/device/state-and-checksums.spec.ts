import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Device } from '../../harness/device/device.ts';
import { parseSnapshot } from '../../harness/device/device-state.ts';
import { stateAndChecksums } from '../../harness/device/user-data.ts';

/** A device whose one command prints the recorded snapshot, then the checksums. */
function fakeDevice(output: string, commands: string[]): Device {
  return {
    check: async (command: string) => {
      commands.push(command);
      return output;
    },
  } as unknown as Device;
}

test('the state and the data checksums come back from one SSH round trip', async () => {
  const snapshot = await readFile(path.join(import.meta.dirname, '../fixtures/bbb-snapshot.txt'), 'utf8');
  const sums = 'aaa111  ./userdata/file-1.bin\nbbb222  ./userdata/note.txt\n';
  const commands: string[] = [];
  const got = await stateAndChecksums(fakeDevice(`${snapshot}\n=== data-checksums\n${sums}`, commands));
  expect(commands).toHaveLength(1);
  expect(commands[0]).toContain('sha256sum');
  expect(got.state).toEqual(parseSnapshot(snapshot));
  expect(got.sums).toEqual({ './userdata/file-1.bin': 'aaa111', './userdata/note.txt': 'bbb222' });
});

test('output without the checksums section is an error, not an empty set of checksums', async () => {
  const snapshot = await readFile(path.join(import.meta.dirname, '../fixtures/bbb-snapshot.txt'), 'utf8');
  await expect(stateAndChecksums(fakeDevice(snapshot, []))).rejects.toThrow(/no "=== data-checksums" section/);
});
