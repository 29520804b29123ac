// The device matchers fail the way built-in matchers do: the message opens with the matcher's hint
// (`expect(received).toBootFrom(expected)`), which is how JUnit readers tell an assertion failure
// (`<failure>`) from an error; then the device's own account.
import { test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSnapshot } from '../../harness/device/device-state.ts';
import { expect } from '../../harness/device/matchers.ts';

const state = parseSnapshot(readFileSync(path.resolve(import.meta.dirname, '../fixtures/bbb-snapshot.txt'), 'utf8'));

test('a failed device matcher reads as an assertion: hint first, then what the device has', () => {
  let message = '';
  try {
    expect(state).toBootFrom('resin-rootB');
  } catch (error) {
    message = (error as Error).message.replace(/\u001b\[[0-9;]*m/g, '');
  }
  expect(message).toMatch(/^expect\(received\)\.toBootFrom\(expected\)/);
  expect(message).toContain('expected the device to boot from resin-rootB; it runs from /dev/vda2 (resin-rootA)');
});

test("a root written by `docker export` is caught by the init layer's files; the image's own pass", () => {
  const section = (lines: string[]) =>
    parseSnapshot(`=== os-release\nVERSION="2.9.7+rev1"\n=== engine-shadowed\n${lines.join('\n')}\n`);
  const before = section([
    '/.dockerenv missing',
    '/etc/hostname file 0f343b0931126a20f133d67c2b018a3b',
    '/etc/hosts missing',
    '/etc/resolv.conf link /run/resolv.conf',
  ]);
  expect(before.engineShadowed['/etc/resolv.conf']).toBe('link /run/resolv.conf');
  expect(before).toHoldTheImagesOwnRootFiles(before);
  const exported = section(['/.dockerenv empty', '/etc/hostname empty', '/etc/hosts empty', '/etc/resolv.conf empty']);
  let message = '';
  try {
    expect(exported).toHoldTheImagesOwnRootFiles(before);
  } catch (error) {
    message = (error as Error).message.replace(/\u001b\[[0-9;]*m/g, '');
  }
  expect(message).toMatch(/^expect\(received\)\.toHoldTheImagesOwnRootFiles\(expected\)/);
  for (const file of ['/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf'])
    expect(message).toContain(`${file} is empty (the engine's)`);
  // A release that changes its own hostname is not the engine's doing.
  const renamed = section([
    '/.dockerenv missing',
    '/etc/hostname file 11111111111111111111111111111111',
    '/etc/hosts missing',
    '/etc/resolv.conf link /run/resolv.conf',
  ]);
  expect(renamed).toHoldTheImagesOwnRootFiles(before);
});
