import { test, expect } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BootEventParser } from '../../harness/console/boot-events.ts';

const fixture = (name: string) => readFile(path.join(import.meta.dirname, '../fixtures', name), 'utf8');

function feedAll(text: string): BootEventParser {
  const parser = new BootEventParser();
  for (const [i, line] of text.split('\n').entries()) parser.feed(line, i);
  return parser;
}

test('a recorded BeagleBone boot is one boot: U-Boot, kernel, login', async () => {
  const parser = feedAll(await fixture('bbb-boot.log'));
  expect(parser.boots).toBe(1);
  expect(parser.events.map((e) => e.kind)).toEqual(['bootloader', 'kernel', 'login']);
});

test('a reboot is a second boot, and not an unexpected one', async () => {
  const log = await fixture('bbb-boot.log');
  const parser = feedAll(`${log}\n[   20.1] reboot: Restarting system\n${log}`);
  expect(parser.boots).toBe(2);
  expect(parser.events.filter((e) => e.kind === 'login').map((e) => e.boot)).toEqual([1, 2]);
  expect(parser.unexpectedResets([0])).toEqual([]);
});

test('a reset without a restart request or power-on is reported as unexpected', async () => {
  const log = await fixture('bbb-boot.log');
  const parser = feedAll(`${log}\n[   20.1] some driver hung\n${log}`);
  const resets = parser.unexpectedResets([0]);
  expect(resets).toHaveLength(1);
  expect(resets[0]!.boot).toBe(2);
});

test('bootcount, BOOTLIMIT and kernel panic lines are recognised', () => {
  const parser = feedAll(
    [
      'U-Boot 2023.01+dfsg-2+deb12u3 (Jun 22 2026 - 08:38:07 +0000)',
      '[boot.scr] bootcount=3',
      'WARNING! BOOTLIMIT EXCEEDED. SWITCHING TO PREVIOUS ROOT',
      '[    0.000000] Linux version 6.1.0-50-armmp',
      '[    2.1] Kernel panic - not syncing: No working init found.',
    ].join('\n'),
  );
  expect(parser.events.map((e) => e.kind)).toEqual(['bootloader', 'bootcount', 'bootlimit', 'kernel', 'panic']);
});
