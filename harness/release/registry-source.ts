// An image given as a registry reference pinned by digest (host[:port]/repo:tag@sha256:…): its
// manifest and blobs fetched from that registry, each checked against its digest, and then published
// like an archive's. Plain HTTP is tried when HTTPS does not answer (a lab registry).
import { sha256Digest, type Descriptor } from '../registry/manifest.ts';
import type { GivenImage } from './image-archive.ts';
import { ReleaseError } from './release-error.ts';

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export async function readRegistryImage(reference: string): Promise<GivenImage> {
  const m = /^([^/]+)\/(.+):[^:@]+@(sha256:[0-9a-f]{64})$/.exec(reference);
  if (!m) throw new ReleaseError(`"${reference}" is not host[:port]/repo:tag@sha256:<digest>`);
  const [, host, repository, digest] = m as unknown as [string, string, string, string];
  const base = await reachable(host, reference);
  const get = async (what: string, accept?: string) => {
    const res = await fetch(`${base}/v2/${repository}/${what}`, { headers: accept ? { accept } : {} });
    if (res.status !== 200) throw new ReleaseError(`${reference}: GET ${what} answered HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };
  const checked = (bytes: Buffer, want: string) => {
    if (sha256Digest(bytes) !== want)
      throw new ReleaseError(
        `${reference}: ${want} arrived as ${sha256Digest(bytes)}: the registry served other bytes`,
      );
    return bytes;
  };
  const manifestBytes = checked(await get(`manifests/${digest}`, ACCEPT), digest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as {
    mediaType: string;
    config: Descriptor;
    layers: Descriptor[];
  };
  if (!manifest.config || !manifest.layers)
    throw new ReleaseError(`${reference}: ${digest} is not an image manifest (an index? pin a platform's manifest)`);
  const blobs = new Map<string, Buffer>();
  for (const d of [manifest.config, ...manifest.layers])
    blobs.set(d.digest, checked(await get(`blobs/${d.digest}`), d.digest));
  return {
    source: reference,
    manifestBytes,
    manifestDigest: digest,
    mediaType: manifest.mediaType,
    config: manifest.config,
    layers: manifest.layers,
    blobs,
    manifestWritten: false,
  };
}

async function reachable(host: string, reference: string): Promise<string> {
  for (const scheme of ['https', 'http']) {
    const res = await fetch(`${scheme}://${host}/v2/`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    if (res && (res.status === 200 || res.status === 401)) return `${scheme}://${host}`;
  }
  throw new ReleaseError(`${reference}: the registry at ${host} answers neither HTTPS nor HTTP on /v2/`);
}
