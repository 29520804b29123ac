// User data on the device that an update must keep: seeded files under resin-data, their checksums,
// and the app's heartbeats.
import type { Device } from './device.ts';
import { type DeviceState, parseSnapshot, snapshotScript } from './device-state.ts';

/** The shell command that writes random files under resin-data an update must keep byte for byte. */
export function seedDataScript(files = 3, kib = 512): string {
  return `mkdir -p /mnt/data/resin-data/userdata && for i in $(seq 1 ${files}); do head -c ${kib * 1024} /dev/urandom > /mnt/data/resin-data/userdata/file-$i.bin; done && echo "hello $(date)" > /mnt/data/resin-data/userdata/note.txt && sync`;
}

/** Random files under resin-data that an update must keep byte for byte. */
export async function seedData(device: Device, files = 3, kib = 512): Promise<void> {
  await device.check(seedDataScript(files, kib));
}

const checksumsScript = "cd /mnt/data/resin-data && find . -type f ! -name 'heartbeat*' | sort | xargs -r sha256sum";
// Note: hundreds of MB of seeded data take minutes to hash on an emulated Pi (TCG): the limit is
// for a hung device, not for a slow one.
const checksumsTimeoutMs = 15 * 60_000;

function parseChecksums(lines: string[]): Record<string, string> {
  return Object.fromEntries(
    lines
      .filter(Boolean)
      .map((l) => l.split(/\s+/))
      .map(([sum, file]) => [file!, sum!]),
  );
}

/** sha256 of every file under /mnt/data/resin-data except the app's live heartbeat files. */
export async function dataChecksums(device: Device): Promise<Record<string, string>> {
  const out = await device.check(checksumsScript, { timeoutMs: checksumsTimeoutMs });
  return parseChecksums(out.split('\n'));
}

/**
 * The device's state and its data checksums in one SSH round trip (what a test records before an
 * update): the snapshot script, then the checksums, which must succeed.
 */
export async function stateAndChecksums(device: Device): Promise<{ state: DeviceState; sums: Record<string, string> }> {
  const marker = '=== data-checksums';
  const out = await device.check(`${snapshotScript}\necho '${marker}'\n${checksumsScript}`, {
    timeoutMs: checksumsTimeoutMs,
  });
  const at = out.lastIndexOf(`${marker}\n`);
  if (at < 0) throw new Error(`The device's snapshot output has no "${marker}" section:\n${out.slice(-500)}`);
  return {
    state: parseSnapshot(out.slice(0, at)),
    sums: parseChecksums(out.slice(at + marker.length + 1).split('\n')),
  };
}

/** The shell command that prints the app's heartbeat log. */
export const heartbeatsCommand = (app = 'app') => `cat /mnt/data/resin-data/${app}/heartbeat.log 2>/dev/null`;

/** Heartbeat timestamps out of the log's lines. */
export function parseHeartbeats(text: string): number[] {
  return text
    .split('\n')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
}

/** The app's heartbeat timestamps (device clock, seconds). */
export async function heartbeats(device: Device, app = 'app'): Promise<number[]> {
  return parseHeartbeats((await device.exec(heartbeatsCommand(app))).stdout);
}
