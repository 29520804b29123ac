// Structured data a test hands to the reporters: typed records, checked with zod when written and
// again when read, instead of sentences the reporters would parse ("received 17.22 MiB") or titles
// they would guess a path class from.
//
// Note: a record travels as an attachment `<kind>.json` of content type
// `application/vnd.hupbench.<kind>+json`, not as an annotation, because
// - allure-playwright keeps attachments as files with their content type (annotations reach Allure
//   only as the prose report-evidence.ts writes), so allure-finalize reads the very record the
//   summary reporter reads;
// - an attachment belongs to its attempt and is carried by blob reports into `merge-reports`, and
//   reporters see it when it is attached, not only when the test ends;
// - annotations stay short, human-read notes in the HTML report and JUnit.
// One record of a kind per attempt: recording a kind again replaces it (the last one wins), so a test
// may record a row early and again once it knows more (as a power-cut row after its rerun).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { MeasuredRow } from '../faults/guarantees.ts';
import type { HistoryTimeline } from '../scenarios/history-timeline.ts';
import type { PathTiming } from '../updater/path-timing.ts';
import type { PathClass, UpgradePath } from '../updater/paths.ts';
import type { HupRun } from '../updater/runner.ts';
import { type UpdateTraffic, updateTraffic } from '../bandwidth/update-traffic-schema.ts';

/** How the report names a path class (the one `PathClass`, from harness/updater/paths.ts). */
export const pathClassTitles: Record<PathClass, string> = {
  '2x': '2.x → 2.x',
  '1x-2x': '1.x → 2.x',
  '1x': '1.x → 1.x',
};

const pathClass = z.enum(Object.keys(pathClassTitles) as [PathClass, ...PathClass[]]);
const ms = z.number().nonnegative();
const bytes = z.number().int().nonnegative();

const schemas = {
  /** What update the test is about. */
  path: z.object({
    /** `2.0.0+rev2 → 2.12.3+rev1` */
    name: z.string().min(1),
    pathClass,
    from: z.string().min(1),
    to: z.string().min(1),
    /** The updater script under images/updater/. */
    updater: z.string().min(1),
    /** What sets this test apart from another of the same path, e.g. `from resin-updt`. */
    variant: z.string().optional(),
  }),
  /** Bytes on the device's network interface while the updater ran (a pre-step's included). */
  bandwidth: z.object({
    bytesReceived: bytes,
    bytesSent: bytes,
    /** Bytes the test registry served since the updater started, when the test measured it. */
    registryBytes: bytes.optional(),
    /** What the registry bytes cover beyond the updater's pull, e.g. `incl. the first boot's pulls`. */
    registryScope: z.string().optional(),
    /** The whole update, split by component and phase (harness/bandwidth/), when the test measured it. */
    update: updateTraffic.optional(),
  }),
  /** Where the test's time went: the device's own work against the wall (path-timing.ts). */
  timing: z.object({
    wallMs: ms,
    startMs: ms,
    resumed: z.boolean(),
    updaterMs: ms,
    rebootMs: ms,
    sshBackMs: ms.optional(),
    verdictMs: ms,
    deviceMs: ms,
    phases: z.array(z.object({ name: z.string(), durationMs: ms })),
  }) satisfies z.ZodType<PathTiming>,
  /** One row of the 1.x → 2.x backup cap table (suites/data-limits.spec.ts). */
  'data-limit': z.object({
    seedKind: z.enum(['incompressible', 'compressible']),
    dataMB: z.number().nonnegative(),
    /** The cap the updater reported, MB (missing when it never got that far). */
    capMB: z.number().nonnegative().optional(),
    /** The compressed backup, MB (missing when refused). */
    backupMB: z.number().nonnegative().optional(),
    /** Whether the suite expects the data to fit. */
    fits: z.boolean(),
    exitCode: z.number().int(),
    updaterMs: ms,
  }),
  /** A measured power-cut row (harness/faults/guarantees.ts). */
  'power-cut-row': z.object({
    rig: z.string(),
    updater: z.string(),
    phase: z.string(),
    afterMs: ms,
    guarantee: z.enum(['old-os', 'new-os', 'old-or-new', 'unsafe']),
    why: z.string(),
    outcome: z.enum(['old-os', 'new-os', 'no-boot', 'other']),
    detail: z.string(),
    rerunOk: z.boolean().optional(),
  }) satisfies z.ZodType<MeasuredRow>,
  /** A history on one device (suites/history.spec.ts): one row per step (harness/scenarios/history-timeline.ts). */
  history: z.object({
    history: z.string().min(1),
    rig: z.string(),
    deviceType: z.string(),
    wallMs: ms,
    rows: z.array(
      z.object({
        index: z.number().int().positive(),
        step: z.string(),
        startedAt: ms,
        durationMs: ms,
        status: z.enum(['passed', 'failed']),
        error: z.string().optional(),
        boots: z.number().int().nonnegative(),
        bootEvents: z.array(z.string()),
        bootcounts: z.array(z.number().int()),
        boardSteps: z.array(
          z.object({
            name: z.string(),
            durationMs: ms,
            status: z.enum(['passed', 'failed']),
            events: z.array(z.string()).optional(),
          }),
        ),
        state: z
          .object({
            version: z.string(),
            activeRoot: z.string(),
            resinRootPart: z.string(),
            upgradeAvailable: z.string(),
            bootcountEnv: z.boolean(),
            stateFiles: z.array(z.string()),
            dataIntact: z.boolean(),
            dataRebased: z.boolean().optional(),
          })
          .optional(),
      }),
    ),
  }) satisfies z.ZodType<HistoryTimeline>,
};

