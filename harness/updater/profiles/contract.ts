// Reading an updater through its contract: which phase an output line starts, the arguments for an
// invocation, what an exit code means, the error line, the log's path, a pre-step's rerun request.
import type { ExitMeaning, UpdaterContract } from './types.ts';

/** The phase a line of the updater's output starts (its name in the guarantee table's words), if any. */
export function recognisePhase(contract: UpdaterContract, line: string): string | undefined {
  return contract.phases.find((p) => p.starts.test(line))?.name;
}

export interface InvocationOptions {
  targetVersion: string;
  supervisorVersion?: string;
  registry?: string;
  noReboot?: boolean;
  force?: boolean;
  forceSlug?: string;
}

/** The updater's arguments for an invocation, in its own flag names. */
export function buildUpdaterArgs(contract: UpdaterContract, o: InvocationOptions): string[] {
  const { flags } = contract;
  const args = [flags.targetVersion, o.targetVersion];
  if (o.supervisorVersion) args.push(flags.supervisorVersion, o.supervisorVersion);
  if (o.registry) args.push(flags.registry, o.registry);
  if (o.forceSlug) args.push(needFlag(contract, 'forceSlug'), o.forceSlug);
  if (o.force) args.push(needFlag(contract, 'force'));
  if (o.noReboot) args.push(flags.noReboot);
  return args;
}

function needFlag(contract: UpdaterContract, name: 'force' | 'forceSlug'): string {
  const flag = contract.flags[name];
  if (!flag) throw new Error(`The updater ${contract.script} has no ${name} flag (its profile names none)`);
  return flag;
}

/** What the exit code means to the updater ('failed' for a code its profile does not list). */
export function exitMeaning(contract: UpdaterContract, exitCode: number): ExitMeaning {
  return contract.exitCodes[String(exitCode)] ?? 'failed';
}

const lines = (output: string) => output.split('\n');

/** The line of a failed run that says why. */
export function errorLine(contract: UpdaterContract, output: string): string | undefined {
  return lines(output).find((l) => contract.error.test(l));
}

/** The log file the updater named in its output (undefined when it does not say: read its log folder). */
export function logPathIn(contract: UpdaterContract, output: string): string | undefined {
  const named = contract.log.named;
  return named ? output.match(named)?.[1] : undefined;
}

/** The updater asked to be run again after its reboot (a pre-step). */
export function asksRerun(contract: UpdaterContract, output: string): boolean {
  const rerun = contract.rerun;
  return rerun !== undefined && lines(output).some((l) => rerun.test(l));
}
