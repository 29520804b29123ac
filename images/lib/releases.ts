// images/releases.yaml: the release catalogue, validated.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { projectRoot } from '../../harness/project-root.ts';
import { loadReleaseManifest } from '../../harness/release/load-manifest.ts';

/** The release's boot content: what its resin-boot carries besides the kernel (images/lib/release-boot.ts). */
const bootSchema = z.object({
  /** Revision of its boot script (boot.scr), printed on the console and put on the kernel command line. */
  script: z.number().int().min(1),
  /** Revision of its U-Boot environment file (bootenv.txt), imported by the boot script. */
  env: z.number().int().min(1),
  /** config.txt lines after the board's own (boards whose firmware reads config.txt: the Raspberry Pi). */
  config: z.array(z.string().regex(/^[a-z_0-9]+=\S+$/, 'a config.txt line like gpu_mem=16')).optional(),
  /** More device trees from the kernel package (usr/lib/linux-image-*), for boards with a dtb on resin-boot. */
  dtbs: z.array(z.string().regex(/^[\w./-]+\.dtb$/, 'a path like broadcom/bcm2837-rpi-3-b-plus.dtb')).optional(),
});

const releaseSchema = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+(\+rev\d+)?$/, 'a version like 2.9.7+rev1'),
  layout: z.enum(['1.x', '2.x']),
  supervisor: z.string().regex(/^\d+\.\d+\.\d+$/, 'a supervisor version like 7.4.3'),
  /** 2.x only: a 1.x device may be migrated straight to this release (upgrade-1.x-to-2.x.sh). */
  from1x: z.boolean().optional(),
  /** Boot content per release; the reference builder's default (revision 1) when absent. */
  boot: bootSchema.optional(),
  /**
   * Folders of the kernel's modules (under lib/modules/<release>/kernel) the root ships, as a board's
   * hostOS carries drivers and filesystems it may load (moby builds; the lean engine's are minimal).
   */
  kernelModules: z.array(z.string().regex(/^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/, 'a folder like drivers/net/usb')).optional(),
  /** Debian packages (with their dependencies) the release ships beyond the base userland. */
  packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'a Debian package name')).optional(),
  /**
   * The Debian suite the release's own packages (`packages`, and its U-Boot on boards that carry one)
   * come from, when not the host's (bookworm): an older release built from an older Debian. Their
   * dependencies still come from the host's suite.
   */
  suite: z.enum(['bullseye', 'bookworm']).optional(),
  /** Real vendor images to test instead of the reference build, per device type (paths relative to the project). */
  images: z.record(z.string(), z.string()).optional(),
  /** The release's artifact set: a release.yaml (or its folder), relative to the project. Else the reference build. */
  manifest: z.string().optional(),
});
const catalogueSchema = z.object({
  releases: z
    .array(
      releaseSchema.refine((r) => !(r.from1x && r.layout !== '2.x'), {
        message: 'from1x is for 2.x releases (the targets of a 1.x → 2.x migration)',
        path: ['from1x'],
      }),
    )
    .min(1),
});

export type Release = z.infer<typeof releaseSchema>;

export const releasesFile = path.join(projectRoot, 'images/releases.yaml');

export async function loadReleases(file = releasesFile): Promise<Release[]> {
  const parsed = catalogueSchema.safeParse(parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`${file} is not a valid release catalogue:\n${issues}`);
  }
  const listed = parsed.data.releases.map((r) =>
    r.manifest ? { ...r, manifest: path.resolve(projectRoot, r.manifest) } : r,
  );
  const given = await givenReleases();
  return [...listed.filter((r) => !given.some((g) => g.version === r.version)), ...given];
}

/** Folders of releases given on the command line (--release-dir), for this process and its children. */
export const RELEASE_DIRS_ENV = 'HUPBENCH_RELEASE_DIRS';

/** The releases given as folders (HUPBENCH_RELEASE_DIRS): a given release replaces a listed one of its version. */
async function givenReleases(): Promise<Release[]> {
  const dirs = (process.env[RELEASE_DIRS_ENV] ?? '').split(path.delimiter).filter(Boolean);
  return Promise.all(
    dirs.map(async (dir) => {
      const m = await loadReleaseManifest(dir);
      return {
        version: m.version,
        layout: m.layout,
        supervisor: m.supervisor,
        ...(m.from1x ? { from1x: true } : {}),
        manifest: m.file,
      };
    }),
  );
}

export async function findRelease(version: string, file = releasesFile): Promise<Release> {
  const releases = await loadReleases(file);
  const release = releases.find((r) => r.version === version);
  if (!release) {
    throw new Error(
      `Unknown OS version "${version}". ${path.relative(projectRoot, file)} knows: ${releases.map((r) => r.version).join(', ')}`,
    );
  }
  return release;
}

/** Registry tags use `_` where versions have `+`. */
export function registryTag(version: string, deviceType: string): string {
  return `${version.replace(/\+/g, '_')}-${deviceType}`;
}

/** Numeric comparison of `1.2.3+rev4` versions; negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.match(/\d+/g)!.map(Number);
  const pa = parts(a),
    pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
