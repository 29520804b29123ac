// An updater profile: the contract between hupbench and an updater, as data. What to upload, how to
// invoke it, how its output says which phase it is in (in the phase names of the guarantee table,
// harness/faults/guarantees.ts), what its exit codes mean, where its log lands. One profile describes
// the updaters of one family, one per path class it covers (2.x → 2.x, 1.x → 2.x, 1.x → 1.x).
import { z } from 'zod';

const regex = z.instanceof(RegExp, { message: 'must be a RegExp' });
const flag = z.string().regex(/^--?[a-z][\w-]*$/, 'must be a command-line flag such as --hostos-version');

/** What an exit code means; the runner's outcome follows from it. */
export const exitMeanings = ['ok', 'failed', 'locked', 'step-done', 'already-there'] as const;
export type ExitMeaning = (typeof exitMeanings)[number];

/** The refusals a profile may word its own way (the fault catalogue's refusal names). */
export const refusalNames = [
  'wrong-device-type',
  'registry-unreachable',
  'missing-tag',
  'lock-held',
  'spare-root-too-small',
  'mislabelled-hostos',
  'mislabelled-root',
  // The 2.x updaters' own refusals (suites/sanity.spec.ts):
  'downgrade',
  'not-newer',
  'other-layout',
] as const;
export type RefusalName = (typeof refusalNames)[number];

/** What a refusal case is about: the words an updater uses for it may name these. */
export interface RefusalCase {
  target: string;
  /** The version the device runs. */
  running: string;
  missing?: string;
  spareLabel?: string;
  registry?: string;
}
const refusalWords = z.custom<(c: RefusalCase) => RegExp>(
  (f) => typeof f === 'function',
  'must be a function of the refusal case that returns the RegExp its message matches',
);

const phase = z.object({
  /** The phase's name in the guarantee table's words (`export`, `switch-boot`, …). */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lower-case phase name such as switch-boot'),
  /** A line of the updater's output that says the phase starts. */
  starts: regex,
});

export const updaterContractSchema = z
  .object({
    /** The updater, relative to images/updater/ (or $HUPBENCH_UPDATER_DIR); uploaded and run with `sh`. */
    script: z.string().min(1),
    /** More files or folders the updater needs on the device, uploaded beside it (relative as `script`). */
    files: z.array(z.string().min(1)).default([]),
    flags: z.object({
      targetVersion: flag,
      registry: flag,
      supervisorVersion: flag,
      noReboot: flag,
      /** Goes on past a refusal the updater can be talked out of (a downgrade, a modified root). */
      force: flag.optional(),
      /** Takes a device type that overrides config.json's. */
      forceSlug: flag.optional(),
    }),
    /** In the order the updater runs them. */
    phases: z.array(phase).min(1),
    /** The line of a failed run that says why. */
    error: regex,
    /**
     * A line that says a pull try failed and another follows, with named groups `try`, `of` (the tries
     * allowed) and `wait` (seconds before the next); harness/updater/pull-retries.ts counts them.
     */
    pullRetry: regex.optional(),
    /** A line that asks to be run again after the reboot (a pre-step). */
    rerun: regex.optional(),
    exitCodes: z.record(z.string().regex(/^\d+$/, 'must be an exit code'), z.enum(exitMeanings)),
    log: z.object({
      /** The folder on the device the updater writes its logs into (its newest log is read back). */
      dir: z.string().startsWith('/', 'must be an absolute path on the device'),
      /** Captures the log file's path from the updater's output (group 1), when the updater says it. */
      named: regex.optional(),
    }),
    /**
     * How the updater's error line words a failure a fault causes, by the fault's name in the catalogue
     * (network-down, registry-down; default: the catalogue's own pattern).
     */
    failures: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a fault name'), regex).default({}),
    /** How the updater words each refusal (default: the reference updaters' words). */
    refusals: z.partialRecord(z.enum(refusalNames), refusalWords).default({}),
  })
  .superRefine((c, ctx) => {
    const names = c.phases.map((p) => p.name);
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (twice.length) ctx.addIssue({ code: 'custom', path: ['phases'], message: `phase named twice: ${twice[0]}` });
    if (c.exitCodes['0'] !== 'ok')
      ctx.addIssue({ code: 'custom', path: ['exitCodes', '0'], message: "0 must mean 'ok'" });
    const flags = Object.values(c.flags).filter(Boolean);
    const dup = flags.find((f, i) => flags.indexOf(f) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['flags'], message: `flag ${dup} used for two meanings` });
  });

export const pathClasses = ['2x', '1x-2x', '1x'] as const;

export const updaterProfileSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lower-case name such as resinhup-style'),
  description: z.string().min(1),
  updaters: z
    .partialRecord(z.enum(pathClasses), updaterContractSchema)
    .refine((u) => Object.keys(u).length > 0, 'must describe the updater of at least one path class'),
});

export type UpdaterContract = z.output<typeof updaterContractSchema>;
export type UpdaterContractInput = z.input<typeof updaterContractSchema>;
export type UpdaterProfile = z.output<typeof updaterProfileSchema>;
export type UpdaterProfileInput = z.input<typeof updaterProfileSchema>;

/** A profile checked against the schema; a bad one is an error naming the profile and the field. */
export function validateProfile(input: unknown, source: string): UpdaterProfile {
  const parsed = updaterProfileSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(profile)'}: ${i.message}`);
  throw new Error(`Invalid updater profile ${source}:\n${issues.join('\n')}`);
}
