import { test, expect } from '@playwright/test';
import { BootEventParser } from '../../harness/console/boot-events.ts';
import { findFault, rollbackVerdict } from '../../harness/faults/index.ts';

function events(lines: string[]) {
  const parser = new BootEventParser();
  for (const [i, line] of lines.entries()) parser.feed(line, i);
  return parser.events;
}
const boot = (extra: string[]) => ['U-Boot 2023.01+dfsg-2+deb12u1', ...extra, '[    0.000000] Linux version 6.1.0'];

test('a BOOTLIMIT on the console is an altboot rollback, counted in boots', () => {
  const log = [
    'reboot: Restarting system', // the boot that asked for the reboot ends here: not one of the counted boots
    ...boot(['[boot.scr] bootcount=1 (limit 3)']),
    'Kernel panic - not syncing: Attempted to kill init!',
    ...boot(['[boot.scr] bootcount=2 (limit 3)']),
    'Kernel panic - not syncing: Attempted to kill init!',
    ...boot(['[boot.scr] bootcount=3 (limit 3)']),
    'Kernel panic - not syncing: Attempted to kill init!',
    ...boot(['[boot.scr] bootcount=4 (limit 3)', 'WARNING! BOOTLIMIT EXCEEDED. SWITCHING TO PREVIOUS ROOT']),
    'reboot: Restarting system',
    ...boot([]),
    'buildroot login: ',
  ];
  const v = rollbackVerdict({
    events: events(log),
    stateFiles: ['rollback-altboot-triggered'],
    consoleText: log.join('\n'),
    finalRoot: 'resin-rootA',
    finalVersion: '2.9.7+rev1',
  });
  expect(v).toMatchObject({ mechanism: 'altboot', boots: 5, highestBootcount: 4 });
  expect(v.line).toContain('bootcount 4');
  expect(v.line).toContain('resin-rootA (2.9.7+rev1) after 5 boots');
});

test('rollback-health-triggered without a BOOTLIMIT is a health rollback', () => {
  const log = [
    ...boot(['[boot.scr] bootcount=1 (limit 3)']),
    '[rollback-health] failed',
    'reboot: Restarting system',
    ...boot([]),
    'login: ',
  ];
  const v = rollbackVerdict({
    events: events(log),
    stateFiles: ['rollback-health-triggered', 'rollback-health-failed'],
    consoleText: log.join('\n'),
    finalRoot: 'resin-rootA',
    finalVersion: '2.9.7+rev1',
  });
  expect(v).toMatchObject({ mechanism: 'health', boots: 2 });
});

test('no mechanism is said plainly, and an unknown fault names the known ones', () => {
  const log = [...boot([]), 'login: '];
  expect(
    rollbackVerdict({
      events: events(log),
      stateFiles: [],
      consoleText: log.join('\n'),
      finalRoot: 'resin-rootB',
      finalVersion: '2.12.3+rev1',
    }).mechanism,
  ).toBe('none');
  expect(() => findFault('broken-kernel')).toThrow(
    /Known faults: .*broken-init, broken-engine, broken-supervisor, corrupt-boot-env/,
  );
});
