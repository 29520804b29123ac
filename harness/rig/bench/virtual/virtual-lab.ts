// The virtual bench: a QEMU BeagleBone reachable only through the interfaces a lab offers. Its UART
// (a pty) is exported by ser2net over TCP (RFC 2217), its power is a pdudaemon outlet whose
// localcmdline driver runs virtual-lab.py (QMP stop / system_reset + cont), its SD card is a raw
// file behind virtual-lab.py's mux, and SSH reaches it through a fixed forwarded address. The
// BenchRig drives it with the same code as a real board; only the relay and the mux are stand-ins.
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { InfraError } from '../../../errors.ts';
import { freeLoopbackPort } from '../../ports.ts';
import { qemuBoardFor } from '../../qemu/boards.ts';
import { QmpClient } from '../../qemu/qmp.ts';
import { benchWiringSchema, type BenchWiring } from '../bench-config.ts';
import { LabProcess } from '../lab-process.ts';

const labTool = path.join(import.meta.dirname, 'virtual-lab.py');
const pduName = 'virtual-bench';

export interface VirtualLabOptions {
  deviceType: string;
  memoryMiB: number;
  cardSizeMiB: number;
  /** Everything the lab keeps (card, sockets, configs) lives here; removed on stop. */
  dir: string;
}

export interface StartedVirtualLab extends AsyncDisposable {
  /** How a BenchRig reaches this board: the same fields a real bench's rig file gives. */
  readonly wiring: BenchWiring;
  readonly dir: string;
  /** The lab daemons, for tests that check none is left behind. */
  readonly processes: ReadonlyArray<LabProcess>;
  stop(): Promise<void>;
}

