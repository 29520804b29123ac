// Makes this host able to run hupbench: Debian packages, foreign architectures for the target
// packages, a proof that every rig's QEMU starts, and (with --images) the reference images.
// Installs what is missing when run as root; otherwise says exactly what to run. A failure ends
// with a message and a non-zero exit, never a stack trace (HUPBENCH_DEBUG=1 adds it).
// Flags: --images (build the reference images too), --no-rig-check (skip the QEMU start check).
import { access } from 'node:fs/promises';
import {
  aptInstall,
  candidates,
  HostSetupError,
  runCommand,
  updateForPackages,
  type AptOptions,
  type NeededPackage,
} from './apt.ts';
import { foreignArchitectures, hostRequirements, targetPackages, type HostRequirement } from './host-requirements.ts';
import { checkRigsStart } from './rig-start.ts';

type Log = (m: string) => void;
const defaultLog: Log = (m) => console.log(`[setup] ${m}`);

async function present(req: HostRequirement): Promise<boolean> {
  if (req.needs.startsWith('/'))
    return access(req.needs).then(
      () => true,
      () => false,
    );
  return (await runCommand(['sh', '-c', 'command -v "$1"', 'sh', req.needs])).exitCode === 0;
}

async function missingRequirements(): Promise<HostRequirement[]> {
  const have = await Promise.all(hostRequirements.map(present));
  return hostRequirements.filter((_, i) => !have[i]);
}

async function missingArchitectures(): Promise<string[]> {
  const out = await runCommand(['dpkg', '--print-foreign-architectures']);
  const have = out.stdout.split('\n');
  return foreignArchitectures.filter((a) => !have.includes(a));
}

function neededPackages(missing: HostRequirement[]): NeededPackage[] {
  return [
    ...missing.map((m) => ({ name: m.debianPackage, provides: m.needs, why: m.why })),
    ...targetPackages().map((t) => ({ name: t.name, provides: `the target package ${t.name}`, why: t.why })),
  ];
}

export async function ensureHost(log: Log = defaultLog, apt: AptOptions = {}): Promise<void> {
  const missing = await missingRequirements();
  const arches = await missingArchitectures();
  // apt knows the target packages only after an update with the foreign architectures enabled.
  const targetsKnown =
    arches.length === 0 &&
    [
      ...(
        await candidates(
          targetPackages().map((t) => t.name),
          apt,
        )
      ).values(),
    ].every(Boolean);
  if (!missing.length && targetsKnown) return;

  const packages = [...new Set(missing.map((m) => m.debianPackage))];
  if (process.getuid?.() !== 0) {
    const lines = missing.map((m) => `  ${m.needs} (package ${m.debianPackage}): ${m.why}`);
    throw new HostSetupError(
      `This host lacks what hupbench needs:\n${lines.join('\n') || '  (tools present)'}\n` +
        (arches.length ? `  foreign architectures ${arches.join(', ')} for the target packages\n` : '') +
        (!arches.length && !targetsKnown ? `  apt's indexes for the target packages (apt-get update)\n` : '') +
        `Run as root:\n` +
        arches.map((a) => `  dpkg --add-architecture ${a}\n`).join('') +
        `  apt-get update${packages.length ? ` && apt-get install -y --no-install-recommends ${packages.join(' ')}` : ''}`,
    );
  }
  for (const arch of arches) {
    log(`enabling ${arch} packages (dpkg --add-architecture ${arch})`);
    const out = await runCommand(['dpkg', '--add-architecture', arch]);
    if (out.exitCode !== 0) throw new HostSetupError(`dpkg --add-architecture ${arch} failed: ${out.stderr.trim()}`);
  }
  let t = Date.now();
  log('apt-get update');
  await updateForPackages(neededPackages(missing), { log, ...apt });
  log(`apt-get update done (${seconds(t)})`);
  if (packages.length) {
    t = Date.now();
    log(`installing ${packages.join(' ')}`);
    await aptInstall(packages, apt);
    log(`installed (${seconds(t)})`);
    const still = await missingRequirements();
    if (still.length) {
      throw new HostSetupError(
        `apt installed ${packages.join(' ')}, yet this host still lacks:\n` +
          still
            .map(
              (m) =>
                `  ${m.needs}: expected from package ${m.debianPackage} (harness/setup/host-requirements.ts may name the wrong package)`,
            )
            .join('\n'),
      );
    }
  }
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

/** The message a person sees for a setup failure: no stack trace unless HUPBENCH_DEBUG is set. */
export function describeSetupError(error: unknown): string {
  const e = error as Error & { exitCode?: number | null; stderr?: string; stdout?: string };
  if (process.env.HUPBENCH_DEBUG && e?.stack) return e.stack;
  if (e instanceof HostSetupError) return e.message;
  // zx's ProcessOutput (a command run by the image builder failed): its exit code and last lines.
  if (e && typeof e === 'object' && 'exitCode' in e && typeof e.stderr === 'string') {
    const tail = (e.stderr.trim() || (e.stdout ?? '').trim())
      .split('\n')
      .slice(-8)
      .map((l) => `  ${l}`)
      .join('\n');
    return `a command failed (exit ${e.exitCode}):\n${tail || '  (no output)'}\n(HUPBENCH_DEBUG=1 shows where it was run from)`;
  }
  return `${e?.message ?? String(error)}\n(HUPBENCH_DEBUG=1 shows the stack)`;
}

async function main(argv: string[], log: Log = defaultLog): Promise<number> {
  const started = Date.now();
  try {
    await ensureHost(log);
    if (!argv.includes('--no-rig-check')) {
      const t = Date.now();
      await checkRigsStart(log);
      log(`every rig's QEMU starts (${seconds(t)})`);
    }
    if (argv.includes('--images')) {
      const t = Date.now();
      const { ensureAllImages } = await import('../../images/build.ts');
      await ensureAllImages({}, (m) => console.log(`[images] ${m}`));
      log(`reference images ready (${seconds(t)})`);
    }
    log(`host ready (${seconds(started)})`);
    return 0;
  } catch (error) {
    for (const line of describeSetupError(error).split('\n')) console.error(`[setup] ${line}`);
    console.error(`[setup] host NOT ready (${seconds(started)})`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
