// The registry the devices pull from: a testcontainers container of our locally built image.
// `await using registry = await startRegistry()` removes it when the scope ends.
import { randomUUID } from 'node:crypto';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { ensureDocker } from '../setup/docker.ts';
import { parseAccessLogLine, sumBytesServed, type AccessLogEntry, type BytesServed } from './access-log.ts';
import { RegistryClient } from './client.ts';
import { freeLoopbackPort } from '../rig/ports.ts';
import { REGISTRY_PORT, ensureRegistryImage } from './registry-image.ts';
import { ownerLabels, removeStaleRegistries } from './stale-registries.ts';

/** How a QEMU guest on user-mode networking reaches the host. */
export const HOST_FROM_DEVICE = '10.0.2.2';

export interface StartedRegistry extends AsyncDisposable {
  /** Host port the registry listens on (all host addresses). */
  readonly port: number;
  /** URL for the harness: http://127.0.0.1:<port>. */
  readonly url: string;
  /** URL for a QEMU device on user-mode networking: http://10.0.2.2:<port>. */
  readonly deviceUrl: string;
  readonly containerId: string;
  readonly client: RegistryClient;
  /** Every access log line so far (waits for the log to catch up with the requests made). */
  accessLog(): Promise<AccessLogEntry[]>;
  /** Bytes of manifests and blobs served to GETs, since start or since `mark`. */
  bytesServed(since?: number): Promise<BytesServed>;
  /** A position in the access log, for `bytesServed(mark)`. */
  mark(): Promise<number>;
  /**
   * Follows the access log again after the container was stopped and started (a fault test): the
   * first follower ended with the stop. `sinceSeconds`: the restart's UNIX time (fractional).
   */
  followLogAgain(sinceSeconds: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRegistry(options: { log?: (line: string) => void } = {}): Promise<StartedRegistry> {
  // Ryuk (the reaper container) would have to come from Docker Hub; disposal does its job instead.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  await ensureDocker({ log: options.log });
  await removeStaleRegistries(options.log);
  const image = await ensureRegistryImage(options.log);
  const lines: string[] = [];
  let partial = '';
  const consume = (chunk: Buffer | string) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  };
  // A fixed host port: a registry stopped and started again (a fault) keeps the address devices know.
  const hostPort = await freeLoopbackPort();
  const container: StartedTestContainer = await new GenericContainer(image)
    .withExposedPorts({ container: REGISTRY_PORT, host: hostPort })
    .withLabels(ownerLabels())
    .withWaitStrategy(Wait.forHttp('/v2/', REGISTRY_PORT).forStatusCode(200))
    .withStartupTimeout(30_000)
    .withLogConsumer((stream) => stream.on('data', consume))
    .start()
    .catch((err: unknown) => {
      throw new Error(
        `The registry container (${image}) did not answer GET /v2/ within 30s: ${(err as Error).message}`,
      );
    });
  const port = container.getMappedPort(REGISTRY_PORT);
  const url = `http://127.0.0.1:${port}`;
  const client = new RegistryClient(url);
  let stopped = false;

  const entries = () => lines.map(parseAccessLogLine).filter((e): e is AccessLogEntry => e !== undefined);
  // The log arrives asynchronously; a request of our own, seen in the log, proves the log has caught
  // up with every request made before it.
  async function settle(): Promise<void> {
    if (stopped) return;
    const marker = `/v2/_hupbench/sync/${randomUUID()}`;
    await fetch(`${url}${marker}`)
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.includes(marker))) {
      if (Date.now() > deadline)
        throw new Error(
          `The registry's access log did not show our request ${marker} within 10s; is access logging on in ${'harness/registry/config.yml'}?`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await container.stop({ remove: true, removeVolumes: true });
  };
  return {
    port,
    url,
    deviceUrl: `http://${HOST_FROM_DEVICE}:${port}`,
    containerId: container.getId(),
    client,
    async accessLog() {
      await settle();
      return entries();
    },
    async mark() {
      await settle();
      return entries().length;
    },
    async bytesServed(since = 0) {
      await settle();
      return sumBytesServed(entries().slice(since));
    },
    async followLogAgain(sinceSeconds) {
      partial = '';
      (await container.logs({ since: sinceSeconds })).on('data', consume);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
