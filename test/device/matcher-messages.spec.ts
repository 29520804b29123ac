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
