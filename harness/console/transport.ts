// Where console bytes come from: a serial device or a pty (serialport), the same code path for a
// real board's USB-serial adapter and QEMU's emulated UART.
import { SerialPort } from 'serialport';
import { InfraError } from '../errors.ts';

export interface ConsoleTransport {
  write(data: string): Promise<void>;
  onData(listener: (chunk: Buffer) => void): void;
  close(): Promise<void>;
  readonly description: string;
  /** False once the line is gone (the pty closed, the serial server dropped the connection). */
  isOpen?(): boolean;
}

export async function openSerialTransport(path: string, baudRate = 115200): Promise<ConsoleTransport> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(
            new InfraError(
              `Cannot open serial console ${path} at ${baudRate} baud: ${err.message}. Check the device path in the rig file and that no other program holds it.`,
            ),
          )
        : resolve(),
    ),
  );
  return {
    description: `${path} @ ${baudRate}`,
    write: (data) =>
      new Promise((resolve, reject) => port.write(data, (err) => (err ? reject(err) : port.drain(() => resolve())))),
    onData: (listener) => void port.on('data', listener),
    close: () => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    isOpen: () => port.isOpen,
  };
}
