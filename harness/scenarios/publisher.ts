// What a run publishes into its registry: each release's hostOS, supervisor and app images for the
// rig's device type, and the helper image a path's class needs, each once per registry. Used by the
// suites' worker fixture and by `hupbench run` alike.
import { resinhupReference } from '../../images/containers/resinhup-image.ts';
import { PromiseCache } from '../../images/lib/promise-cache.ts';
import { publishResinhup } from '../registry/publish.ts';
import { publishGivenResinhup, publishRelease, publishTools } from '../release/publish-release.ts';
import type { StartedRegistry } from '../registry/registry.ts';
import { updaterScript } from '../updater/script.ts';
import type { UpgradePath } from '../updater/paths.ts';

export interface ReleasePublisher {
  /** The registry; throws while it is still starting (publish, or await `ready()`, first). */
  readonly started: StartedRegistry;
  /** The registry once it answers. */
  ready(): Promise<StartedRegistry>;
  /** Pushes a release's hostOS, supervisor and app images for the rig's device type, once. */
  publish(version: string): Promise<void>;
  /**
   * Everything a path's updater pulls: both releases, and the helper image its class needs (the
   * tools image of the 2.x target for 1.x → 2.x, the resinhup image for 1.x → 1.x); once each.
   */
  publishPath(path: UpgradePath): Promise<void>;
}

/**
 * `registry` may still be starting (the suites' fixture starts it without waiting, so the container
 * comes up while the first test resolves its images): every publish waits for it.
 */
export function releasePublisher(
  registry: StartedRegistry | Promise<StartedRegistry>,
  deviceType: string,
): ReleasePublisher {
  let started: StartedRegistry | undefined = 'client' in registry ? registry : undefined;
  const ready = Promise.resolve(registry).then((r) => {
    started = r;
    return r;
  });
  // Note: a registry that failed to start fails the first publish (an InfraError from startRegistry).
  ready.catch(() => undefined);
  const client = ready.then((r) => r.client);
  client.catch(() => undefined);
  const published = new PromiseCache<void>();
  const once = (key: string, push: () => Promise<unknown>) => published.get(key, () => push().then(() => undefined));
  const publish = (version: string) => once(`release ${version}`, () => publishRelease(client, version, deviceType));
  return {
    get started() {
      if (!started) throw new Error('The registry is still starting: publish (or await registry.ready()) first');
      return started;
    },
    ready: () => ready,
    publish,
    async publishPath(path) {
      // Note: the pushes of one path go out together; each waits only for what it pushes.
      const helper =
        path.pathClass === '1x-2x'
          ? once(`tools ${path.to.version}`, () => publishTools(client, path.to.version, deviceType))
          : path.pathClass === '1x'
            ? once('resinhup', async () => {
                // A 1.x release may ship its own resinhup image; else it is built around the updater set's secondary.
                const given = await publishGivenResinhup(
                  client,
                  path.to.version,
                  deviceType,
                  resinhupReference(deviceType),
                );
                return given ?? publishResinhup(client, deviceType, updaterScript('resinhup'));
              })
            : undefined;
      await Promise.all([publish(path.from.version), publish(path.to.version), helper]);
    },
  };
}
