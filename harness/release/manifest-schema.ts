// release.yaml: a release as an artifact set — what a provider (hupbench's reference builder, a
// vendor's build) hands the harness. Paths are relative to the manifest's folder (or absolute).
//
//   version: 2.13.0
//   layout: 2.x
//   supervisor: 7.16.6
//   deviceTypes:
//     beaglebone-black:
//       card: { image: card.img.xz }            # raw, .gz, .xz or .zst; `bmap:` to write it with bmaptool
//       hostOS: { archive: hostos.tar }         # docker save / OCI archive, or { reference: host/repo:tag@sha256:… }
//       supervisor: { archive: supervisor.tar }
//       tools: { archive: tools.tar }           # 2.x targets of a 1.x migration (from1x)
//       resinhup: { archive: resinhup.tar }     # 1.x releases (else built around the updater set's secondary)
//   bandwidth:                                  # optional: what an update to this release may cost a device
//     budgetMiB: 250                            # the whole update (device received), per path; the gate fails a path over it
//     deviceTypes: { raspberrypi3-64: { budgetMiB: 300 } }   # per device type, over the release's
import { parse } from 'yaml';
import { z } from 'zod';
import { ReleaseError } from './release-error.ts';

const digestReference = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9]+(?:[._/-][a-z0-9]+)*:[\w][\w.-]{0,127}@sha256:[0-9a-f]{64}$/;

export const imageArtifactSchema = z.union(
  [
    z.object({ archive: z.string().min(1) }).strict(),
    z
      .object({
        reference: z
          .string()
          .regex(digestReference, 'a registry reference pinned by digest: host[:port]/repo:tag@sha256:<64 hex>'),
      })
      .strict(),
  ],
  { error: 'give `archive: FILE` (a docker save or OCI archive tarball) or `reference: host/repo:tag@sha256:…`' },
);

export const cardArtifactSchema = z.union([
  z
    .string()
    .min(1)
    .transform((image) => ({ image, bmap: undefined as string | undefined })),
  z.object({ image: z.string().min(1), bmap: z.string().min(1).optional() }).strict(),
]);

export const deviceArtifactsSchema = z
  .object({
    card: cardArtifactSchema.optional(),
    hostOS: imageArtifactSchema.optional(),
    supervisor: imageArtifactSchema.optional(),
    tools: imageArtifactSchema.optional(),
    resinhup: imageArtifactSchema.optional(),
  })
  .strict();

const budgetMiB = z.number().positive('a number of MiB above 0');

/** The most an update to the release may move over a device's link, MiB (`hupbench gate` judges it). */
export const bandwidthBudgetSchema = z
  .object({
    budgetMiB: budgetMiB.optional(),
    deviceTypes: z.record(z.string(), z.object({ budgetMiB }).strict()).optional(),
  })
  .strict()
  .refine((b) => b.budgetMiB !== undefined || Object.keys(b.deviceTypes ?? {}).length, {
    message: 'give budgetMiB (for every device type) or deviceTypes.<type>.budgetMiB',
  });
export type BandwidthBudget = z.infer<typeof bandwidthBudgetSchema>;

// Note: YAML reads `2.13` as a number; such a value is judged as the text it was written as.
const versionText = (pattern: RegExp, message: string) =>
  z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().regex(pattern, message));

export const releaseManifestSchema = z
  .object({
    version: versionText(/^\d+\.\d+\.\d+(\+rev\d+)?$/, 'a version like 2.13.0 or 2.9.7+rev1'),
    layout: z.enum(['1.x', '2.x']),
    supervisor: versionText(/^\d+\.\d+\.\d+$/, 'a supervisor version like 7.16.6'),
    /** 2.x only: a 1.x device may be migrated straight to this release. */
    from1x: z.boolean().optional(),
    /** Who made it: `hupbench-reference` for the reference builder, free text otherwise. */
    provider: z.string().optional(),
    deviceTypes: z.record(z.string(), deviceArtifactsSchema),
    /** The whole update's budget per path, MiB: for every device type, or per device type. */
    bandwidth: bandwidthBudgetSchema.optional(),
  })
  .strict()
  .refine((m) => !(m.from1x && m.layout !== '2.x'), {
    message: 'from1x is for 2.x releases (the targets of a 1.x → 2.x migration)',
    path: ['from1x'],
  });

export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;
export type DeviceArtifacts = z.infer<typeof deviceArtifactsSchema>;
export type ImageArtifact = z.infer<typeof imageArtifactSchema>;
export type ArtifactKind = Exclude<keyof DeviceArtifacts, never>;

/** Parses a manifest's text; every problem is named with the file and the field. */
export function parseReleaseManifest(text: string, file: string, knownDeviceTypes: string[]): ReleaseManifest {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ReleaseError(`${file} is not valid YAML: ${(e as Error).message}`);
  }
  const parsed = releaseManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ReleaseError(`${file} is not a valid release manifest:\n${issues.join('\n')}`);
  }
  const named = [
    ...Object.keys(parsed.data.deviceTypes).map((t) => ['deviceTypes', t]),
    ...Object.keys(parsed.data.bandwidth?.deviceTypes ?? {}).map((t) => ['bandwidth.deviceTypes', t]),
  ];
  const unknownType = named.find(([, t]) => !knownDeviceTypes.includes(t!));
  if (unknownType)
    throw new ReleaseError(
      `${file} is not a valid release manifest:\n  ${unknownType.join('.')}: unknown device type; known: ${knownDeviceTypes.join(', ')}`,
    );
  return parsed.data;
}
