import { test, expect } from '@playwright/test';
import { splitByBoot } from '../../harness/console/boot-split.ts';

const t = (s: number, text: string) => `[${s.toFixed(3).padStart(9)}] ${text}`;

test('a rollback after a kernel panic splits into one log per boot', () => {
  const boots = [1, 2, 3, 4].flatMap((n) => [
    t(n * 10, 'U-Boot 2023.01+dfsg-2+deb12u1 (Oct 01 2024)'),
    t(n * 10 + 1, `[boot.scr] bootcount=${n} (limit 3)`),
    t(n * 10 + 2, '[    0.000000] Linux version 6.1.0-28-armmp-lpae'),
    t(n * 10 + 3, n < 4 ? 'Kernel panic - not syncing: Attempted to kill init!' : 'login: '),
  ]);
  const pieces = splitByBoot([t(0, '---- power on (2026-11-26T10:00:00Z) ----'), ...boots].join('\n'));
  expect(pieces).toHaveLength(4);
  expect(pieces[0]).toContain('---- power on');
  expect(pieces[0]).toContain('bootcount=1');
  expect(pieces[3]).toContain('bootcount=4');
  expect(pieces[3]).toContain('login:');
});

test('a board whose banner is lost starts a boot at the kernel, and a relaunch note starts one too', () => {
  const log = [
    t(0, '---- power on (2026-11-26T10:00:00Z) ----'),
    t(0.1, 'Core:  65 devices, 13 uclasses, devicetree: board'),
    t(2, '[    0.000000] Linux version 6.1.0-28-arm64'),
    t(9, 'Rebooting in 5 seconds..'),
    t(15, '[    0.000000] Linux version 6.1.0-28-arm64'),
    t(20, 'reboot: Restarting system'),
    t(21, '---- board reset: relaunching QEMU ----'),
    t(21.1, 'Core:  65 devices, 13 uclasses, devicetree: board'),
    t(23, '[    0.000000] Linux version 6.1.0-28-arm64'),
    t(30, 'login: '),
  ].join('\n');
  const pieces = splitByBoot(log);
  expect(pieces).toHaveLength(3);
  expect(pieces[1]!.split('\n')[0]).toContain('Linux version');
  expect(pieces[2]!.split('\n')[0]).toContain('board reset');
  expect(pieces[2]).toContain('login:');
});

test('a recording without any boot is one piece', () => {
  expect(splitByBoot(t(0, 'garbage'))).toEqual([t(0, 'garbage')]);
});

test('a board resumed from a login snapshot is a boot of its own, and the update reboot after it another', () => {
  const log = [
    t(0, '---- power on (2026-11-27T10:00:00Z) ----'),
    t(
      0,
      '---- resumed at the login prompt from snapshot 718cc87a185ce1aa (a real boot of card.img saved 2026-11-27T09:00:00Z) ----',
    ),
    t(1, 'login: '),
    t(90, 'reboot: Restarting system'),
    t(91, 'U-Boot 2023.01+dfsg-2+deb12u1 (Oct 01 2024)'),
    t(95, '[    0.000000] Linux version 6.1.0-28-armmp-lpae'),
    t(110, 'login: '),
  ].join('\n');
  const pieces = splitByBoot(log);
  expect(pieces).toHaveLength(2);
  expect(pieces[0]).toContain('resumed at the login prompt');
  expect(pieces[0]).toContain('reboot: Restarting system');
  expect(pieces[1]).toMatch(/^\[\s*91\.000\] U-Boot/);
});
