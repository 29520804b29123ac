// The gate verdict's account of a given release: the artifacts it was given (files and digests),
// and what the run's registries served of them, from their access logs (written by each worker as
// <results>/registry/*.json) — every blob of the gated release a device pulled must be one it was given.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GivenReleaseCheck } from './given-releases.ts';
import type { PublishedArtifact, ServedBlob } from './published-record.ts';

interface RegistryRecord {
  published: PublishedArtifact[];
  served: ServedBlob[];
  referenceProviderCalls?: string[];
}

export async function readRegistryRecords(resultsDir: string): Promise<RegistryRecord[]> {
  const dir = path.join(resultsDir, 'registry');
  const files = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(
    files
      .filter((f) => f.endsWith('.json'))
      .map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as RegistryRecord),
  );
}

const short = (d: string) => `${d.slice(0, 19)}…`;

export function givenReleaseMarkdown(checks: GivenReleaseCheck[], records: RegistryRecord[]): string {
  if (!checks.length) return '';
  const lines = [`## Release artifacts (given: ${checks[0]!.manifestFile})`, ''];
  lines.push(
    '| device type | artifact | from | digest (manifest / file) | config and layers |',
    '|---|---|---|---|---|',
  );
  for (const c of checks) {
    lines.push(`| ${c.deviceType} | card | ${path.basename(c.card)} | ${c.cardSha256} | |`);
    for (const i of c.images)
      lines.push(
        `| ${c.deviceType} | ${i.kind} | ${path.basename(i.source)} | ${i.manifestDigest}${i.manifestWritten ? ' (manifest written around the given blobs)' : ''} | ${i.blobs.join('<br>')} |`,
      );
  }
  lines.push('', ...servedMarkdown(checks, records));
  return lines.join('\n');
}

function servedMarkdown(checks: GivenReleaseCheck[], records: RegistryRecord[]): string[] {
  const version = checks[0]!.version;
  const published = records.flatMap((r) => r.published).filter((p) => p.version === version);
  if (!published.length) return [`No worker published ${version} (no registry records in this run).`];
  const given = new Set(checks.flatMap((c) => c.images.flatMap((i) => [i.manifestDigest, ...i.blobs])));
  const foreign = published.filter((p) => !given.has(p.manifestDigest) || p.blobs.some((b) => !given.has(b)));
  const repositories = new Set(published.map((p) => p.reference.split(':')[0]!));
  const served = records.flatMap((r) => r.served).filter((s) => repositories.has(s.repository));
  const publishedBlobs = new Set(published.flatMap((p) => p.blobs));
  const ofRelease = served.filter((s) => publishedBlobs.has(s.digest));
  const provided = [...new Set(records.flatMap((r) => r.referenceProviderCalls ?? []))];
  const built = provided.filter((c) => c.startsWith(`${version} `));
  const lines = [
    `**Reference builder:** ${built.length ? `**invoked for ${version}** (${built.join(', ')})` : `not invoked for ${version}`}; the workers' reference provider ran for: ${provided.join(', ') || 'nothing'}`,
    '',
    `**Registry:** ${published.length} pushes of ${version} (${[...new Set(published.map((p) => p.kind))].join(', ')}), ` +
      (foreign.length
        ? `**${foreign.length} not from the given artifacts** (${foreign.map((f) => `${f.kind} ${f.manifestDigest}`).join(', ')})`
        : 'every manifest and blob one of the given artifacts'),
    '',
    `Blobs of ${version} the devices pulled (registry access log): ${ofRelease.length} GETs, ${ofRelease.reduce((n, s) => n + s.bytes, 0)} bytes`,
    '',
  ];
  for (const d of new Set(ofRelease.map((s) => s.digest))) {
    const gets = ofRelease.filter((s) => s.digest === d);
    lines.push(
      `- ${d} (${gets[0]!.repository}): ${gets.length}× ${gets[0]!.bytes} bytes — given: ${given.has(d) ? 'yes' : '**no**'}`,
    );
  }
  const others = served.filter((s) => !publishedBlobs.has(s.digest));
  if (others.length)
    lines.push(
      `- other blobs served from those repositories (other releases): ${others.map((s) => short(s.digest)).join(', ')}`,
    );
  return lines;
}
