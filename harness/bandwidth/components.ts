// Which part of an update a registry request was for: the repository names the artifact (the
// publishers push every release's images, ours or given, under these names); manifests, the /v2/
// probe and token requests are the registry protocol around them.
import type { AccessLogEntry } from '../registry/access-log.ts';
import { requestKind } from '../registry/access-log.ts';
import type { Component } from './update-traffic-schema.ts';

const byRepository: Array<[RegExp, Component]> = [
  [/^resin\/resinos$/, 'hostOS'],
  [/-supervisor$/, 'supervisor'],
  [/^resin\/resinhup-tools$/, 'tools'],
  [/^resin\/resinhup$/, 'resinhup'],
  [/^hupbench\/app$/, 'app'],
];

export function componentOfRepository(repository: string): Component {
  return byRepository.find(([pattern]) => pattern.test(repository))?.[1] ?? 'other';
}

/** The component a request's bytes count for. */
export function componentOf(entry: AccessLogEntry): Component {
  const { kind, repository } = requestKind(entry);
  return kind === 'blob' ? componentOfRepository(repository!) : 'protocol';
}

/**
 * Whether a request came from the device: a pull (GET/HEAD), not the harness's own (publishing,
 * manifest lookups and the log's sync marks go out through Node's fetch, whose user agent is `node`).
 */
export function isDeviceRequest(entry: AccessLogEntry): boolean {
  if (entry.method !== 'GET' && entry.method !== 'HEAD') return false;
  if (/^(node|undici)\b/i.test(entry.userAgent) || entry.path.startsWith('/v2/_hupbench/')) return false;
  return true;
}