export type TestDataKind = keyof typeof schemas;
export type TestData<K extends TestDataKind> = z.infer<(typeof schemas)[K]>;
export type PathRecord = TestData<'path'>;

const CONTENT_TYPE = /^application\/vnd\.hupbench\.([a-z-]+)\+json$/;
export const testDataContentType = (kind: TestDataKind) => `application/vnd.hupbench.${kind}+json`;
const isKind = (kind: string): kind is TestDataKind => Object.hasOwn(schemas, kind);

/** A record that does not match its schema (or is no JSON): a harness bug to report, never to skip. */
export class MalformedTestData extends Error {
  override name = 'MalformedTestData';
}

/** The `path` record of an upgrade path from the matrix. */
export function pathRecord(path: UpgradePath, variant?: string): PathRecord {
  const { name, pathClass, updater } = path;
  return { name, pathClass, from: path.from.version, to: path.to.version, updater, ...(variant ? { variant } : {}) };
}

/**
 * The bandwidth record of an updater run (its pre-step's bytes included), with what the registry
 * served since the mark the test took and what that covers beyond the updater's own pull.
 */
export function bandwidthRecord(
  run: HupRun,
  registry?: { bytes: number; scope: string },
  update?: UpdateTraffic,
): TestData<'bandwidth'> {
  const scope = update?.settled ? 'the whole update, until settled on the new OS' : 'the update so far';
  const served = registry ?? (update && { bytes: update.registryBytes, scope });
  return {
    bytesReceived: run.bytesReceived + (run.preStep?.bytesReceived ?? 0),
    bytesSent: run.bytesSent + (run.preStep?.bytesSent ?? 0),
    ...(served ? { registryBytes: served.bytes, registryScope: served.scope } : {}),
    ...(update ? { update } : {}),
  };
}

/** Attaches a record to the running test; throws (failing the test) if it does not match its schema. */
export async function recordTestData<K extends TestDataKind>(
  testInfo: { attach(name: string, options: { body: string; contentType: string }): Promise<void> },
  kind: K,
  value: TestData<K>,
): Promise<void> {
  const checked = schemas[kind].safeParse(value);
  if (!checked.success)
    throw new MalformedTestData(`the ${kind} record this test made is malformed:\n${z.prettifyError(checked.error)}`);
  await testInfo.attach(`${kind}.json`, {
    body: JSON.stringify(checked.data, null, 2),
    contentType: testDataContentType(kind),
  });
}

/** Checks a record's text against its kind's schema. */
export function parseTestData<K extends TestDataKind>(kind: K, text: string, where = 'a test'): TestData<K> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MalformedTestData(`the ${kind} record of ${where} is not JSON: ${(error as Error).message}`);
  }
  const checked = schemas[kind].safeParse(json);
  if (!checked.success)
    throw new MalformedTestData(`the ${kind} record of ${where} is malformed:\n${z.prettifyError(checked.error)}`);
  return checked.data as TestData<K>;
}

interface AttachmentLike {
  name: string;
  contentType: string;
  body?: Buffer;
  path?: string;
}
/** A test's attempt (TestResult, TestInfo) or a test (TestCase: its last attempt decides). */
export type TestDataSource =
  | { attachments: AttachmentLike[]; title?: string }
  | { results: Array<{ attachments: AttachmentLike[] }>; title: string };

const attachmentsOf = (source: TestDataSource): AttachmentLike[] =>
  'results' in source ? (source.results.at(-1)?.attachments ?? []) : source.attachments;
const textOf = (a: AttachmentLike): string => (a.body ? a.body.toString('utf8') : readFileSync(a.path!, 'utf8'));

/** The last record of `kind` the test made, or undefined; throws MalformedTestData for a malformed one. */
export function readTestData<K extends TestDataKind>(source: TestDataSource, kind: K): TestData<K> | undefined {
  const found = attachmentsOf(source).findLast((a) => a.contentType === testDataContentType(kind));
  if (!found) return undefined;
  const where = source.title ? `"${source.title}"` : 'a test';
  if (!found.body && !found.path) throw new MalformedTestData(`the ${kind} record of ${where} has no content`);
  return parseTestData(kind, textOf(found), where);
}

export type TestRecords = { [K in TestDataKind]?: TestData<K> };

/** Every record of a test (the last of each kind), and what was wrong with any that did not read. */
export function readAllTestData(source: TestDataSource): { records: TestRecords; problems: string[] } {
  const records: Record<string, unknown> = {};
  const problems: string[] = [];
  const kinds = new Set(attachmentsOf(source).flatMap((a) => a.contentType.match(CONTENT_TYPE)?.[1] ?? []));
  for (const kind of kinds) {
    if (!isKind(kind)) {
      problems.push(`${source.title ? `"${source.title}"` : 'a test'} made a record of an unknown kind "${kind}"`);
      continue;
    }
    try {
      records[kind] = readTestData(source, kind);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return { records: records as TestRecords, problems };
}
