// The harness's own SSH bytes to and from a device, counted on the host's sockets (payload: the TCP,
// IP and Ethernet headers around it are not counted). A bandwidth figure taken from the device's
// interface counters subtracts these, so the harness watching an update is not billed to the update.
import type { Socket } from 'node:net';

export interface SshBytes {
  /** Host → device. */
  toDevice: number;
  /** Device → host. */
  fromDevice: number;
}

export class SshTraffic {
  private readonly sockets: Array<{ openedAt: number; socket: Socket }> = [];

  track(socket: Socket): void {
    this.sockets.push({ openedAt: Date.now(), socket });
  }

  /** Bytes on every connection so far, or only on those opened at or after `openedSince` (host ms). */
  total(openedSince = 0): SshBytes {
    let toDevice = 0;
    let fromDevice = 0;
    for (const { openedAt, socket } of this.sockets) {
      if (openedAt < openedSince) continue;
      toDevice += socket.bytesWritten;
      fromDevice += socket.bytesRead;
    }
    return { toDevice, fromDevice };
  }
}

export const sshBytesBetween = (a: SshBytes, b: SshBytes): SshBytes => ({
  toDevice: b.toDevice - a.toDevice,
  fromDevice: b.fromDevice - a.fromDevice,
});
