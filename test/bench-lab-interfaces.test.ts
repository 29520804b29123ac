// The bench interfaces against the real lab daemons: a console behind ser2net (raw TCP and RFC 2217,
// in front of a pty board), and power through pdudaemon's HTTP API. No QEMU here.
import { test, expect } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialConsole } from '../harness/console/serial-console.ts';
import { freeLoopbackPort } from '../harness/rig/ports.ts';
import { LabProcess } from '../harness/rig/bench/lab-process.ts';
import { tcpSerialTransport } from '../harness/rig/bench/tcp-serial-transport.ts';
import { pdudaemonPower } from '../harness/rig/bench/power/pdudaemon-power.ts';
import { startPduDaemon } from '../harness/rig/bench/virtual/virtual-lab.ts';
import { commandPower } from '../harness/rig/bench/power/command-power.ts';
import { BenchRig } from '../harness/rig/bench/bench-rig.ts';
import { parseRigConfig, type BenchRigConfig } from '../harness/rig/rig-config.ts';
import { cacheDir } from '../images/lib/cache.ts';

let dir: string;
const started: LabProcess[] = [];
let board: ChildProcess | undefined;

test.beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hupbench-lab-'));
});
test.afterEach(async () => {
  for (const p of started.splice(0).reverse()) await p.stop();
  board?.kill();
  board = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function ptyBoard(): Promise<string> {
  board = spawn('python3', [path.join(import.meta.dirname, 'fixtures/pty-board.py')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<string>((resolve) => board!.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
}

async function ser2net(accepter: string, pty: string, connectorBaud = 115200): Promise<number> {
  const port = await freeLoopbackPort();
  const config = path.join(dir, 'ser2net.yaml');
  await writeFile(
    config,
    `connection: &c\n  accepter: ${accepter},127.0.0.1,${port}\n  connector: serialdev,${pty},${connectorBaud}n81,local\n`,
  );
  const p = LabProcess.start('ser2net', 'ser2net', ['-n', '-u', '-c', config, '-P', path.join(dir, 'ser2net.pid')]);
  started.push(p);
  return port;
}

for (const protocol of ['raw', 'rfc2217'] as const) {
  test(`a console behind ser2net (${protocol}): login, commands with exit codes, boot events`, async () => {
    const pty = await ptyBoard();
    const port = await ser2net(protocol === 'raw' ? 'tcp' : 'telnet(rfc2217),tcp', pty);
    const console_ = new SerialConsole('ser2net-board');
    console_.attach(await tcpSerialTransport({ host: '127.0.0.1', port, protocol, baud: 115200 }));
    try {
      console_.markPowerOn();
      await console_.send('\n');
      await console_.expect(/login: ?$/m, { timeoutMs: 10_000 });
      await console_.login({ timeoutMs: 10_000 });
      const ok = await console_.run('echo hello; printf "\\377 done\\n"');
      expect(ok.exitCode).toBe(0);
      // 0xFF is telnet's IAC: RFC 2217 must unescape it, raw must pass it through.
      expect(ok.stdout).toBe('hello\n\xff done\n');
      expect((await console_.run('(exit 3)')).exitCode).toBe(3);
      expect(console_.bootEvents.events.map((e) => e.kind)).toEqual(['bootloader', 'kernel', 'login']);
    } finally {
      await console_.detach();
    }
  });
}

test('RFC 2217 sets the baud rate of the UART behind ser2net', async () => {
  const pty = await ptyBoard();
  const port = await ser2net('telnet(rfc2217),tcp', pty, 9600);
  const console_ = new SerialConsole('ser2net-board');
  console_.attach(await tcpSerialTransport({ host: '127.0.0.1', port, protocol: 'rfc2217', baud: 57600 }));
  try {
    await console_.send('\n');
    await console_.expect(/login: ?$/m, { timeoutMs: 10_000 });
    await expect
      .poll(() => execFileSync('stty', ['-F', pty, 'speed']).toString().trim(), { message: `baud rate of ${pty}` })
      .toBe('57600');
  } finally {
    await console_.detach();
  }
});

test('a console port nobody serves is an error naming the address after its timeout', async () => {
  const port = await freeLoopbackPort();
  const error = await tcpSerialTransport({
    host: '127.0.0.1',
    port,
    protocol: 'raw',
    baud: 115200,
    connectTimeoutMs: 500,
  }).catch((e: Error) => e);
  expect((error as Error).message).toMatch(
    new RegExp(
      `Serial server \\(ser2net\\) accepting on tcp://127.0.0.1:${port} not reached after 500ms[\\s\\S]*ser2net runs on the lab host`,
    ),
  );
});

test('power through pdudaemon switches the named outlet; an unknown PDU is a clear error', async () => {
  const log = path.join(dir, 'outlets.log');
  const { port, process: pdudaemon } = await startPduDaemon(path.join(dir, 'pdudaemon.conf'), {
    'lab-pdu': { driver: 'localcmdline', cmd_on: `echo "%s on" >> ${log}`, cmd_off: `echo "%s off" >> ${log}` },
  });
  started.push(pdudaemon);
  const url = `http://127.0.0.1:${port}`;

  const outlet = pdudaemonPower({ url, pdu: 'lab-pdu', port: 3, timeoutSeconds: 30 });
  await outlet.on();
  await outlet.off();
  // pdudaemon answers after its driver ran: the outlet log is already written.
  expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['3 on', '3 off']);

  const wrong = pdudaemonPower({ url, pdu: 'no-such-pdu', port: 3, timeoutSeconds: 30 });
  await expect(wrong.on()).rejects.toThrow(
    /Power on through pdudaemon .* PDU "no-such-pdu" port 3 refused \(HTTP 500 .*\)\. pdudaemon refuses a PDU name that is not in its configuration/,
  );
  const down = pdudaemonPower({
    url: `http://127.0.0.1:${await freeLoopbackPort()}`,
    pdu: 'lab-pdu',
    port: 3,
    timeoutSeconds: 5,
  });
  await expect(down.off()).rejects.toThrow(/Power off through pdudaemon .* failed: .*Is pdudaemon running/);
});

test('power commands: a failing relay command is an error naming the command and its output', async () => {
  const relay = commandPower({
    on: `echo on >> ${dir}/relay`,
    off: 'echo "usbrelay: no device HURTM found" >&2; exit 1',
    timeoutSeconds: 5,
  });
  await relay.on();
  expect(await readFile(`${dir}/relay`, 'utf8')).toBe('on\n');
  await expect(relay.off()).rejects.toThrow(
    /Power off: `echo .*` exited 1:\nusbrelay: no device HURTM found\nCheck the command in the rig file/,
  );
  const stuck = commandPower({ on: 'sleep 30', off: 'true', timeoutSeconds: 0.3 });
  await expect(stuck.on()).rejects.toThrow(/`sleep 30` did not finish within 300ms/);
});

test('a bench rig reads its address on the console (`ip -4 addr` after login) and remembers it', async () => {
  // The pty board's shell is this host's: its Ethernet interface answers `ip -4 addr` for real.
  const iface = execFileSync('sh', ['-c', "ip -4 -o addr show scope global | awk '{print $2; exit}'"])
    .toString()
    .trim();
  test.skip(!iface, 'this host has no interface with a global IPv4 address');
  const expected = /inet (\S+)\//.exec(execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', iface]).toString())![1];
  const pty = await ptyBoard();
  const port = await ser2net('telnet(rfc2217),tcp', pty);
  const name = `test-from-console-${process.pid}`;
  const yaml = (fromConsole: string, consolePort = port) => `
name: ${name}
kind: bench
deviceType: beaglebone-black
console: { tcp: { host: 127.0.0.1, port: ${consolePort}, protocol: rfc2217 } }
power: { commands: { on: "true", off: "true" } }
sdMux: { commands: { host: "false", board: "true" }, device: /dev/disk/by-id/usb-test-card }
address: { fromConsole: ${fromConsole}, sshPort: 2222 }
`;
  const addressFile = path.join(cacheDir, 'rigs', `${name}.address.json`);
  const rig = new BenchRig(parseRigConfig(yaml(iface), `rigs/${name}.yaml`) as BenchRigConfig, path.join(dir, 'rig'));
  try {
    await rig.power.on();
    expect(() => rig.sshEndpoint()).toThrow(
      new RegExp(
        `reads its address from the console \\(address.fromConsole: ${iface}\\) and it has not been read yet: run \`hupbench check --rig ${name}\``,
      ),
    );
    expect(await rig.resolveAddress()).toBe(expected);
    expect(rig.sshEndpoint()).toMatchObject({ host: expected, port: 2222, username: 'root' });
    // A later run finds the address this one read.
    const later = new BenchRig(
      parseRigConfig(yaml(iface), `rigs/${name}.yaml`) as BenchRigConfig,
      path.join(dir, 'rig2'),
    );
    await later.start();
    expect(later.sshEndpoint().host).toBe(expected);
    await later.dispose();
    // An interface without an address is a clear error (on a freshly booted pty board).
    await rig.dispose();
    board?.kill();
    const port2 = await ser2net('telnet(rfc2217),tcp', await ptyBoard());
    const wrong = new BenchRig(
      parseRigConfig(yaml('no-such-if0', port2), `rigs/${name}.yaml`) as BenchRigConfig,
      path.join(dir, 'rig3'),
    );
    await wrong.start();
    await expect(wrong.resolveAddress()).rejects.toThrow(/no IPv4 address on no-such-if0 .*exited 1/);
    await wrong.dispose();
  } finally {
    await rig.dispose();
    await rm(addressFile, { force: true });
  }
});
