// `hupbench check --rig X`: is a rig wired right? Power-cycles the board, waits for the bootloader
// banner and the login prompt on its console, logs in, finds its address, reaches SSH, and reports
// each step (what worked, what did not and what to look at), without throwing on a broken rig.
import path from 'node:path';
import { cacheDir } from '../../images/lib/cache.ts';
import { loadReleases } from '../../images/lib/releases.ts';
import { Device } from '../device/device.ts';
import { imageForRelease } from '../image/release-image.ts';
import { BenchRig } from '../rig/bench/bench-rig.ts';
import { createRig } from '../rig/create-rig.ts';
import { acquireRigLease, type RigLease } from '../rig/lease.ts';
import { loadRigConfig, type RigConfig } from '../rig/rig-config.ts';
import { BoardStrategy } from './strategy.ts';

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
  const run = new CheckRun(opts);
  const state: CheckState = { config: typeof rigOrConfig === 'string' ? undefined : rigOrConfig };
  try {
    await run.step('rig file', async () => {
      state.config ??= await loadRigConfig(rigOrConfig as string);
      return `${state.config.name}: ${state.config.kind} rig, device type ${state.config.deviceType}`;
    });
    if (opts.lease !== false) await run.step('lease', () => takeLease(state));
    await run.step('console', () => openConsole(state));
    const image = run.failed ? undefined : await chooseImage(state.config!, opts);
    if (image) await run.step('flash', () => flash(state, image));
    for (const [name, check] of boardChecks) await run.step(name, () => check(state));
  } catch (e) {
    // Note: the steps catch their own errors; this is the check itself failing (e.g. releases.yaml).
    run.fail('check', e as Error);
  }
  const consoleTail = run.failed ? (state.board?.rig.console.tail(15) ?? '') : '';
  await state.board?.rig.dispose().catch((e: Error) => run.fail('dispose', e));
  await state.lease?.release();
  return {
    rig: state.config?.name ?? String(rigOrConfig),
    ok: !run.failed,
    checks: run.checks,
    consoleTail,
    durationMs: Date.now() - started,
  };
}

interface CheckState {
  config?: RigConfig;
  lease?: RigLease;
  board?: BoardStrategy;
  powerOnAt?: number;
}

/** The checks in order; each skipped once one has failed. */
class CheckRun {
  readonly checks: RigCheck[] = [];
  failed = false;

  constructor(private readonly opts: RigCheckOptions) {}

  async step(name: string, body: () => Promise<string>): Promise<void> {
    const t0 = Date.now();
    let check: RigCheck;
    if (this.failed) check = { name, status: 'skipped', detail: 'an earlier check failed', durationMs: 0 };
    else {
      try {
        check = { name, status: 'ok', detail: await body(), durationMs: Date.now() - t0 };
      } catch (e) {
        this.failed = true;
        check = { name, status: 'failed', detail: (e as Error).message, durationMs: Date.now() - t0 };
      }
    }
    this.checks.push(check);
    this.opts.onCheck?.(check);
  }

  fail(name: string, error: Error): void {
    this.failed = true;
    this.checks.push({ name, status: 'failed', detail: error.message, durationMs: 0 });
  }
}

async function takeLease(state: CheckState): Promise<string> {
  const lease = await acquireRigLease(state.config!.name, { command: `check ${state.config!.name}` });
  state.lease = lease;
  return `held in ${lease.file}${lease.tookOverFrom ? ` (took over a stale lease of pid ${lease.tookOverFrom.pid})` : ''}`;
}

async function openConsole(state: CheckState): Promise<string> {
  const config = state.config!;
  const rig = createRig(config, path.join(cacheDir, 'rigs', `${config.name}-check-${process.pid}`));
  state.board = new BoardStrategy(rig, new Device(rig));
  if (rig instanceof BenchRig) await rig.start();
  return rig instanceof BenchRig ? 'connected' : 'attached at power-on (QEMU pty)';
}

async function flash(state: CheckState, image: { path?: string; release?: string }): Promise<string> {
  const rig = state.board!.rig;
  const file = image.path ?? (await imageForRelease(image.release!, state.config!.deviceType)).path;
  await rig.flash(file);
  const f = rig instanceof BenchRig ? rig.lastFlash : undefined;
  const what = image.release ? `release ${image.release}` : file;
  return f
    ? `${what}: wrote ${f.writtenBytes} of ${f.imageBytes} image bytes (${f.ranges} mapped ranges), read back ${f.verifiedBytes} bytes, sha256 matches`
    : `${what}: flashed`;
}

const sinceOn = (state: CheckState) =>
  `${((state.board!.rig.console.now() - state.powerOnAt!) / 1000).toFixed(1)} s after power-on`;

/** The board's part of the check, through its strategy: power, bootloader, login, console, address, SSH. */
const boardChecks: Array<[string, (state: CheckState) => Promise<string>]> = [
  [
    'bootloader banner',
    async (state) => {
      const board = state.board!;
      const bootTimeoutMs = state.config!.bootTimeoutSeconds * 1000;
      const { banner, powerOnAt } = await board.powerCycleToBootloader(
        Math.min(bootTimeoutMs, 60_000),
        () =>
          `Nothing from the bootloader: check the console wiring (TX/RX swapped? baud rate?), that the power really switched, and that the board boots from the SD card.\nLast console lines:\n${board.rig.console.tail(10)}`,
      );
      state.powerOnAt = powerOnAt;
      return `${banner.line.trim()} (${((banner.atMs - powerOnAt) / 1000).toFixed(1)} s after power-on)`;
    },
  ],
  [
    'login prompt',
    async (state) => {
      await state.board!.toLoginPrompt();
      return sinceOn(state);
    },
  ],
  [
    'console login',
    async (state) => {
      const console = state.board!.rig.console;
      await console.login({ timeoutMs: 30_000 });
      const version = await console.run('. /etc/os-release && echo "$PRETTY_NAME ($VERSION, $MACHINE)"; uname -rm');
      if (version.exitCode !== 0)
        throw new Error(`commands on the console failed (exit ${version.exitCode}): ${version.stdout}`);
      return version.stdout.trim().replace(/\n/g, '; ');
    },
  ],
  [
    'address',
    async (state) => {
      const rig = state.board!.rig;
      const shown = (await rig.console.run('ip -4 -o addr show scope global')).stdout.trim();
      const seen =
        [...shown.matchAll(/^\d+: (\S+)\s+inet (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ') ||
        'no global IPv4 address';
      if (rig instanceof BenchRig) await rig.resolveAddress();
      const endpoint = rig.sshEndpoint();
      return `SSH at ${endpoint.host}:${endpoint.port}; the console shows ${seen}`;
    },
  ],
  [
    'ssh',
    async (state) => {
      const board = state.board!;
      await board.toSsh().catch((e: Error) => {
        throw new Error(
          `${e.message}\nCheck the address and that the board's network is up.\nLast console lines:\n${board.rig.console.tail(10)}`,
        );
      });
      const name = await board.device.check('uname -n');
      return `${board.rig.sshEndpoint().host}:${board.rig.sshEndpoint().port} answers as ${name.trim()}`;
    },
  ],
  [
    'power off',
    async (state) => {
      await state.board!.powerOff();
      return 'off';
    },
  ],
];

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
