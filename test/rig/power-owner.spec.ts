// The power owner alone: transitions run one at a time in the order asked, whatever their outcome;
// waits and failures are noted on the console; the state and last transition make the report.
import { test, expect } from '@playwright/test';
import { SerialConsole } from '../../harness/console/serial-console.ts';
import { PowerOwner } from '../../harness/rig/power-owner.ts';

const notes = (c: SerialConsole) => c.lines.map((l) => l.text);

test('transitions run one at a time, in the order asked, a failed one not stopping the next', async () => {
  const console_ = new SerialConsole('owner');
  const owner = new PowerOwner(console_);
  const log: string[] = [];
  let releaseReset!: () => void;
  const reset = owner.transition('board reset', async () => {
    log.push('reset begins');
    await new Promise<void>((r) => (releaseReset = r));
    log.push('reset ends');
  });
  const cut = owner.transition('power cut', async () => {
    log.push('cut');
    owner.set('off');
  });
  const broken = owner.transition('power on', async () => {
    throw new Error('QMP connection closed');
  });
  const off = owner.transition('power off', async () => void log.push('off'));
  await new Promise((r) => setTimeout(r, 100));
  expect(log).toEqual(['reset begins']);
  releaseReset();
  await reset;
  await cut;
  await expect(broken).rejects.toThrow('QMP connection closed');
  await off;
  expect(log).toEqual(['reset begins', 'reset ends', 'cut', 'off']);
  expect(notes(console_)).toEqual([
    expect.stringMatching(/^---- power cut: waited \d+ ms for board reset to end ----$/),
    expect.stringMatching(/^---- power on: waited \d+ ms for power cut to end ----$/),
    '---- power on failed: QMP connection closed ----',
    expect.stringMatching(/^---- power off: waited \d+ ms for power on to end ----$/),
  ]);
  expect(owner.state).toBe('off');
  expect(owner.describe()).toMatch(
    /^power off \(as the rig believes it\) for \d+\.\d s; last transition: power off, done \d+\.\d s ago$/,
  );
});

test('a transition under way is named in the report', async () => {
  const owner = new PowerOwner(new SerialConsole('owner'));
  let release!: () => void;
  const on = owner.transition('power on', async () => {
    await new Promise<void>((r) => (release = r));
    owner.set('on');
  });
  await new Promise((r) => setTimeout(r, 10));
  expect(owner.describe()).toMatch(/power off .*; power on under way for/);
  release();
  await on;
  expect(owner.describe()).toMatch(/^power on .*last transition: power on, done/);
});

test('the console reports its link and the last byte', async () => {
  const console_ = new SerialConsole('link');
  expect(console_.linkReport()).toBe('console not attached, no byte received yet');
  let feed!: (chunk: Buffer) => void;
  let open = true;
  console_.attach({
    description: 'fake line',
    write: async () => {},
    onData: (l) => {
      feed = l;
    },
    close: async () => {},
    isOpen: () => open,
  });
  feed(Buffer.from('U-Boot 2023.01\n'));
  expect(console_.attached).toBe(true);
  expect(console_.linkReport()).toMatch(/^console attached \(fake line\), last byte \d+ ms ago$/);
  open = false;
  expect(console_.attached).toBe(false);
  expect(console_.linkReport()).toMatch(/^console transport closed \(fake line\), last byte/);
});
