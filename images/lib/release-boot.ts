// What makes one release's boot content its own (images/releases.yaml `boot`, `packages`, `suite`):
// the boot script and U-Boot environment revisions, the Raspberry Pi's config.txt lines and device
// trees, and which Debian packages come from which suite. Pure: the builder writes the files.
import type { Release } from './releases.ts';
import { HOST_SUITE } from './debian-suite.ts';

/** The release's U-Boot environment on resin-boot, imported by its boot script before resinOS_uEnv.txt. */
export const BOOT_ENV_FILE = 'bootenv.txt';

export interface BootRevisions {
  script: number;
  env: number;
}

/** A release without `boot` in releases.yaml has revision 1 of both. */
export function bootRevisions(release: Pick<Release, 'boot'>): BootRevisions {
  return { script: release.boot?.script ?? 1, env: release.boot?.env ?? 1 };
}

/** bootenv.txt: the environment revision, which the boot script prints and passes to the kernel. */
export function bootEnvText(release: Pick<Release, 'boot'>): string {
  return `boot_env_rev=${bootRevisions(release).env}\n`;
}

/** The console line the boot script prints first (a suite matches it after an update). */
export function bootScriptBanner(release: Pick<Release, 'boot' | 'version'>): string {
  return `[boot.scr] hupbench boot script rev ${bootRevisions(release).script} (${release.version})`;
}

/** The board's config.txt with the release's own lines after it. */
export function configTxtFor(boardText: string, release: Pick<Release, 'boot'>): string {
  const extra = release.boot?.config ?? [];
  return extra.length ? `${boardText.replace(/\n?$/, '\n')}${extra.join('\n')}\n` : boardText;
}

/** The Debian suite the release's own packages and U-Boot come from. */
export function releaseSuite(release: Pick<Release, 'suite'>): string {
  return release.suite ?? HOST_SUITE;
}

/**
 * The userland's package names split by where they come from: `host` (with the release's packages'
 * dependencies) from the host's suite, `suite` (the release's own packages) from its suite when that
 * is another one. `closure` is the resolved dependency closure (arch-qualified names).
 */
export function splitBySuite(
  closure: string[],
  release: Pick<Release, 'packages' | 'suite'>,
): { host: string[]; suite: string[] } {
  if (releaseSuite(release) === HOST_SUITE) return { host: closure, suite: [] };
  const own = new Set(release.packages ?? []);
  return {
    host: closure.filter((p) => !own.has(p.split(':')[0]!)),
    suite: [...own],
  };
}

/** The U-Boot version a U-Boot binary announces itself with ("U-Boot 2023.01+dfsg-2+deb12u3"). */
export function ubootVersionIn(binary: Buffer): string | undefined {
  return /U-Boot (20\d\d\.\d\d[^\s(]*) \(/.exec(binary.toString('latin1'))?.[1];
}
