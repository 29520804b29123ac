// Makes this host able to run hupbench: Debian packages, foreign architectures for the target
// packages, and (with --images) the reference images. Installs what is missing when run as root;
// otherwise says exactly what to run.
import { $ } from 'zx';
import { access } from 'node:fs/promises';
import { foreignArchitectures, hostRequirements, type HostRequirement } from './host-requirements.ts';

$.verbose = false;

async function present(req: HostRequirement): Promise<boolean> {
  if (req.needs.startsWith('/')) return access(req.needs).then(() => true, () => false);
  return (await $`command -v ${req.needs}`.nothrow()).exitCode === 0;
}

async function missingArchitectures(): Promise<string[]> {
  const have = (await $`dpkg --print-foreign-architectures`).stdout.split('\n');
  return foreignArchitectures.filter((a) => !have.includes(a));
}

/** apt knows the target packages only after an update with the foreign architectures enabled. */
async function targetPackagesKnown(): Promise<boolean> {
  const out = await $`apt-cache policy busybox-static:armhf busybox-static:arm64`.nothrow();
  return !/Candidate: \(none\)/.test(out.stdout) && out.stdout.includes('Candidate');
}

export async function ensureHost(log = (m: string) => console.log(`[setup] ${m}`)): Promise<void> {
  const missing: HostRequirement[] = [];
  for (const req of hostRequirements) if (!(await present(req))) missing.push(req);
  const arches = await missingArchitectures();
  const aptCurrent = arches.length === 0 && (await targetPackagesKnown());
  if (!missing.length && aptCurrent) return;

  const packages = [...new Set(missing.map((m) => m.debianPackage))];
  if (process.getuid?.() !== 0) {
    const lines = missing.map((m) => `  ${m.needs} (package ${m.debianPackage}): ${m.why}`);
    throw new Error(
      `This host lacks what hupbench needs:\n${lines.join('\n') || '  (tools present)'}\n` +
        (arches.length ? `  foreign architectures ${arches.join(', ')} for the target packages\n` : '') +
        `Run as root:\n` +
        arches.map((a) => `  dpkg --add-architecture ${a}\n`).join('') +
        `  apt-get update${packages.length ? ` && apt-get install -y ${packages.join(' ')}` : ''}`,
    );
  }
  for (const arch of arches) {
    log(`enabling ${arch} packages (dpkg --add-architecture ${arch})`);
    await $`dpkg --add-architecture ${arch}`;
  }
  log('apt-get update');
  await $`apt-get update -qq`;
  if (packages.length) {
    log(`installing ${packages.join(' ')}`);
    await $({ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })`apt-get install -y -qq --no-install-recommends ${packages}`;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  await ensureHost();
  if (process.argv.includes('--images')) {
    const { ensureAllImages } = await import('../../images/build.ts');
    await ensureAllImages({}, (m) => console.log(`[images] ${m}`));
  }
  console.log(`[setup] host ready (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}