export async function startVirtualLab(opts: VirtualLabOptions): Promise<StartedVirtualLab> {
  const dir = path.resolve(opts.dir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const processes: LabProcess[] = [];
  const stop = async () => {
    // Note: in reverse order of start, each by its own pid; the card and sockets go with the dir.
    for (const p of [...processes].reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await createCard(path.join(dir, 'sd-card.img'), opts.cardSizeMiB);
    await writeFile(path.join(dir, 'power'), 'off\n');
    await writeFile(path.join(dir, 'mux'), 'board\n');
    const qemu = await startBoard(opts, dir, processes);
    const serialPort = await startSer2net(qemu.pty, dir, processes);
    const pduPort = await startPdudaemon(dir, processes);
    const tool = `python3 ${labTool} ${dir}`;
    const wiring = benchWiringSchema.parse({
      console: { tcp: { host: '127.0.0.1', port: serialPort, protocol: 'rfc2217', baud: 115200 } },
      power: { pdudaemon: { url: `http://127.0.0.1:${pduPort}`, pdu: pduName, port: 1 } },
      sdMux: {
        commands: { host: `${tool} mux host`, board: `${tool} mux board` },
        device: path.join(dir, 'usb', 'sd-card'),
      },
      address: { fixed: '127.0.0.1', sshPort: qemu.sshPort },
      network: { up: `${tool} link up ${qemu.nicId}`, down: `${tool} link down ${qemu.nicId}` },
    });
    return { wiring, dir, processes, stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function createCard(file: string, sizeMiB: number): Promise<void> {
  const card = await open(file, 'w');
  await card.truncate(sizeMiB * 1024 * 1024);
  await card.close();
}

/** QEMU, started paused (the board is unpowered) with the card file as its raw SD card. */
async function startBoard(opts: VirtualLabOptions, dir: string, processes: LabProcess[]) {
  const board = qemuBoardFor(opts.deviceType);
  const qmpPath = path.join(dir, 'qmp.sock');
  const sshPort = await freeLoopbackPort();
  const launch = await board.launch({
    diskPath: path.join(dir, 'sd-card.img'),
    sshPort,
    qmpPath,
    memoryMiB: opts.memoryMiB,
    workDir: dir,
  });
  // Note: the QEMU rig's board uses a qcow2 overlay; a card written block by block is a raw file.
  const drive = launch.args.findIndex((a) => a.includes('format=qcow2'));
  if (drive < 0 || board.relaunchOnEveryBoot)
    throw new InfraError(
      `No virtual bench for ${opts.deviceType}: its QEMU board must keep one process across boots and take a qcow2 -drive`,
    );
  const args = launch.args.map((a, i) => (i === drive ? a.replace('format=qcow2', 'format=raw') : a));
  const qemu = LabProcess.start('QEMU', launch.binary, args);
  processes.push(qemu);
  // A refused connect is tried again: QEMU binds the socket file before it listens on it.
  const qmp = await qemu.waitReady(
    `QEMU listening on its QMP socket ${qmpPath}`,
    () => QmpClient.connect(qmpPath),
    15_000,
  );
  try {
    const chardevs = await qmp.execute<Array<{ label: string; filename: string }>>('query-chardev');
    const pty = chardevs.find((c) => c.label === 'console0')?.filename.replace(/^pty:/, '');
    if (!pty) throw new InfraError(`QEMU did not report the console pty. ${qemu.describe()}`);
    return { pty, sshPort, nicId: board.nicId };
  } finally {
    // Note: QMP serves one client at a time; the relay and the mux connect on each action.
    qmp.close();
  }
}

/** ser2net exports the board's UART as an RFC 2217 (telnet COM-PORT) server on a loopback port. */
async function startSer2net(pty: string, dir: string, processes: LabProcess[]): Promise<number> {
  const port = await freeLoopbackPort();
  const config = path.join(dir, 'ser2net.yaml');
  await writeFile(
    config,
    [
      '%YAML 1.1',
      '---',
      'connection: &board-console',
      `  accepter: telnet(rfc2217),tcp,127.0.0.1,${port}`,
      `  connector: serialdev,${pty},115200n81,local`,
      '  options:',
      '    kickolduser: true',
      '',
    ].join('\n'),
  );
  // -n: foreground; -u: no UUCP lock files (a pty is not shared); -P: our own pid file, not /run's.
  const ser2net = LabProcess.start('ser2net', 'ser2net', [
    '-n',
    '-u',
    '-c',
    config,
    '-P',
    path.join(dir, 'ser2net.pid'),
  ]);
  processes.push(ser2net);
  await ser2net.waitReady(`ser2net accepting on 127.0.0.1:${port}`, () => accepts(port), 10_000);
  return port;
}

/** pdudaemon with its HTTP listener and one PDU whose outlets run virtual-lab.py. */
async function startPdudaemon(dir: string, processes: LabProcess[]): Promise<number> {
  const relay = (action: string) => `python3 ${labTool} ${dir} power ${action} %s`;
  const { port, process } = await startPduDaemon(path.join(dir, 'pdudaemon.conf'), {
    [pduName]: { driver: 'localcmdline', cmd_on: relay('on'), cmd_off: relay('off') },
  });
  processes.push(process);
  return port;
}

/**
 * pdudaemon on a free loopback port with an HTTP listener and these PDUs (its `pdus` config),
 * answering before this returns. The caller stops the process.
 */
export async function startPduDaemon(
  config: string,
  pdus: Record<string, Record<string, string>>,
): Promise<{ port: number; process: LabProcess }> {
  const port = await freeLoopbackPort();
  const daemon = { hostname: '127.0.0.1', port, logging_level: 'INFO', listener: 'http' };
  await writeFile(config, JSON.stringify({ daemon, pdus }, null, 2));
  const pdudaemon = LabProcess.start('pdudaemon', 'pdudaemon', [
    '--conf',
    config,
    '--listener',
    'http',
    '--logfile',
    '-',
  ]);
  try {
    await pdudaemon.waitReady(
      `pdudaemon answering HTTP on 127.0.0.1:${port}`,
      async () => {
        // Any answer (404 for /) means the listener is up.
        await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        return true;
      },
      20_000,
    );
  } catch (error) {
    await pdudaemon.stop();
    throw error;
  }
  return { port, process: pdudaemon };
}

function accepts(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(undefined));
  });
}
