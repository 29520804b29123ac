// A device profile (profiles/*.yaml): what a field device looked like, so `hupbench run --profile`
// can build that device and update it. Every object is strict: a field this schema does not know is
// refused, naming it, rather than silently ignored (a typo must not make a reproduction lie).
//
//   name: near-backup-cap-1x
//   device: { type: beaglebone-black, release: 1.30.1, supervisor: 6.0.1 }
//   target: 2.12.3+rev1                     # optional: `run --to` wins; the nightly takes the newest
//   config: { keys: {…}, wifi: [{ ssid, passphrase }], wifiConnect: { ssid, passphrase } }
//   data: { compressibility: incompressible, totalMB: 160, files: 40 }   # or groups: […], or tarball: FILE
//   fill: { root: 60%, state: 20 MB, data: 50% }
//   app: { sizeMB: 339, repullDuringUpdate: true }   # the re-pull provoked: app-repull.ts
//   rootChanges: { modified: [{ path, append }], added: [{ path, content }], removed: [path] }   # 1.x only
//   link: { rateKbit: 160, lossPercent: 1, resetEverySeconds: 45, outages: [{ atSecond: 30, seconds: 20 }] }
//   history: rolled-back-by-health          # optional: replayed before the update (profile-histories.ts)
//   expect: { outcome: refused, message: "fingerprint check failed" }
import { z } from 'zod';
import { profileHistoryNames } from './profile-histories.ts';

const versionText = (pattern: RegExp, message: string) =>
  z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().regex(pattern, message));
const osVersion = versionText(/^\d+\.\d+\.\d+(\+rev\d+)?$/, 'a version like 2.12.3+rev1 or 1.30.1');

/** `60%` (of the partition) or `20 MB` (a fill file of that size). */
export const fillLevel = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*(%|MB)\s*$/, 'a percentage of the partition used (`60%`) or a size to add (`20 MB`)');

const wifiNetwork = z
  .object({
    ssid: z.string().min(1),
    passphrase: z.string().min(8, 'a WPA passphrase has 8 to 63 characters').max(63).optional(),
    hidden: z.boolean().optional(),
    nameservers: z.array(z.string().regex(/^[\d.]+$/, 'an IPv4 address')).optional(),
  })
  .strict();

const fileGroup = z
  .object({
    files: z.number().int().positive(),
    sizeKB: z.number().positive(),
  })
  .strict();

const data = z
  .object({
    compressibility: z.enum(['incompressible', 'compressible']).default('incompressible'),
    totalMB: z.number().positive().optional(),
    files: z.number().int().positive().optional(),
    groups: z.array(fileGroup).min(1).optional(),
    tarball: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const ways = [d.totalMB !== undefined, d.groups !== undefined, d.tarball !== undefined].filter(Boolean).length;
    if (ways !== 1)
      ctx.addIssue({
        code: 'custom',
        message:
          'say what resin-data holds one way: `totalMB` (with `files`, split evenly), `groups` ([{ files, sizeKB }]), or `tarball` (a .tar to restore)',
      });
    if (d.files !== undefined && d.totalMB === undefined)
      ctx.addIssue({ code: 'custom', path: ['files'], message: '`files` goes with `totalMB`' });
  });

const rootChanges = z
  .object({
    modified: z
      .array(
        z
          .object({
            path: z.string().startsWith('/'),
            /** A line appended to the image's file. */
            append: z.string().min(1).optional(),
            /** The file's whole new content (what a capture records for a small text file). */
            content: z.string().optional(),
          })
          .strict()
          .refine((m) => !(m.append !== undefined && m.content !== undefined), 'give `append` or `content`, not both'),
      )
      .default([]),
    added: z.array(z.object({ path: z.string().startsWith('/'), content: z.string() }).strict()).default([]),
    removed: z.array(z.string().startsWith('/')).default([]),
  })
  .strict();

const link = z
  .object({
    rateKbit: z.number().positive().optional(),
    lossPercent: z.number().min(0).max(50).optional(),
    /**
     * Every this many seconds the registry's connections are reset (a mobile link dropping its
     * sessions): for a moment, every packet the registry sends is answered with a TCP reset instead.
     */
    resetEverySeconds: z.number().min(5).optional(),
    outages: z.array(z.object({ atSecond: z.number().min(0), seconds: z.number().positive() }).strict()).default([]),
  })
  .strict();

export const deviceProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case words joined by -'),
    description: z.string().optional(),
    device: z
      .object({
        type: z.string().min(1),
        release: osVersion,
        supervisor: versionText(/^\d+\.\d+\.\d+$/, 'a supervisor version like 7.16.6').optional(),
      })
      .strict(),
    target: osVersion.optional(),
    card: z
      .object({ sizeMiB: z.number().int().min(1024).max(16384) })
      .strict()
      .optional(),
    config: z
      .object({
        keys: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
        wifi: z.array(wifiNetwork).default([]),
        wifiConnect: wifiNetwork.optional(),
      })
      .strict()
      .optional(),
    data: data.optional(),
    fill: z
      .object({ root: fillLevel.optional(), state: fillLevel.optional(), data: fillLevel.optional() })
      .strict()
      .optional(),
    app: z
      .object({
        sizeMB: z.number().positive(),
        /**
         * Provoke a re-pull of the whole app by the update (harness/profile/app-repull.ts): the new
         * OS's engine starts on an empty store. Real engine only.
         */
        repullDuringUpdate: z.boolean().optional(),
      })
      .strict()
      .optional(),
    rootChanges: rootChanges.optional(),
    link: link.optional(),
    history: z
      .enum(profileHistoryNames, {
        message: `a history this harness can replay: ${profileHistoryNames.join(', ')} (harness/profile/profile-histories.ts)`,
      })
      .optional(),
    expect: z
      .object({
        outcome: z.enum(['updated', 'refused']),
        message: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type DeviceProfile = z.infer<typeof deviceProfileSchema>;
export type ProfileData = NonNullable<DeviceProfile['data']>;
export type ProfileWifi = z.infer<typeof wifiNetwork>;
export type ProfileLink = NonNullable<DeviceProfile['link']>;
export type FillLevel = z.infer<typeof fillLevel>;

/** config.json keys the harness itself writes (the test registry, the app, the supervisor): not the profile's. */
export const HARNESS_CONFIG_KEYS = ['registry', 'deviceType', 'app', 'supervisorImage', 'files'];
