// apt, as the host setup uses it: an update that survives a flaky mirror (retried; an index that
// still fails is tolerated when every needed package has a candidate from the others), candidates
// checked with apt-cache policy, installs without Recommends. apt-get and apt-cache can be replaced
// by scripts (HUPBENCH_APT_GET, HUPBENCH_APT_CACHE, or the options) so tests can play a bad mirror.
import type { CommandResult } from '../command-result.ts';
import { runHostCommand } from '../rig/bench/host-command.ts';

/** A setup failure the user can act on: printed as it is, without a stack trace. */
export class HostSetupError extends Error {
  override name = 'HostSetupError';
}

export interface AptOptions {
  /** The apt-get command (default $HUPBENCH_APT_GET, else apt-get). */
  aptGet?: string;
  /** The apt-cache command (default $HUPBENCH_APT_CACHE, else apt-cache). */
  aptCache?: string;
  /** apt-get update attempts before a failed index is judged (default 3). */
  tries?: number;
  /** Pause between attempts (default 10 s). */
  pauseMs?: number;
  log?: (line: string) => void;
}

/** Runs a command (argv, quoted for the shell) with a deadline; resolves whatever its exit code. */
export function runCommand(argv: string[], timeoutMs = 60_000): Promise<CommandResult> {
  return runHostCommand(argv.map(shellQuote).join(' '), timeoutMs);
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const aptGetOf = (o: AptOptions) => [
  'env',
  'DEBIAN_FRONTEND=noninteractive',
  o.aptGet ?? process.env.HUPBENCH_APT_GET ?? 'apt-get',
];
const aptCacheOf = (o: AptOptions) => o.aptCache ?? process.env.HUPBENCH_APT_CACHE ?? 'apt-cache';
const minutes = (n: number) => n * 60_000;
// apt retries each download itself too (a short read, a reset connection).
const acquireRetries = ['-o', 'Acquire::Retries=3'];

export interface FailedIndex {
  /** The URL apt named, or apt's whole message when it named none. */
  index: string;
  reason: string;
}

/** The indexes an `apt-get update` could not fetch, from its `W:`/`E:` lines. */
export function parseFailedIndexes(output: string): FailedIndex[] {
  const failed = new Map<string, FailedIndex>();
  for (const line of output.split('\n')) {
    const m = line.match(/^[WE]: (.*)$/);
    if (!m) continue;
    const message = m[1]!.trim();
    // apt's summary of the lines before it, and advice that names no index.
    if (/^Some index files failed to download/.test(message) || /^(See|Updating from such a repository)/.test(message))
      continue;
    const fetch = message.match(/^Failed to fetch (\S+)\s*(.*)$/);
    if (fetch)
      failed.set(fetch[1]!, {
        index: fetch[1]!,
        reason: fetch[2]!.replace(/\s*\[IP: [^\]]*\]\s*$/, '').trim() || 'no reason given',
      });
    else if (/Release|repository|Could not|Temporary failure|unexpected size|Hash Sum/i.test(message))
      failed.set(message, { index: message, reason: '' });
  }
  return [...failed.values()];
}

export interface UpdateResult {
  ok: boolean;
  attempts: number;
  /** What still failed after the last attempt. */
  failed: FailedIndex[];
  /** apt's output of the last attempt (for a message when nothing could be parsed). */
  output: string;
}

