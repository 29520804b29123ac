// The registry's access log (Apache combined format, one line per HTTP request, on its stdout).
// Bytes served are the response body sizes the registry itself logged: what went over the wire to
// the devices, give or take HTTP headers.
export interface AccessLogEntry {
  client: string;
  /** When the request started, ms since the epoch (the log has whole seconds). */
  time: number;
  method: string;
  path: string;
  status: number;
  bytes: number;
  userAgent: string;
}

// 172.17.0.1 - - [26/Nov/2026:19:20:00 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "Wget"
const combined = /^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) "[^"]*" "([^"]*)"/;
const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** `26/Nov/2026:19:20:00 +0000` → ms since the epoch (NaN when it does not read). */
export function parseLogTime(text: string): number {
  const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m) return Number.NaN;
  const utc = Date.UTC(Number(m[3]), months.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offsetMs = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
  return utc - offsetMs;
}

export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const m = combined.exec(line.trim());
  if (!m) return undefined;
  return {
    client: m[1]!,
    time: parseLogTime(m[2]!),
    method: m[3]!,
    path: m[4]!,
    status: Number(m[5]),
    bytes: m[6] === '-' ? 0 : Number(m[6]),
    userAgent: m[7]!,
  };
}

export type BlobKind = 'blob' | 'manifest' | 'other';

/**
 * What a request fetched, from its path: /v2/<name>/blobs/<digest> or /v2/<name>/manifests/<ref>.
 * `reference`: the blob's digest, or the manifest's tag or digest.
 */
export function requestKind(entry: { path: string }): { kind: BlobKind; repository?: string; reference?: string } {
  const m = /^\/v2\/(.+)\/(blobs|manifests)\/([^/?]+)(?:\?|$)/.exec(entry.path);
  if (!m || m[3] === 'uploads') return { kind: 'other' };
  return { kind: m[2] === 'blobs' ? 'blob' : 'manifest', repository: m[1], reference: m[3] };
}

export interface BytesServed {
  total: number;
  blobs: number;
  manifests: number;
  byRepository: Record<string, number>;
  requests: number;
}

/** Sums the successful GETs (pulls); pushes and probes are not "served". */
export function sumBytesServed(entries: AccessLogEntry[]): BytesServed {
  const served: BytesServed = { total: 0, blobs: 0, manifests: 0, byRepository: {}, requests: 0 };
  for (const e of entries) {
    if (e.method !== 'GET' || e.status >= 400) continue;
    const { kind, repository } = requestKind(e);
    if (kind === 'other') continue;
    served.total += e.bytes;
    served.requests += 1;
    if (kind === 'blob') served.blobs += e.bytes;
    else served.manifests += e.bytes;
    served.byRepository[repository!] = (served.byRepository[repository!] ?? 0) + e.bytes;
  }
  return served;
}
