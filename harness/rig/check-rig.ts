// `hupbench check --rig X`: is a rig wired right? Power-cycles the board, waits for the bootloader
// banner and the login prompt on its console, logs in, finds its address, reaches SSH, and reports
// each step (what worked, what did not and what to look at), without throwing on a broken rig.
import path from 'node:path';
import { cacheDir } from '../../images/lib/cache.ts';
import { loadReleases } from '../../images/lib/releases.ts';
import { imageForRelease } from '../image/release-image.ts';
import { DeviceSsh } from '../ssh/ssh-client.ts';
import { waitFor } from '../wait.ts';
import { BenchRig } from './bench/bench-rig.ts';
import { createRig } from './create-rig.ts';
import { acquireRigLease, type RigLease } from './lease.ts';
import { loadRigConfig, type RigConfig } from './rig-config.ts';
import type { Rig } from './rig.ts';

export interface RigCheckOptions {
  /** Flash this card image first. */
  image?: string;
  /** Flash this release's reference image first (built if missing). */
  release?: string;
  /**
   * Without `image` or `release`, a real bench boots whatever its card holds; a QEMU rig or a
   * virtual bench (blank card) is flashed with the newest release.
   */
  onCheck?: (check: RigCheck) => void;
  /** Take the rig's lease for the check (default true). */
  lease?: boolean;
}

export interface RigCheck {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  /** What was seen, or what went wrong and what to look at. */
  detail: string;
  durationMs: number;
}

export interface RigCheckReport {
  rig: string;
  ok: boolean;
  checks: RigCheck[];
  /** The last console lines, for a failed check. */
  consoleTail: string;
  durationMs: number;
}

