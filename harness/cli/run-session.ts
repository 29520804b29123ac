// What `hupbench run` holds while it runs: the rig (and its lease on a bench), the registry with the
// releases published into it, the board's strategy with every step printed as live progress, and
// their cleanup on the way out — also on Ctrl-C, since the registry container outlives this process.
import path from 'node:path';
import { cacheDir } from '../../images/lib/cache.ts';
import { BoardStrategy } from '../board/strategy.ts';
import { Device } from '../device/device.ts';
import { imageForRelease } from '../image/release-image.ts';
import { type StartedRegistry, startRegistry } from '../registry/index.ts';
import { createRig } from '../rig/create-rig.ts';
import { acquireRigLease } from '../rig/lease.ts';
import type { Rig } from '../rig/rig.ts';
import type { RigConfig } from '../rig/rig-config.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import { releasePublisher } from '../scenarios/publisher.ts';
import type { Progress } from './progress.ts';

export class RunSession {
  private readonly cleanups: Array<() => Promise<unknown>> = [];
  rig?: Rig;
  registry?: StartedRegistry;
  scenario?: ScenarioContext;
  /** The step the board is in, and since when (for the progress ticker). */
  current = { name: 'start', since: Date.now() };
  private readonly onSignal = () => void this.close().finally(() => process.exit(130));

  constructor(
    readonly config: RigConfig,
    private readonly progress: Progress,
  ) {
    // Note: QEMU dies with this process (pdeathsig), the registry container does not: stop it on Ctrl-C.
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Leases the rig (a bench), creates it, starts the registry; the scenario context is ready after. */
  async open(command: string): Promise<ScenarioContext> {
    const { config, progress } = this;
    if (config.kind === 'bench') {
      const lease = await acquireRigLease(config.name, { command });
      this.cleanups.push(() => lease.release());
    }
    const rig = createRig(config, path.join(cacheDir, 'rigs', `${config.name}-cli-${process.pid}`));
    this.rig = rig;
    this.cleanups.push(() => rig.dispose());
    progress.log('starting the registry');
    const registry = await startRegistry();
    this.registry = registry;
    this.cleanups.push(() => registry.stop());
    const board = new BoardStrategy(rig, new Device(rig), (name, body) => {
      this.current = { name, since: Date.now() };
      progress.log(name.replace('updater phase: ', 'phase '));
      return body();
    });
    this.scenario = {
      board,
      registry: releasePublisher(registry, rig.deviceType),
      imageFor: (version) => imageForRelease(version, rig.deviceType),
    };
    return this.scenario;
  }

  private registryMark?: number;

  /** From now on `registryBytes()` counts what the registry serves (the update, not the source's setup). */
  async markRegistry(): Promise<void> {
    this.registryMark = await this.registry?.mark();
  }

  async registryBytes(): Promise<number> {
    if (!this.registry || this.registryMark === undefined) return 0;
    return (await this.registry.bytesServed(this.registryMark)).total;
  }

  /** Runs `cleanup` when the session closes (in reverse order of registration). */
  defer(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup);
  }

  /** Stops listening for Ctrl-C (an interactive console session takes it over). */
  releaseSignals(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  async close(): Promise<void> {
    this.releaseSignals();
    for (const c of this.cleanups.reverse()) await c().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    this.cleanups.length = 0;
  }
}