/** `apt-get update`, retried with a pause while it fails; reports what still failed. */
export async function aptUpdate(opts: AptOptions = {}): Promise<UpdateResult> {
  const tries = opts.tries ?? 3;
  const pauseMs = opts.pauseMs ?? 10_000;
  let last: CommandResult | undefined;
  for (let attempt = 1; attempt <= tries; attempt++) {
    last = await runCommand([...aptGetOf(opts), 'update', '-q', ...acquireRetries], minutes(10));
    if (last.exitCode === 0) {
      // apt exits 0 with W: lines for an index it ignored (an unreachable extra repository).
      return {
        ok: true,
        attempts: attempt,
        failed: parseFailedIndexes(last.stderr + last.stdout),
        output: last.stderr,
      };
    }
    const failed = parseFailedIndexes(last.stderr + last.stdout);
    if (attempt < tries) {
      opts.log?.(
        `apt-get update failed (attempt ${attempt} of ${tries}: ${describeFailures(failed, last)}); again in ${Math.round(pauseMs / 1000)}s`,
      );
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
  return {
    ok: false,
    attempts: tries,
    failed: parseFailedIndexes(last!.stderr + last!.stdout),
    output: (last!.stderr + last!.stdout).trim(),
  };
}

function describeFailures(failed: FailedIndex[], result: CommandResult): string {
  if (failed.length) return failed.map((f) => f.index).join(', ');
  return `exit ${result.exitCode}: ${lastLine(result.stderr) || lastLine(result.stdout) || 'no output'}`;
}

const lastLine = (text: string) => text.trim().split('\n').at(-1)?.trim() ?? '';

/** Each package's install candidate from `apt-cache policy` (undefined: apt has none). */
export async function candidates(packages: string[], opts: AptOptions = {}): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>(packages.map((p) => [p, undefined]));
  if (!packages.length) return result;
  const out = await runCommand([aptCacheOf(opts), 'policy', ...packages]);
  if (out.exitCode !== 0)
    throw new HostSetupError(
      `\`${out.command}\` failed (exit ${out.exitCode}): ${lastLine(out.stderr) || 'no output'}`,
    );
  let current: string | undefined;
  for (const line of out.stdout.split('\n')) {
    const header = line.match(/^(\S+):$/);
    if (header) {
      current = header[1];
      continue;
    }
    const candidate = line.match(/^\s+Candidate:\s*(\S+)/);
    if (candidate && current && result.has(current))
      result.set(current, candidate[1] === '(none)' ? undefined : candidate[1]);
  }
  return result;
}

export interface NeededPackage {
  name: string;
  /** What the package provides hupbench (a tool, a file, a target package's role). */
  provides: string;
  why: string;
}

/**
 * Updates apt's indexes, tolerating an index that keeps failing when every needed package still has
 * a candidate (one line names that index). A package without a candidate stops the setup with a
 * message naming it, what it provides and what to run.
 */
export async function updateForPackages(needed: NeededPackage[], opts: AptOptions = {}): Promise<UpdateResult> {
  const log = opts.log ?? (() => {});
  const update = await aptUpdate(opts);
  const found = await candidates([...new Set(needed.map((n) => n.name))], opts);
  const missing = needed.filter((n) => !found.get(n.name));
  const failedText = update.failed.map((f) => `${f.index}${f.reason ? ` (${f.reason})` : ''}`);
  if (missing.length) {
    const lines = missing.map((m) => `  ${m.name}: provides ${m.provides} (${m.why})`);
    const why = update.ok
      ? 'apt-get update succeeded, so no configured repository carries it'
      : `apt-get update failed ${update.attempts} times: ${failedText.join('; ') || lastLine(update.output) || 'no reason given'}`;
    const names = [...new Set(missing.map((m) => m.name))];
    throw new HostSetupError(
      `No install candidate for ${names.length === 1 ? 'a package' : `${names.length} packages`} hupbench needs:\n${lines.join('\n')}\n` +
        `Cause: ${why}.\n` +
        `What to run: \`apt-get update && apt-cache policy ${names.join(' ')}\` until it shows a Candidate ` +
        `(a mirror in the middle of a sync recovers within minutes; check /etc/apt/sources.list.d/ otherwise), ` +
        `then \`npx tsx harness/setup/ensure-host.ts\` again.`,
    );
  }
  for (const f of failedText)
    log(
      `apt-get update: index ${f} failed after ${update.attempts} ${update.attempts === 1 ? 'try' : 'tries'}; going on, every package hupbench needs has an install candidate from the other indexes`,
    );
  if (!update.ok && !update.failed.length)
    log(
      `apt-get update exited non-zero (${lastLine(update.output) || 'no output'}); going on, every package hupbench needs has an install candidate`,
    );
  return update;
}

/** `apt-get install --no-install-recommends`, the packages named exactly. */
export async function aptInstall(packages: string[], opts: AptOptions = {}): Promise<void> {
  if (!packages.length) return;
  const out = await runCommand(
    [...aptGetOf(opts), 'install', '-y', '-q', '--no-install-recommends', ...acquireRetries, ...packages],
    minutes(60),
  );
  if (out.exitCode !== 0) {
    const errors = (out.stderr + out.stdout)
      .split('\n')
      .filter((l) => /^E: /.test(l))
      .slice(0, 6);
    throw new HostSetupError(
      `apt-get install ${packages.join(' ')} failed (exit ${out.exitCode}):\n${(errors.length ? errors : [lastLine(out.stderr) || lastLine(out.stdout)]).map((l) => `  ${l}`).join('\n')}\n` +
        `What to run: \`apt-get install -y --no-install-recommends ${packages.join(' ')}\` and read apt's full message, then \`npx tsx harness/setup/ensure-host.ts\` again.`,
    );
  }
}
