// The bench rig end to end on the virtual bench: a QEMU BeagleBone reached only through ser2net,
// pdudaemon and the SD-mux script. Flashing writes less than the image and verifies, the mux refuses
// the host side while the board is powered, checkRig() reports a working rig, and nothing the bench
// started survives it: not on dispose, not when its owner is killed.
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { imageForRelease } from '../harness/image/release-image.ts';
import { BenchRig } from '../harness/rig/bench/bench-rig.ts';
import { runLabCommand } from '../harness/rig/bench/host-command.ts';
import { checkRig, formatRigCheckReport } from '../harness/board/check-rig.ts';
import { loadRigConfig, type BenchRigConfig } from '../harness/rig/rig-config.ts';
import { loadReleases } from '../images/lib/releases.ts';

test.describe.configure({ mode: 'serial', timeout: 600_000 });

let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hupbench-vbench-'));
  process.env.HUPBENCH_LEASE_DIR = path.join(dir, 'leases');
});
test.afterEach(async () => {
  delete process.env.HUPBENCH_LEASE_DIR;
  await rm(dir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function newestImage(): Promise<string> {
  return (
    await imageForRelease((await loadReleases()).filter((r) => r.layout === '2.x').at(-1)!.version, 'beaglebone-black')
  ).path;
}

test('flash, boot and the mux interlock through bench interfaces only; dispose leaves nothing behind', async () => {
  const config = (await loadRigConfig('virtual-bench-beaglebone-black')) as BenchRigConfig;
  const rig = new BenchRig(config, path.join(dir, 'rig'));
  let pids: number[] = [];
  let ports: number[] = [];
  try {
    await rig.flash(await newestImage());
    const flash = rig.lastFlash!;
    console.log(
      `virtual bench flash: image ${flash.imageBytes} bytes, wrote ${flash.writtenBytes} bytes, verified ${flash.verifiedBytes} bytes (write ${flash.writeMs} ms, verify ${flash.verifyMs} ms)`,
    );
    expect(flash.writtenBytes).toBeLessThan(flash.imageBytes);
    expect(flash.verifiedBytes).toBe(flash.writtenBytes);

    const lab = rig.virtualLab!;
    pids = lab.processes.map((p) => p.pid!);
    expect(lab.processes.map((p) => p.name)).toEqual(['QEMU', 'ser2net', 'pdudaemon']);
    const wiring = lab.wiring;
    if (
      !('tcp' in wiring.console) ||
      !('pdudaemon' in wiring.power) ||
      !('fixed' in wiring.address) ||
      !wiring.sdMux.commands
    )
      throw new Error('unexpected virtual bench wiring');
    ports = [wiring.console.tcp.port, Number(new URL(wiring.power.pdudaemon.url).port), wiring.address.sshPort];

    await rig.power.on();
    await rig.console.expect(/^U-Boot \d{4}\.\d{2}/m, { timeoutMs: 60_000, what: 'U-Boot banner through ser2net' });
    // Like a real usb-sd-mux on a powered board: the card stays with the board.
    await expect(
      runLabCommand(wiring.sdMux.commands.host, 'Switching the SD card to the lab host', 10_000),
    ).rejects.toThrow(/refusing to switch the SD card to the host: the board is powered/);

    await rig.console.expect(/login: ?$/m, { timeoutMs: 120_000, what: 'Login prompt through ser2net' });
    await rig.console.login({ timeoutMs: 60_000 });
    expect((await rig.console.run('cat /sys/class/net/eth0/carrier')).stdout.trim()).toBe('1');
    await rig.network.down();
    await expect
      .poll(async () => (await rig.console.run('cat /sys/class/net/eth0/carrier')).stdout.trim(), {
        message: 'eth0 carrier after network.down()',
      })
      .toBe('0');
    await rig.network.up();
    await expect
      .poll(async () => (await rig.console.run('cat /sys/class/net/eth0/carrier')).stdout.trim(), {
        message: 'eth0 carrier after network.up()',
      })
      .toBe('1');

    // Power off through pdudaemon freezes the board: the console answers no more.
    await rig.power.off();
    await rig.console.send('echo still-alive\n');
    await expect(rig.console.expect(/^still-alive$/m, { timeoutMs: 3000 })).rejects.toThrow(/not seen/);
  } finally {
    await rig.dispose();
  }
  expect(pids.length).toBe(3);
  expect(pids.filter(alive), 'lab processes alive after dispose').toEqual([]);
  for (const port of ports) expect(await listening(port), `port ${port} after dispose`).toBe(false);
});

test('killing the run that owns the virtual bench takes QEMU, ser2net and pdudaemon with it', async () => {
  const script = path.join(dir, 'owner.mts');
  await writeFile(
    script,
    [
      `const { startVirtualLab } = await import(${JSON.stringify(path.resolve('harness/rig/bench/virtual/virtual-lab.ts'))});`,
      `const lab = await startVirtualLab({ deviceType: 'beaglebone-black', memoryMiB: 256, cardSizeMiB: 64, dir: ${JSON.stringify(path.join(dir, 'lab'))} });`,
      `console.log(JSON.stringify(lab.processes.map((p) => p.pid)));`,
      `process.stdin.resume();`,
    ].join('\n'),
  );
  const owner = spawn(path.resolve('node_modules/.bin/tsx'), [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const pids = await new Promise<number[]>((resolve, reject) => {
    owner.stdout!.on('data', (d: Buffer) => {
      const m = /\[[\d,]+\]/.exec(d.toString());
      if (m) resolve(JSON.parse(m[0]) as number[]);
    });
    owner.once('exit', (code) => reject(new Error(`owner exited ${code} before starting the lab`)));
  });
  expect(pids.filter(alive)).toHaveLength(3);
  // tsx runs the script in a child node process: kill the owner's node processes (not the lab's
  // daemons, which are its children too) by their pids, as an OOM kill or a CI timeout would.
  const owners = [owner.pid!, ...(await childPids(owner.pid!))].filter((pid) => !pids.includes(pid));
  for (const pid of owners) process.kill(pid, 'SIGKILL');
  await expect
    .poll(() => pids.filter(alive), {
      message: 'lab processes still alive after their owner was killed',
      timeout: 15_000,
    })
    .toEqual([]);
});

test('checkRig reports every step on the virtual bench, and a rig whose console is absent clearly', async () => {
  const report = await checkRig('virtual-bench-beaglebone-black');
  console.log(formatRigCheckReport(report));
  expect(report.checks.map((c) => `${c.name}: ${c.status}`)).toEqual([
    'rig file: ok',
    'lease: ok',
    'console: ok',
    'flash: ok',
    'bootloader banner: ok',
    'login prompt: ok',
    'console login: ok',
    'address: ok',
    'ssh: ok',
    'power off: ok',
  ]);
  expect(report.ok).toBe(true);
  expect(report.checks.find((c) => c.name === 'flash')!.detail).toMatch(
    /wrote \d+ of 1073741824 image bytes .* sha256 matches/,
  );
  expect(report.checks.find((c) => c.name === 'address')!.detail).toMatch(/the console shows eth0 10\.0\.2\.15\/24/);

  const absent = await checkRig('example-bench-beaglebone-black');
  const text = formatRigCheckReport(absent);
  expect(absent.ok).toBe(false);
  expect(text).toMatch(
    /FAIL console +Cannot open serial console \/dev\/serial\/by-id\/usb-FTDI_TTL232R-3V3_FT0ABC12-if00-port0 at 115200 baud/,
  );
  expect(text).toMatch(/skip bootloader banner/);
  expect(text).toContain('rig example-bench-beaglebone-black is NOT ready: console failed');
});

async function childPids(pid: number): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return [...children, ...(await Promise.all(children.map(childPids))).flat()];
}
