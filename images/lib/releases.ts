// images/releases.yaml: the release catalogue, validated.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { projectRoot } from '../../harness/project-root.ts';
import { loadReleaseManifest } from '../../harness/release/load-manifest.ts';

const releaseSchema = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+(\+rev\d+)?$/, 'a version like 2.9.7+rev1'),
  layout: z.enum(['1.x', '2.x']),
  supervisor: z.string().regex(/^\d+\.\d+\.\d+$/, 'a supervisor version like 7.4.3'),
  /** 2.x only: a 1.x device may be migrated straight to this release (upgrade-1.x-to-2.x.sh). */
  from1x: z.boolean().optional(),
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
