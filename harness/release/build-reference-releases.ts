// `npm run images [-- --device-type T] [--release V]`: the reference provider for every release of
// images/releases.yaml that has no manifest of its own: card images built (images/build.ts), the
// hostOS, supervisor and tools archives packed, .cache/releases/<version>/release.yaml written.
import path from 'node:path';
import { deviceTypes } from '../../images/device-types.ts';
import { loadReleases } from '../../images/lib/releases.ts';
import { projectRoot } from '../project-root.ts';
import { provideReferenceRelease } from './reference-provider.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const started = Date.now();
let count = 0;
for (const release of await loadReleases()) {
  if (release.manifest || (arg('--release') && release.version !== arg('--release'))) continue;
  for (const deviceType of Object.keys(deviceTypes)) {
    if (arg('--device-type') && deviceType !== arg('--device-type')) continue;
    const manifest = await provideReferenceRelease(release, deviceType, console.log);
    const set = manifest.deviceTypes[deviceType]!;
    console.log(`${deviceType}\t${release.version}\t${path.relative(projectRoot, manifest.file)}`);
    for (const [kind, artifact] of Object.entries(set)) {
      const file = 'image' in artifact ? artifact.image : 'archive' in artifact ? artifact.archive : artifact.reference;
      console.log(`  ${kind.padEnd(10)} ${path.relative(projectRoot, file)}`);
    }
    count++;
  }
}
console.log(`${count} release artifact set(s) ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
