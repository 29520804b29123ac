// What a run publishes into its registry: each release's hostOS, supervisor and app images for the
// rig's device type, and the helper image a path's class needs, each once per registry. Used by the
// suites' worker fixture and by `hupbench run` alike.
import { publishRelease, publishResinhup, publishTools } from '../registry/publish.ts';
import type { StartedRegistry } from '../registry/registry.ts';
import { updaterScript } from '../updater/script.ts';
import type { UpgradePath } from '../updater/paths.ts';

export interface ReleasePublisher {
  started: StartedRegistry;
  /** Pushes a release's hostOS, supervisor and app images for the rig's device type, once. */
  publish(version: string): Promise<void>;
  /**
   * Everything a path's updater pulls: both releases, and the helper image its class needs (the
   * tools image of the 2.x target for 1.x → 2.x, the resinhup image for 1.x → 1.x); once each.
   */
  publishPath(path: UpgradePath): Promise<void>;
}

export function releasePublisher(started: StartedRegistry, deviceType: string): ReleasePublisher {
  const published = new Map<string, Promise<void>>();
  const once = (key: string, push: () => Promise<unknown>) => {
    let p = published.get(key);
    if (!p) {
      p = push().then(() => undefined);
      published.set(key, p);
    }
    return p;
  };
  const publish = (version: string) =>
    once(`release ${version}`, () => publishRelease(started.client, version, deviceType));
  return {
    started,
    publish,
    async publishPath(path) {
      await publish(path.from.version);
      await publish(path.to.version);
      if (path.pathClass === '1x-2x')
        await once(`tools ${path.to.version}`, () => publishTools(started.client, path.to.version, deviceType));
      if (path.pathClass === '1x')
        await once('resinhup', () => publishResinhup(started.client, deviceType, updaterScript('resinhup')));
    },
  };
}
