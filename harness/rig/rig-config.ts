// Rig files (rigs/*.yaml), validated with zod. A bad file is reported with its name, the field and
// what was expected.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { deviceTypes } from '../../images/device-types.ts';
import { projectRoot } from '../project-root.ts';
import { benchRigFields, checkBenchWiring } from './bench/bench-config.ts';

const deviceType = z.string().refine((t) => t in deviceTypes, {
  message: `must be one of the known device types: ${Object.keys(deviceTypes).join(', ')}`,
});

const qemuRig = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
  kind: z.literal('qemu'),
  deviceType,
  description: z.string().optional(),
  memoryMiB: z.number().int().min(128).max(4096).default(512),
  /** How long power-on → login prompt may take before the rig is declared broken. */
  bootTimeoutSeconds: z.number().positive().default(120),
  /**
   * The slowest rate (MiB/s) at which the board pulls and unpacks a container image: an update's time
   * budget grows by a real-sized hostOS image at this rate (harness/scenarios/update.ts). Under QEMU's
   * TCG the engine's gunzip and sha256 run on the emulated CPU (bench/engine-results.md).
   */
  imagePullMiBps: z.number().positive().default(1),
  /** How many copies of this board one host can run at once. */
  instances: z.number().int().min(1).default(1),
  /**
   * QEMU's TCG threads: `multi` (one host thread per guest CPU, QEMU's default for ARM) or `single`
   * (every guest CPU on one host thread), for a many-CPU board that would otherwise take every host
   * core and slow the boards beside it (bench/tcg-threads.ts measures both).
   */
  tcgThread: z.enum(['multi', 'single']).default('multi'),
  example: z.boolean().default(false),
});

/** A real board wired to this host (or, with virtualBench, its CI stand-in): harness/rig/bench/. */
const benchRig = qemuRig
  .omit({ kind: true, memoryMiB: true, tcgThread: true })
  .extend({ kind: z.literal('bench'), ...benchRigFields })
  .superRefine(checkBenchWiring);

export const rigConfigSchema = z.discriminatedUnion('kind', [qemuRig, benchRig]);
export type RigConfig = z.infer<typeof rigConfigSchema>;
export type QemuRigConfig = z.infer<typeof qemuRig>;
export type BenchRigConfig = z.infer<typeof benchRig>;

export const rigsDir = path.join(projectRoot, 'rigs');

export class RigConfigError extends Error {
  override name = 'RigConfigError';
}

export function parseRigConfig(text: string, file: string): RigConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new RigConfigError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = rigConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n');
    throw new RigConfigError(
      `${file} is not a valid rig file:\n${issues}\nSee rigs/qemu-beaglebone-black.yaml for a working example.`,
    );
  }
  const expectedName = path.basename(file).replace(/\.ya?ml$/, '');
  if (parsed.data.name !== expectedName) {
    throw new RigConfigError(`${file}: name "${parsed.data.name}" must match the file name ("${expectedName}")`);
  }
  return parsed.data;
}

export async function loadRigConfig(nameOrFile: string): Promise<RigConfig> {
  const file = nameOrFile.endsWith('.yaml') ? nameOrFile : path.join(rigsDir, `${nameOrFile}.yaml`);
  const text = await readFile(file, 'utf8').catch(async () => {
    const known = (await listRigFiles()).map((f) => path.basename(f, '.yaml'));
    throw new RigConfigError(`No rig file ${file}. Known rigs: ${known.join(', ')}`);
  });
  return parseRigConfig(text, path.relative(projectRoot, file));
}

export async function listRigFiles(): Promise<string[]> {
  return (await readdir(rigsDir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(rigsDir, f));
}
