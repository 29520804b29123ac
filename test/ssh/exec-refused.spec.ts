// DeviceSsh against a real SSH server (ssh2's) on loopback that behaves as the reference OS's
// dropbear has been seen to: it refuses an exec request and its session process then dies, closing
// the connection (the client must connect again and run the command, recording the refusal); or
// it stops answering as the device reboots (the exec must fail within its timeout, never hang).
import { test, expect } from '@playwright/test';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { DeviceSsh } from '../../harness/ssh/ssh-client.ts';

const rsaPem = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;

/** A server whose sessions `onSession` handles, and a DeviceSsh connected to it; both gone after `use`. */
async function withServer(
  onSession: (client: ssh2.Connection, connection: number) => void,
  use: (ssh: DeviceSsh) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-ssh-'));
  const keyPath = path.join(dir, 'client_rsa');
  await writeFile(keyPath, rsaPem(), { mode: 0o600 });
  let connections = 0;
  const server = new ssh2.Server({ hostKeys: [rsaPem()] }, (client) => {
    const connection = ++connections;
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => onSession(client, connection));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ssh = new DeviceSsh({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    username: 'root',
    privateKeyPath: keyPath,
  });
  try {
    await ssh.waitReachable(10_000);
    await use(ssh);
  } finally {
    await ssh.close();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

test('an exec refused on a connection that then closes is run again on a new connection', async () => {
  const ran: string[] = [];
  let connections = 0;
  await withServer(
    (client, connection) => {
      connections = connection;
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, reject, info) => {
          if (connection === 1) {
            reject();
            setTimeout(() => client.end(), 20);
            return;
          }
          ran.push(info.command);
          const stream = acceptExec();
          stream.write('done\n');
          stream.exit(0);
          stream.end();
        });
      });
    },
    async (ssh) => {
      const result = await ssh.exec('mkdir /run/hupbench/run-1.started');
      expect(result).toMatchObject({ exitCode: 0, stdout: 'done\n' });
      expect(ran).toEqual(['mkdir /run/hupbench/run-1.started']);
      expect(connections).toBe(2);
      expect(ssh.refusals.join('\n')).toMatch(
        /mkdir \/run\/hupbench[\s\S]*the connection closed after the refusal; connecting again/,
      );
    },
  );
});

test('an exec on a connection that stops answering (a device rebooting) fails within its timeout, never hangs', async () => {
  // The server takes the session request and never answers it; keepalives still get their replies.
  await withServer(
    (client) => client.on('session', () => undefined),
    async (ssh) => {
      const started = Date.now();
      await expect(ssh.exec('docker ps', { timeoutMs: 1500 })).rejects.toThrow(
        /`docker ps` did not finish on root@127\.0\.0\.1:\d+ within 1500ms \(no channel opened\)/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    },
  );
});
