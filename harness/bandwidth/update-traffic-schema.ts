// The bandwidth of one whole update as a record: from the updater's start until the device is settled
// on the new OS (supervisor and app running), what the registry served split by component and phase,
// what the device's interface counted with the harness's own SSH bytes taken out, and the findings
// (a blob served twice, a blob the device held pulled again, retried downloads), each sized.
import { z } from 'zod';

const bytes = z.number().int().nonnegative();
const epochMs = z.number().nonnegative();

/** What a registry request fetched for: the artifact it belongs to, or the protocol around them. */
export const COMPONENTS = ['hostOS', 'supervisor', 'tools', 'resinhup', 'app', 'protocol', 'other'] as const;
export type Component = (typeof COMPONENTS)[number];
export const component = z.enum(COMPONENTS);

/** Bytes per component; a component with no bytes is left out. */
export const byComponent = z.partialRecord(component, bytes);
export type ByComponent = z.infer<typeof byComponent>;

export const FINDING_KINDS = ['served-twice', 'held-pulled-again', 'retried'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const finding = z.object({
  /**
   * - served-twice: the whole blob was served more than once in the update (a double download);
   * - held-pulled-again: a blob of an image the device ran before the update was served in it
   *   (e.g. the app pulled again after the update, a supervisor layer it had cached);
   * - retried: a blob took more than one request (broken downloads resumed or restarted), sized by
   *   what the registry wrote beyond the blob's size (sent again, or lost in flight as a connection
   *   broke: the device's counters say what crossed the link).
   */
  kind: z.enum(FINDING_KINDS),
  component,
  digest: z.string(),
  repository: z.string(),
  /** The bytes this finding cost beyond one download of the blob (held-pulled-again: all served). */
  bytes,
  /** The phase (or phases, comma-separated) the costly requests started in. */
  phase: z.string(),
  requests: z.number().int().positive(),
  detail: z.string(),
});
export type Finding = z.infer<typeof finding>;

export const phaseTraffic = z.object({ name: z.string(), startMs: epochMs, bytes, byComponent });
export type PhaseTraffic = z.infer<typeof phaseTraffic>;

export const deviceTraffic = z.object({
  /** The interface the counters are of (the first that is not lo). */
  iface: z.string(),
  /** Interface counters summed over the boots of the window (they restart at each boot). */
  interfaceReceived: bytes,
  interfaceSent: bytes,
  /** The harness's SSH payload in the same windows (host socket counters): host → device, device → host. */
  sshToDevice: bytes,
  sshFromDevice: bytes,
  /** The interface counters less the harness's SSH payload: what the device itself moved. */
  received: bytes,
  sent: bytes,
  /** Which windows the counters cover, in words (e.g. `updater run + first boot until settled`). */
  covers: z.string(),
});
export type DeviceTraffic = z.infer<typeof deviceTraffic>;

export const updateTraffic = z.object({
  startMs: epochMs,
  endMs: epochMs,
  /** False when the record was made before the device settled (the test failed before that). */
  settled: z.boolean(),
  /** What the registry served the device in the window (HTTP bodies), per component. */
  registryBytes: bytes,
  requests: z.number().int().nonnegative(),
  components: byComponent,
  phases: z.array(phaseTraffic),
  findings: z.array(finding),
  device: deviceTraffic.optional(),
});
export type UpdateTraffic = z.infer<typeof updateTraffic>;
