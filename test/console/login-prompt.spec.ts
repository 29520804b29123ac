// The login prompt is seen when another process's console message follows it on its line in the same
// chunk of serial output, as on the BeagleBone after upgrade-1.x.sh's reboot (the engine restarting
// the supervisor right after getty printed the prompt).
import { test, expect } from '@playwright/test';
import { BootEventParser } from '../../harness/console/boot-events.ts';
import { isLoginPrompt, LOGIN_PROMPT } from '../../harness/console/login-prompt.ts';

const recorded =
  '[rcS] boot complete: beaglebone-black 1.30.1\n\nbeaglebone-black login: [engine] restarting resin_supervisor (restart policy always)\n[engine] started resin_supervisor (resin/armv7hf-supervisor:v6.0.1, pid 317)\n';

test('a prompt followed on its line by a console message is a prompt', () => {
  expect(LOGIN_PROMPT.exec(recorded)?.[0]).toBe('beaglebone-black login: ');
  expect(isLoginPrompt('beaglebone-black login: [engine] restarting resin_supervisor')).toBe(true);
  expect(isLoginPrompt('raspberrypi3-64 login: [   12.345678] usb 1-1: new device')).toBe(true);
  const parser = new BootEventParser();
  const kinds = recorded.split('\n').flatMap((l) => parser.feed(l, 0)?.kind ?? []);
  expect(kinds).toEqual(['login']);
});

test('the prompt alone still is one, and other lines with "login:" in them are not', () => {
  expect(LOGIN_PROMPT.test('beaglebone-black login: ')).toBe(true);
  expect(isLoginPrompt('beaglebone-black login:')).toBe(true);
  expect(isLoginPrompt('Last login: Sun Nov 29 22:50:01 2026 from 10.0.2.2')).toBe(false);
  expect(isLoginPrompt('[supervisor] retry login: [later]')).toBe(false);
  expect(LOGIN_PROMPT.test('[dropbear] password login: disabled\n')).toBe(false);
});
