// What this process published of each release (artifact, source, digests): written beside a run's
// results by the worker that published it, so a verdict can set the registry's access log against it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AccessLogEntry, requestKind } from '../registry/access-log.ts';

export interface PublishedArtifact {
  version: string;
  deviceType: string;
  kind: 'hostOS' | 'supervisor' | 'tools' | 'resinhup';
  reference: string;
  /** The archive file or registry reference it came from. */
  source: string;
  manifestFile: string;
  manifestDigest: string;
  /** Config and layer digests. */
  blobs: string[];
}

export const publishRecord: PublishedArtifact[] = [];

/** The reference provider's work in this process (`version deviceType`): a given release must never be here. */
export const referenceProviderCalls: string[] = [];

/** The blob GETs the registry served (digest, repository, bytes), from its access log. */
export interface ServedBlob {
  repository: string;
  digest: string;
  bytes: number;
}

/** Writes `<dir>/registry/<name>.json`: what was published and which blobs the registry served. */
export async function writeRegistryRecord(dir: string, name: string, served: ServedBlob[]): Promise<string> {
  const file = path.join(dir, 'registry', `${name}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ published: publishRecord, served, referenceProviderCalls }, null, 2));
  return file;
}

/** The blobs an access log shows served to GETs. */
export function servedBlobs(entries: AccessLogEntry[]): ServedBlob[] {
  return entries.flatMap((e) => {
    const { kind, repository, reference } = requestKind(e);
    return e.method === 'GET' && e.status === 200 && kind === 'blob'
      ? [{ repository: repository!, digest: reference!, bytes: e.bytes }]
      : [];
  });
}
