// What the histories' steps do and read beyond an update: wait for an update's trial to get
// rollback-health's verdict, read the engine's store (images and blobs on the device), which root a
// spare partition holds, and which blobs the registry served since a mark.
import type { Device } from '../device/device.ts';
import { expectOnDevice } from '../device/product-wait.ts';
import { type HealthWindow, testHealthWindow } from '../device/health-window.ts';
import { requestKind } from '../registry/access-log.ts';
import { hostOsReference, supervisorReference } from '../registry/index.ts';
import { waitFor } from '../wait.ts';
import type { ScenarioContext } from './context.ts';

const STORE = '/mnt/data/docker';

/**
 * Waits until rollback-health has given the trial on the running OS its verdict: its breadcrumb is
 * gone (kept: cleared with upgrade_available; rejected: the device switched back and rebooted, and SSH
 * answers again on the old OS). A product wait: a trial without a verdict is the product's failure.
 */
export async function awaitTrialVerdict(ctx: ScenarioContext, window: HealthWindow = testHealthWindow): Promise<void> {
  const { board } = ctx;
  const windowMs = window.count * window.timeoutSeconds * 1000;
  const what = `rollback-health's verdict on the trial within its ${windowMs / 1000}s window`;
  await board.step(`wait for ${what}`, () =>
    expectOnDevice(
      board.rig,
      what,
      (timeoutMs) =>
        waitFor(
          async () => {
            const out = await board.device.check('ls -1A /mnt/state');
            if (out.includes('rollback-health-breadcrumb')) throw new Error(`/mnt/state still holds:\n${out}`);
            return true;
          },
          { timeoutMs, intervalMs: 2000, what },
        ),
      windowMs + board.rig.config.bootTimeoutSeconds * 1000 + 60_000,
    ),
  );
}

export interface EngineStore {
  /** `/mnt/data/docker/repositories`: `repo:tag image-id manifest-digest` lines. */
  repositories: { ref: string; id: string; digest: string }[];
  /** sha256 hex digests of the blobs in the store. */
  blobs: string[];
}

/** The engine's store on the device: the tagged images and the blobs. */
export async function engineStore(device: Device): Promise<EngineStore> {
  const out = await device.check(
    `cat ${STORE}/repositories 2>/dev/null; echo '=== blobs'; ls -1 ${STORE}/blobs/sha256 2>/dev/null | grep -v '\\.part' || true`,
  );
  const [repos = '', blobs = ''] = out.split('=== blobs\n');
  return {
    repositories: repos
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [ref = '', id = '', digest = ''] = l.trim().split(/\s+/);
        return { ref, id, digest };
      }),
    blobs: blobs.split('\n').filter(Boolean),
  };
}

/** The VERSION of the OS a root partition holds (mounted read-only for the moment), or '' when none. */
export async function rootVersion(device: Device, partitionDevice: string): Promise<string> {
  const mnt = '/tmp/hupbench-history-root';
  const out = await device.exec(
    `mkdir -p ${mnt} && mount -o ro -t ext4 ${partitionDevice} ${mnt} && { sed -n 's/^VERSION="\\{0,1\\}\\([^"]*\\)"\\{0,1\\}$/\\1/p' ${mnt}/etc/os-release; umount ${mnt}; }`,
  );
  return out.stdout.trim();
}

export interface BlobPull {
  digest: string;
  repository: string;
  bytes: number;
}

/** The blob GETs the registry answered since `mark` (successful ones, with the bytes it sent). */
export async function blobPullsSince(ctx: ScenarioContext, mark: number): Promise<BlobPull[]> {
  const entries = (await ctx.registry.started.accessLog()).slice(mark);
  return entries.flatMap((e) => {
    if (e.method !== 'GET' || e.status >= 400) return [];
    const { kind, repository } = requestKind(e);
    const digest = e.path.match(/\/blobs\/sha256:([0-9a-f]{64})/)?.[1];
    return kind === 'blob' && digest ? [{ digest, repository: repository!, bytes: e.bytes }] : [];
  });
}

/** Every blob of an image in the registry (config and layers), with its size. */
export async function imageBlobs(ctx: ScenarioContext, reference: string): Promise<Map<string, number>> {
  const { manifest } = await ctx.registry.started.client.getManifest(reference);
  const blobs = new Map<string, number>();
  for (const b of [manifest.config, ...manifest.layers]) blobs.set(b.digest.replace(/^sha256:/, ''), b.size);
  return blobs;
}

/** Every blob an update to `release` pulls at most: its hostOS image's and its supervisor's. */
export async function targetBlobs(
  ctx: ScenarioContext,
  release: { version: string; supervisor: string },
): Promise<Map<string, number>> {
  const { deviceType } = ctx.board.rig;
  return new Map([
    ...(await imageBlobs(ctx, hostOsReference(release.version, deviceType))),
    ...(await imageBlobs(ctx, supervisorReference(deviceType, release.supervisor))),
  ]);
}

/**
 * The digest (hex) of a hostOS image's config blob. Note: upgrade-2.x.sh's checks read it over HTTP
 * (the io.resin.os.rootfs-bytes label, for the spare-fit check) before the engine pulls it: one more
 * fetch of that small blob per updater run, which the histories count apart from the engine's pulls.
 */
export async function hostOsConfigDigest(ctx: ScenarioContext, version: string): Promise<string> {
  const ref = hostOsReference(version, ctx.board.rig.deviceType);
  const { manifest } = await ctx.registry.started.client.getManifest(ref);
  return manifest.config.digest.replace(/^sha256:/, '');
}
