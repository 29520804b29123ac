// `npm run bench:boot [-- --rig R] [--boots N]`: image build times (cold and cached) and
// power-on → login prompt / → SSH ready / → the device's engine answering over N boots, per rig.
// The engine figure is where the real engine (dockerd, containerd) and the lean shell model differ:
// SSH comes up before dockerd does.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureImage } from '../images/build.ts';
import { cacheDir } from '../images/lib/cache.ts';
import { loadReleases } from '../images/lib/releases.ts';
import { Device } from '../harness/device/device.ts';
import { BoardStrategy } from '../harness/board/strategy.ts';
import { createRig } from '../harness/rig/create-rig.ts';
import { listRigFiles, loadRigConfig } from '../harness/rig/rig-config.ts';
import { selectedEngine } from '../images/lib/engine.ts';
import { waitFor } from '../harness/wait.ts';
import { summarize } from './stats.ts';
import { option } from './argv.ts';

const boots = Number(option('--boots') ?? 5);
const rigNames =
  option('--rig')?.split(',') ??
  (await Promise.all((await listRigFiles()).map(loadRigConfig)))
    .filter((r) => !r.example && r.kind === 'qemu')
    .map((r) => r.name);
const release = (await loadReleases()).filter((r) => r.layout === '2.x').at(-1)!;

console.log(`hupbench boot benchmark — release ${release.version}, engine ${selectedEngine()}, ${boots} boots per rig`);
for (const rigName of rigNames) {
  const config = await loadRigConfig(rigName);
  // Cold: the image is rebuilt from the cached .deb files (downloads are not part of the figure).
  await rm(path.join(cacheDir, 'images', config.deviceType, release.version), { recursive: true, force: true });
  let t = Date.now();
  await ensureImage(release, config.deviceType);
  const cold = Date.now() - t;
  t = Date.now();
  const image = await ensureImage(release, config.deviceType);
  const cached = Date.now() - t;
  console.log(`${rigName}: image build cold ${(cold / 1000).toFixed(1)} s, cached ${(cached / 1000).toFixed(1)} s`);

  const rig = createRig(config, path.join(cacheDir, 'rigs', `bench-${rigName}-${process.pid}`));
  const login: number[] = [];
  const ssh: number[] = [];
  const engine: number[] = [];
  try {
    for (let i = 0; i < boots; i++) {
      const device = new Device(rig);
      const board = new BoardStrategy(rig, device);
      await board.flash(image.path);
      const started = Date.now();
      login.push((await board.powerOn()).loginPromptMs);
      await board.toSsh();
      ssh.push(Date.now() - started);
      await waitFor(async () => ((await device.exec('docker ps -q')).exitCode === 0 ? true : undefined), {
        timeoutMs: 300_000,
        what: `the device's engine answering \`docker ps\` on ${rigName}`,
        intervalMs: 250,
      });
      engine.push(Date.now() - started);
      await board.powerOff();
    }
  } finally {
    await rig.dispose();
  }
  console.log(`${rigName}: power-on → login prompt ${summarize(login)}`);
  console.log(`${rigName}: power-on → SSH ready    ${summarize(ssh)}`);
  console.log(`${rigName}: power-on → engine up   ${summarize(engine)}`);
}
