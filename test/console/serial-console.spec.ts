import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { SerialConsole } from '../../harness/console/serial-console.ts';
import { openSerialTransport } from '../../harness/console/transport.ts';

let board: ChildProcess;
let console_: SerialConsole;

test.beforeEach(async () => {
  board = spawn('python3', [path.join(import.meta.dirname, '../fixtures/pty-board.py')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ptyPath = await new Promise<string>((resolve) =>
    board.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  console_ = new SerialConsole('pty-board');
  console_.attach(await openSerialTransport(ptyPath));
  console_.markPowerOn();
  await console_.send('\n');
});

test.afterEach(async () => {
  await console_.detach();
  board.kill();
});

test('logs in and runs commands with their output and exit code', async () => {
  await console_.expect(/login: ?$/m, { timeoutMs: 5000 });
  await console_.login({ timeoutMs: 5000 });
  const ok = await console_.run('echo hello; echo world');
  expect(ok.exitCode).toBe(0);
  expect(ok.stdout).toBe('hello\nworld\n');
  const failed = await console_.run('ls /no-such-dir');
  expect(failed.exitCode).not.toBe(0);
  expect(failed.stdout).toContain('no-such-dir');
});

test('records every line with a timestamp and parses boot events', async () => {
  await console_.expect(/login: ?$/m, { timeoutMs: 5000 });
  expect(console_.transcript()).toMatch(/\[\s+\d+\.\d{3}\] U-Boot 2023.01 \(stand-in\)/);
  expect(console_.bootEvents.events.map((e) => e.kind)).toEqual(['bootloader', 'kernel', 'login']);
});

test('a timeout names the pattern and shows the last console lines', async () => {
  await console_.expect(/login: ?$/m, { timeoutMs: 5000 });
  const error = await console_.expect(/never printed/, { timeoutMs: 300 }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toContain('/never printed/ not seen on pty-board after 300ms');
  expect((error as Error).message).toContain('U-Boot 2023.01 (stand-in)');
});
