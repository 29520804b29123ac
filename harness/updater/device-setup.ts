// What an update test does on the device around the updater: config.json pointing at the test's
// registry, the supervisor and app up, seeded user data, its checksums and the app's heartbeats.
import { expect } from '@playwright/test';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { APP_REFERENCE, supervisorReference } from '../../images/containers/container-images.ts';
import type { Device } from '../device/device.ts';
import type { DeviceState } from '../device/device-state.ts';
import { waitFor } from '../wait.ts';

/** The updater script to upload: images/updater/<name>, or from $HUPBENCH_UPDATER_DIR (a real vendor updater, or a deliberately broken copy). */
export function updaterScript(name: string): string {
  return path.join(process.env.HUPBENCH_UPDATER_DIR ?? path.join(projectRoot, 'images/updater'), name);
}

export interface PreparedDevice {
  config: Record<string, string>;
}

/**
 * Writes /mnt/boot/config.json (registry, device type, app, supervisor of `supervisorVersion`) and
 * starts the supervisor; with `waitForApp`, waits until the app's heartbeat advances.
 */
export async function prepareDevice(
  device: Device,
  opts: {
    registry: string;
    deviceType: string;
    supervisorVersion: string;
    waitForApp?: boolean;
    configOverrides?: Record<string, string>;
  },
): Promise<PreparedDevice> {
  const config = {
    registry: opts.registry,
    deviceType: opts.deviceType,
    app: APP_REFERENCE,
    supervisorImage: supervisorReference(opts.deviceType, opts.supervisorVersion),
    ...opts.configOverrides,
  };
  const json = JSON.stringify(config, null, 2).replace(/'/g, `'\\''`);
  await device.check(
    `printf '%s\\n' '${json}' > /mnt/boot/config.json.new && sync && mv /mnt/boot/config.json.new /mnt/boot/config.json && sync`,
  );
  if (opts.waitForApp) {
    await device.check('/etc/rc.d/S60supervisor start');
    await waitFor(
      async () => {
        const ps = await device.exec('docker ps -q');
        if (!ps.stdout.split('\n').includes('resin_supervisor') || !ps.stdout.split('\n').includes('app'))
          throw new Error(`running: ${ps.stdout.trim() || 'nothing'}`);
        const beats = await heartbeats(device);
        if (beats.length < 2) throw new Error('no heartbeat yet');
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 1000, what: 'the supervisor and the app running with a heartbeat' },
    );
  }
  return { config };
}

/**
 * Asserts that the supervisor of `supervisorVersion` and the app come to run (after an update's
 * reboot the supervisor may first have to be pulled) and that the app's heartbeat advances. A
 * product assertion, polled: not coming up after an update is the update's failure, not the rig's.
 */
export async function expectSupervisorAndAppRunning(
  device: Device,
  supervisorVersion: string,
  opts: { timeoutMs?: number; when?: string } = {},
): Promise<void> {
  const when = opts.when ? ` ${opts.when}` : '';
  const supervisorLine = new RegExp(
    `^resin_supervisor\\s+\\S+:v${supervisorVersion.replace(/\./g, '\\.')}\\s+running`,
    'm',
  );
  await expect
    .poll(
      async () => {
        const ps = (await device.exec('docker ps')).stdout;
        return supervisorLine.test(ps) && /^app\s+\S+\s+running/m.test(ps) ? 'both running' : ps;
      },
      {
        timeout: opts.timeoutMs ?? 240_000,
        intervals: [2000],
        message: `resin_supervisor v${supervisorVersion} and the app running${when}`,
      },
    )
    .toBe('both running');
  const last = Math.max(0, ...(await heartbeats(device)));
  await expect
    .poll(async () => Math.max(0, ...(await heartbeats(device))), {
      timeout: 30_000,
      message: `the app heartbeat advancing${when}`,
    })
    .toBeGreaterThan(last);
}

/** A health window tests can wait for: rollback-health's checks, compressed from its 15-minute default. */
export interface HealthWindow {
  count: number;
  timeoutSeconds: number;
}
export const testHealthWindow: HealthWindow = { count: 3, timeoutSeconds: 20 };

/** Sets rollback-health's COUNT and TIMEOUT for the next update (in /mnt/state, so it survives the reboot). */
export async function setHealthWindow(device: Device, window: HealthWindow = testHealthWindow): Promise<void> {
  await device.check(
    `printf 'COUNT=%s\nTIMEOUT=%s\n' ${window.count} ${window.timeoutSeconds} > /mnt/state/rollback-health-variables && sync`,
  );
}

/** Random files under resin-data that an update must keep byte for byte. */
export async function seedData(device: Device, files = 3, kib = 512): Promise<void> {
  await device.check(
    `mkdir -p /mnt/data/resin-data/userdata && for i in $(seq 1 ${files}); do head -c ${kib * 1024} /dev/urandom > /mnt/data/resin-data/userdata/file-$i.bin; done && echo "hello $(date)" > /mnt/data/resin-data/userdata/note.txt && sync`,
  );
}

/** sha256 of every file under /mnt/data/resin-data except the app's live heartbeat files. */
export async function dataChecksums(device: Device): Promise<Record<string, string>> {
  // Note: hundreds of MB of seeded data take minutes to hash on an emulated Pi (TCG): the limit is
  // for a hung device, not for a slow one.
  const out = await device.check(
    "cd /mnt/data/resin-data && find . -type f ! -name 'heartbeat*' | sort | xargs -r sha256sum",
    { timeoutMs: 15 * 60_000 },
  );
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/))
      .map(([sum, file]) => [file!, sum!]),
  );
}

/** The app's heartbeat timestamps (device clock, seconds). */
export async function heartbeats(device: Device, app = 'app'): Promise<number[]> {
  const out = await device.exec(`cat /mnt/data/resin-data/${app}/heartbeat.log 2>/dev/null`);
  return out.stdout
    .split('\n')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
}

/** The largest gap (seconds) between consecutive heartbeats within [from, to], and where it starts. */
export function maxGap(beats: number[], from = -Infinity, to = Infinity): { gap: number; at?: number } {
  const window = beats.filter((b) => b >= from && b <= to);
  let gap = 0;
  let at: number | undefined;
  for (let i = 1; i < window.length; i++) {
    const d = window[i]! - window[i - 1]!;
    if (d > gap) {
      gap = d;
      at = window[i - 1];
    }
  }
  return { gap, at };
}

/**
 * The app's longest heartbeat gap within [from, to] that the device's own in-RAM ticker (HupRun's
 * deviceTicks) does not share. When the ticker went silent too, the whole device stalled (an
 * emulator starved by its host, an SD model blocking the machine), which is not app downtime; a
 * gap outside the ticker's span is never excused. `deviceStall` is the longest such shared silence.
 */
export function appDowntime(
  beats: number[],
  ticks: number[],
  from = -Infinity,
  to = Infinity,
): { gap: number; at?: number; deviceStall: number } {
  const window = beats.filter((b) => b >= from && b <= to);
  const [first, last] = [ticks[0] ?? Infinity, ticks.at(-1) ?? -Infinity];
  let gap = 0;
  let at: number | undefined;
  let deviceStall = 0;
  for (let i = 1; i < window.length; i++) {
    const [a, b] = [window[i - 1]!, window[i]!];
    let unexplained = b - a;
    if (a >= first && b <= last) {
      const points = [a, ...ticks.filter((t) => t > a && t < b), b];
      const silence = Math.max(...points.slice(1).map((p, j) => p - points[j]!));
      unexplained = b - a - silence + 1;
      deviceStall = Math.max(deviceStall, silence);
    }
    if (unexplained > gap) {
      gap = unexplained;
      at = a;
    }
  }
  return { gap, at, deviceStall };
}

/** The parts of a DeviceState an update or a refused update must (or must not) change: not df. */
export function stableState(state: DeviceState) {
  return {
    partitions: state.partitions.map(({ device, number, label, fs, startSector, sizeBytes }) => ({
      device,
      number,
      label,
      fs,
      startSector,
      sizeBytes,
    })),
    activeRoot: state.activeRoot,
    bootEnv: state.bootEnv,
    osRelease: state.osRelease,
    stateFiles: [...state.stateFiles].sort(),
  };
}
