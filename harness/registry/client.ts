// A small client for the registry v2 HTTP API: push blobs and manifests, read them back with their
// digests checked. Enough for the harness to publish images; devices pull with their own engine.
import { gunzipSync } from 'node:zlib';
import { InfraError } from '../errors.ts';
import {
  MEDIA_TYPES,
  descriptor,
  sha256Digest,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
} from './manifest.ts';

/** The harness could not publish to or read from its registry: the rig's side, not the product's. */
export class RegistryError extends InfraError {
  override name = 'RegistryError';
}

/** A gzip-compressed tar layer as it goes into an image. */
export interface Layer {
  gzip: Uint8Array;
}

export interface ImageToPush {
  layers: Layer[];
  config: Omit<ImageConfig, 'rootfs'>;
}

export interface PushedImage {
  reference: string;
  manifestDigest: string;
  manifest: ImageManifest;
  /** Bytes pushed for this image (blobs the registry already had count zero). */
  bytesUploaded: number;
}

export class RegistryClient {
  constructor(readonly baseUrl: string) {}

  async ping(): Promise<boolean> {
    const res = await fetch(`${this.baseUrl}/v2/`).catch(() => undefined);
    return res?.status === 200;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`);
    return res.status === 200;
  }

  /** Monolithic upload: POST for an upload session, PUT the bytes with their digest. */
  async pushBlob(
    repository: string,
    bytes: Uint8Array,
    mediaType = 'application/octet-stream',
  ): Promise<{ descriptor: Descriptor; uploaded: number }> {
    const desc = descriptor(mediaType, bytes);
    if (await this.hasBlob(repository, desc.digest)) return { descriptor: desc, uploaded: 0 };
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`);
    await expectStatus(start, 202, `start a blob upload to ${repository}`);
    const location = start.headers.get('location');
    if (!location)
      throw new RegistryError(`${this.baseUrl} started an upload to ${repository} without a Location header`);
    const url = new URL(location, this.baseUrl);
    url.searchParams.set('digest', desc.digest);
    const put = await fetch(url, {
      method: 'PUT',
      body: asBody(bytes),
      headers: { 'content-type': 'application/octet-stream' },
    });
    await expectStatus(put, 201, `upload blob ${desc.digest} to ${repository}`);
    return { descriptor: desc, uploaded: bytes.byteLength };
  }

  async pushManifest(repository: string, tag: string, manifest: ImageManifest): Promise<string> {
    return this.pushManifestBytes(repository, tag, Buffer.from(JSON.stringify(manifest, null, 2)), manifest.mediaType);
  }

  /** Puts a manifest's bytes unchanged (so its digest is the given one) under `tag`. */
  async pushManifestBytes(repository: string, tag: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repository}/manifests/${tag}`, {
      body,
      headers: { 'content-type': mediaType },
    });
    await expectStatus(res, 201, `put manifest ${repository}:${tag}`);
    const digest = sha256Digest(body);
    const told = res.headers.get('docker-content-digest');
    if (told && told !== digest)
      throw new RegistryError(`${this.baseUrl} stored ${repository}:${tag} as ${told}, but we sent ${digest}`);
    return digest;
  }

  /** Pushes layers, config and manifest; `reference` is `repository:tag`. */
  async pushImage(reference: string, image: ImageToPush): Promise<PushedImage> {
    const { repository, tag } = parseReference(reference);
    let bytesUploaded = 0;
    const layers: Descriptor[] = [];
    const diffIds: string[] = [];
    for (const layer of image.layers) {
      const pushed = await this.pushBlob(repository, layer.gzip, MEDIA_TYPES.layer);
      layers.push(pushed.descriptor);
      bytesUploaded += pushed.uploaded;
      diffIds.push(sha256Digest(gunzipSync(layer.gzip)));
    }
    const config: ImageConfig = { ...image.config, rootfs: { type: 'layers', diff_ids: diffIds } };
    const pushedConfig = await this.pushBlob(repository, Buffer.from(JSON.stringify(config)), MEDIA_TYPES.config);
    bytesUploaded += pushedConfig.uploaded;
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: pushedConfig.descriptor,
      layers,
    };
    const manifestDigest = await this.pushManifest(repository, tag, manifest);
    return { reference, manifestDigest, manifest, bytesUploaded };
  }

  async getManifest(reference: string): Promise<{ manifest: ImageManifest; digest: string; bytes: Buffer }> {
    const { repository, tag } = parseReference(reference);
    const res = await this.request('GET', `/v2/${repository}/manifests/${tag}`, {
      headers: { accept: MEDIA_TYPES.manifest },
    });
    await expectStatus(res, 200, `get manifest ${reference}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    const told = res.headers.get('docker-content-digest');
    if (told && told !== digest)
      throw new RegistryError(`Manifest ${reference}: registry says ${told}, content hashes to ${digest}`);
    return { manifest: JSON.parse(bytes.toString('utf8')) as ImageManifest, digest, bytes };
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`);
    await expectStatus(res, 200, `get blob ${digest} of ${repository}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const actual = sha256Digest(bytes);
    if (actual !== digest)
      throw new RegistryError(`Blob ${digest} of ${repository} arrived corrupt: it hashes to ${actual}`);
    return bytes;
  }

  async tags(repository: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repository}/tags/list`);
    if (res.status === 404) return [];
    await expectStatus(res, 200, `list tags of ${repository}`);
    return ((await res.json()) as { tags: string[] | null }).tags ?? [];
  }

  /** Removes a tag (its manifest), as the "image tag missing" fault needs. */
  async deleteTag(reference: string): Promise<void> {
    const { repository } = parseReference(reference);
    const { digest } = await this.getManifest(reference);
    const res = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`);
    await expectStatus(res, 202, `delete ${reference}`);
  }

  private request(
    method: string,
    path: string,
    init: { body?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: init.headers,
      body: init.body && asBody(init.body),
    }).catch((err: unknown) => {
      throw new RegistryError(
        `${method} ${this.baseUrl}${path} failed: ${(err as Error).message}. Is the registry container running?`,
      );
    });
  }
}

export function parseReference(reference: string): { repository: string; tag: string } {
  const m = /^([a-z0-9]+(?:[._/-][a-z0-9]+)*):([\w][\w.-]{0,127})$/.exec(reference);
  if (!m)
    throw new RegistryError(
      `"${reference}" is not a repository:tag reference (like resin/resinos:2.9.7_rev1-beaglebone-black)`,
    );
  return { repository: m[1]!, tag: m[2]! };
}

async function expectStatus(res: Response, status: number, what: string): Promise<void> {
  if (res.status === status) return;
  const body = await res.text().catch(() => '');
  throw new RegistryError(`Could not ${what}: HTTP ${res.status} (wanted ${status}) ${body.slice(0, 300)}`);
}

// Note: @types/node types fetch bodies as Uint8Array<ArrayBuffer>; a Buffer (ArrayBufferLike) is sent
// the same way at run time, and copying a 100 MB layer only to please the type checker is waste.
function asBody(bytes: Uint8Array): BodyInit {
  return bytes as Uint8Array<ArrayBuffer>;
}
