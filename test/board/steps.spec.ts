// The board's step record: every transition is wrapped in the caller's step runner and recorded with
// its state, time, outcome and what the console showed meanwhile.
import { expect, test } from '@playwright/test';
import { StepLog } from '../../harness/board/steps.ts';

test('steps are recorded in order with the state they reach; a failed step names its error and leaves the state unknown', async () => {
  const wrapped: string[] = [];
  const log = new StepLog(async (name, body) => {
    wrapped.push(name);
    return body();
  });
  await log.run('power on', 'login', async () => undefined);
  await log.run('ssh', 'ssh', async () => undefined);
  expect(log.state).toBe('ssh');
  await expect(
    log.run('reboot', 'ssh', async () => Promise.reject(new Error('no login prompt\nlast lines…'))),
  ).rejects.toThrow('no login prompt');
  expect(log.state).toBe('unknown');
  expect(wrapped).toEqual(['power on', 'ssh', 'reboot']);
  expect(log.steps.map(({ name, to, status, error }) => ({ name, to, status, error }))).toEqual([
    { name: 'power on', to: 'login', status: 'passed', error: undefined },
    { name: 'ssh', to: 'ssh', status: 'passed', error: undefined },
    { name: 'reboot', to: 'ssh', status: 'failed', error: 'no login prompt' },
  ]);
});

test('a step records the boots and boot events the console showed while it ran, and nothing when it showed none', async () => {
  const events: string[] = [];
  let boots = 0;
  const log = new StepLog(undefined, {
    mark: () => ({ events: events.length, boots }),
    since: (m) => {
      const mark = m as { events: number; boots: number };
      return { boots: boots - mark.boots, events: events.slice(mark.events) };
    },
  });
  await log.run('follow the reboot', 'ssh', async () => {
    events.push('bootloader', 'bootcount=1', 'kernel', 'login');
    boots++;
  });
  await log.run('publish', undefined, async () => undefined);
  expect(log.steps[0]!.console).toEqual({ boots: 1, events: ['bootloader', 'bootcount=1', 'kernel', 'login'] });
  expect(log.steps[1]!.console).toBeUndefined();
  expect(log.steps[1]!.durationMs).toBeGreaterThanOrEqual(0);
});
