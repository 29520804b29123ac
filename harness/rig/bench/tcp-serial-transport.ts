// A console behind a TCP serial server (ser2net): `raw` is the bytes as they are; `rfc2217` is
// telnet with the COM-PORT option, which also sets the line's baud rate on the server's UART.
import net from 'node:net';
import type { ConsoleTransport } from '../../console/transport.ts';
import { InfraError } from '../../errors.ts';
import { waitFor } from '../../wait.ts';

const IAC = 255,
  DONT = 254,
  DO = 253,
  WONT = 252,
  WILL = 251,
  SB = 250,
  SE = 240;
const BINARY = 0,
  ECHO = 1,
  SGA = 3,
  COM_PORT = 44;
const SET_BAUDRATE = 1,
  SET_DATASIZE = 2,
  SET_PARITY = 3,
  SET_STOPSIZE = 4;
/** What we offer to do (WILL) and what we ask the server to do (DO). */
const weWill = new Set([BINARY, SGA, COM_PORT]);
const theyMay = new Set([BINARY, SGA, ECHO]);

export interface TcpSerialOptions {
  host: string;
  port: number;
  protocol: 'raw' | 'rfc2217';
  baud: number;
  /** How long the server may take to accept (it may be starting). */
  connectTimeoutMs?: number;
}

export async function tcpSerialTransport(opts: TcpSerialOptions): Promise<ConsoleTransport> {
  const where = `${opts.protocol === 'rfc2217' ? 'rfc2217' : 'tcp'}://${opts.host}:${opts.port}`;
  const socket = await waitFor(() => connectOnce(opts.host, opts.port), {
    timeoutMs: opts.connectTimeoutMs ?? 15_000,
    what: `Serial server (ser2net) accepting on ${where}`,
    details: () =>
      'Check that ser2net runs on the lab host with an accepter on that port, and the host and port in the rig file.',
    intervalMs: 100,
  });
  const listeners: Array<(chunk: Buffer) => void> = [];
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  const telnet = opts.protocol === 'rfc2217' ? new TelnetCodec((bytes) => socket.write(bytes), opts.baud) : undefined;
  socket.on('data', (chunk: Buffer) => {
    const data = telnet ? telnet.decode(chunk) : chunk;
    if (data.length) for (const l of listeners) l(data);
  });
  telnet?.start();
  return {
    description: `${where} (${opts.baud} baud)`,
    write: (text) =>
      new Promise((resolve, reject) => {
        if (closed)
          return reject(
            new InfraError(
              `Console connection ${where} is closed: did ser2net stop, or another client take the port over?`,
            ),
          );
        const bytes = Buffer.from(text, 'latin1');
        socket.write(telnet ? TelnetCodec.escape(bytes) : bytes, (err) => (err ? reject(err) : resolve()));
      }),
    onData: (listener) => void listeners.push(listener),
    isOpen: () => !closed,
    close: () =>
      new Promise((resolve) => {
        if (closed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        // Note: a server that never answers the FIN must not hold up the rig's disposal.
        setTimeout(() => socket.destroy(), 1000).unref();
      }),
  };
}

function connectOnce(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.setNoDelay(true);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      s.destroy();
      reject(e);
    });
  });
}

/** Telnet option negotiation and IAC (un)escaping, enough for RFC 2217 console use. */
class TelnetCodec {
  private state: 'data' | 'iac' | 'option' | 'sb' | 'sb-iac' = 'data';
  private command = 0;
  private readonly agreed = new Map<string, boolean>();

  constructor(
    private readonly send: (bytes: Buffer) => void,
    private readonly baud: number,
  ) {}

  static escape(bytes: Buffer): Buffer {
    if (!bytes.includes(IAC)) return bytes;
    const out: number[] = [];
    for (const b of bytes) out.push(...(b === IAC ? [IAC, IAC] : [b]));
    return Buffer.from(out);
  }

  start(): void {
    for (const option of weWill) this.negotiate(WILL, option);
    for (const option of [BINARY, SGA]) this.negotiate(DO, option);
  }

  decode(chunk: Buffer): Buffer {
    const out: number[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'data':
          if (b === IAC) this.state = 'iac';
          else out.push(b);
          break;
        case 'iac':
          if (b === IAC) {
            out.push(IAC);
            this.state = 'data';
          } else if (b === SB) this.state = 'sb';
          else if (b >= WILL && b <= DONT) {
            this.command = b;
            this.state = 'option';
          } else this.state = 'data'; // NOP, GA and friends carry nothing for us
          break;
        case 'option':
          this.answer(this.command, b);
          this.state = 'data';
          break;
        case 'sb':
          // Note: the server's COM-PORT replies (its baud rate, line state) are not needed: skip them.
          if (b === IAC) this.state = 'sb-iac';
          break;
        case 'sb-iac':
          this.state = b === SE ? 'data' : 'sb';
          break;
      }
    }
    return Buffer.from(out);
  }

  private answer(command: number, option: number): void {
    if (command === DO) this.negotiate(weWill.has(option) ? WILL : WONT, option);
    else if (command === WILL) this.negotiate(theyMay.has(option) ? DO : DONT, option);
    else if (command === DONT) this.negotiate(WONT, option);
    else if (command === WONT) this.negotiate(DONT, option);
    if (command === DO && option === COM_PORT) this.configureLine();
  }

  /** Sends a negotiation only when it changes what was agreed, so the two ends never loop. */
  private negotiate(command: number, option: number): void {
    const side = command === WILL || command === WONT ? 'we' : 'they';
    const enable = command === WILL || command === DO;
    if (this.agreed.get(`${side}:${option}`) === enable) return;
    this.agreed.set(`${side}:${option}`, enable);
    this.send(Buffer.from([IAC, command, option]));
  }

  private configureLine(): void {
    const baud = Buffer.alloc(4);
    baud.writeUInt32BE(this.baud);
    const sub = (code: number, value: Buffer) =>
      Buffer.concat([Buffer.from([IAC, SB, COM_PORT, code]), TelnetCodec.escape(value), Buffer.from([IAC, SE])]);
    this.send(
      Buffer.concat([
        sub(SET_BAUDRATE, baud),
        sub(SET_DATASIZE, Buffer.from([8])),
        sub(SET_PARITY, Buffer.from([1])),
        sub(SET_STOPSIZE, Buffer.from([1])),
      ]),
    );
  }
}