/** Checks a rig (by name, file or config) end to end; never throws for a broken rig. */
export async function checkRig(rigOrConfig: string | RigConfig, opts: RigCheckOptions = {}): Promise<RigCheckReport> {
  const started = Date.now();
  const checks: RigCheck[] = [];
  let failed = false;
  let rig: Rig | undefined;
  let lease: RigLease | undefined;
  let config: RigConfig | undefined = typeof rigOrConfig === 'string' ? undefined : rigOrConfig;
  const step = async (name: string, body: () => Promise<string>): Promise<void> => {
    const t0 = Date.now();
    let check: RigCheck;
    if (failed) check = { name, status: 'skipped', detail: 'an earlier check failed', durationMs: 0 };
    else {
      try {
        check = { name, status: 'ok', detail: await body(), durationMs: Date.now() - t0 };
      } catch (e) {
        failed = true;
        check = { name, status: 'failed', detail: (e as Error).message, durationMs: Date.now() - t0 };
      }
    }
    checks.push(check);
    opts.onCheck?.(check);
  };

  try {
    await step('rig file', async () => {
      config ??= await loadRigConfig(rigOrConfig as string);
      return `${config.name}: ${config.kind} rig, device type ${config.deviceType}`;
    });
    if (opts.lease !== false) {
      await step('lease', async () => {
        lease = await acquireRigLease(config!.name, { command: `check ${config!.name}` });
        return `held in ${lease.file}${lease.tookOverFrom ? ` (took over a stale lease of pid ${lease.tookOverFrom.pid})` : ''}`;
      });
    }
    await step('console', async () => {
      rig = createRig(config!, path.join(cacheDir, 'rigs', `${config!.name}-check-${process.pid}`));
      if (rig instanceof BenchRig) await rig.start();
      return rig instanceof BenchRig ? 'connected' : 'attached at power-on (QEMU pty)';
    });
    const image = failed ? undefined : await chooseImage(config!, opts);
    if (image) {
      await step('flash', async () => {
        const file = image.path ?? (await imageForRelease(image.release!, config!.deviceType)).path;
        await rig!.flash(file);
        const f = rig instanceof BenchRig ? rig.lastFlash : undefined;
        const what = image.release ? `release ${image.release}` : file;
        return f
          ? `${what}: wrote ${f.writtenBytes} of ${f.imageBytes} image bytes (${f.ranges} mapped ranges), read back ${f.verifiedBytes} bytes, sha256 matches`
          : `${what}: flashed`;
      });
    }
    const bootTimeoutMs = (config?.bootTimeoutSeconds ?? 120) * 1000;
    let powerOnAt = 0;
    await step('power cycle', async () => {
      await rig!.power.off();
      await rig!.power.on();
      powerOnAt = rig!.console.powerOnTimes().at(-1) ?? 0;
      return 'off, then on';
    });
    await step('bootloader banner', async () => {
      const banner = await waitFor(
        async () => rig!.console.bootEvents.events.find((e) => e.kind === 'bootloader' && e.atMs >= powerOnAt),
        {
          timeoutMs: Math.min(bootTimeoutMs, 60_000),
          what: 'The bootloader banner (U-Boot YYYY.MM) on the console after power-on',
          details: () =>
            `Nothing from the bootloader: check the console wiring (TX/RX swapped? baud rate?), that the power really switched, and that the board boots from the SD card.\nLast console lines:\n${rig!.console.tail(10)}`,
        },
      );
      return `${banner.line.trim()} (${((banner.atMs - powerOnAt) / 1000).toFixed(1)} s after power-on)`;
    });
    await step('login prompt', async () => {
      await rig!.console.expect(/login: ?$/m, {
        timeoutMs: bootTimeoutMs,
        what: `Login prompt (bootTimeoutSeconds ${bootTimeoutMs / 1000} from the rig file)`,
      });
      return `${((rig!.console.now() - powerOnAt) / 1000).toFixed(1)} s after power-on`;
    });
    await step('console login', async () => {
      await rig!.console.login({ timeoutMs: 30_000 });
      const version = await rig!.console.run(
        '. /etc/os-release && echo "$PRETTY_NAME ($VERSION, $MACHINE)"; uname -rm',
      );
      if (version.exitCode !== 0)
        throw new Error(`commands on the console failed (exit ${version.exitCode}): ${version.stdout}`);
      return version.stdout.trim().replace(/\n/g, '; ');
    });
    await step('address', async () => {
      const shown = (await rig!.console.run('ip -4 -o addr show scope global')).stdout.trim();
      const seen =
        [...shown.matchAll(/^\d+: (\S+)\s+inet (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ') ||
        'no global IPv4 address';
      if (rig instanceof BenchRig) await rig.resolveAddress();
      const endpoint = rig!.sshEndpoint();
      return `SSH at ${endpoint.host}:${endpoint.port}; the console shows ${seen}`;
    });
    await step('ssh', async () => {
      const ssh = new DeviceSsh(rig!.sshEndpoint());
      try {
        await ssh.waitReachable(
          bootTimeoutMs,
          () => `Check the address and that the board's network is up.\nLast console lines:\n${rig!.console.tail(10)}`,
        );
        const result = await ssh.exec('uname -n');
        return `${ssh.where} answers as ${result.stdout.trim()}`;
      } finally {
        await ssh.close();
      }
    });
    await step('power off', async () => {
      await rig!.power.off();
      return 'off';
    });
  } catch (e) {
    // Note: the steps catch their own errors; this is the check itself failing (e.g. releases.yaml).
    failed = true;
    checks.push({ name: 'check', status: 'failed', detail: (e as Error).message, durationMs: 0 });
  }
  const consoleTail = failed ? (rig?.console.tail(15) ?? '') : '';
  await rig?.dispose().catch((e: Error) => {
    failed = true;
    checks.push({ name: 'dispose', status: 'failed', detail: e.message, durationMs: 0 });
  });
  await lease?.release();
  return {
    rig: config?.name ?? String(rigOrConfig),
    ok: !failed,
    checks,
    consoleTail,
    durationMs: Date.now() - started,
  };
}

/** The report as a user reads it: one line per check, then the console tail if something failed. */
export function formatRigCheckReport(report: RigCheckReport): string {
  const mark = { ok: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  const lines = report.checks.map((c) => {
    const [first, ...rest] = c.detail.split('\n');
    const time = c.status === 'skipped' ? '' : ` (${(c.durationMs / 1000).toFixed(1)} s)`;
    return [
      `  ${mark[c.status]} ${c.name.padEnd(18)} ${first}${time}`,
      ...rest.map((l) => `       ${''.padEnd(18)} ${l}`),
    ].join('\n');
  });
  const verdict = report.ok
    ? `rig ${report.rig} works`
    : `rig ${report.rig} is NOT ready: ${report.checks.find((c) => c.status === 'failed')?.name} failed`;
  const tail = report.consoleTail ? `\nLast console lines:\n${report.consoleTail}` : '';
  return `Checking rig ${report.rig}\n${lines.join('\n')}\n${verdict} (${(report.durationMs / 1000).toFixed(1)} s)${tail}`;
}

async function chooseImage(
  config: RigConfig,
  opts: RigCheckOptions,
): Promise<{ path?: string; release?: string } | undefined> {
  if (opts.image) return { path: opts.image };
  if (opts.release) return { release: opts.release };
  if (config.kind === 'bench' && !config.virtualBench) return undefined;
  return { release: (await loadReleases()).filter((r) => r.layout === '2.x').at(-1)!.version };
}
