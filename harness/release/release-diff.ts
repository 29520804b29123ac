// `hupbench diff FROM TO`: what changed between two releases' artifact sets, for one device type —
// packages (added, removed, changed), kernel, boot-partition files, supervisor, image sizes.
import type { ImageSizes, ReleaseContents } from './release-contents.ts';

export interface Change<T> {
  from?: T;
  to?: T;
}

export interface ReleaseDiff {
  deviceType: string;
  from: { version: string; manifest: string; provider?: string };
  to: { version: string; manifest: string; provider?: string };
  supervisor: Change<string>;
  kernel: Change<string>;
  /** Undefined when either image has no package database. */
  packages?: {
    added: Record<string, string>;
    removed: Record<string, string>;
    changed: Record<string, Change<string>>;
    unchanged: number;
  };
  bootFiles?: {
    added: Record<string, number>;
    removed: Record<string, number>;
    changed: Record<string, Change<number>>;
    unchanged: number;
  };
  sizes: Record<string, Change<ImageSizes>>;
}

function compareMaps<T, V>(
  from: Record<string, T>,
  to: Record<string, T>,
  value: (t: T) => V,
  same: (a: T, b: T) => boolean,
) {
  const added: Record<string, V> = {};
  const removed: Record<string, V> = {};
  const changed: Record<string, Change<V>> = {};
  let unchanged = 0;
  for (const [k, v] of Object.entries(to)) {
    if (!(k in from)) added[k] = value(v);
    else if (!same(from[k]!, v)) changed[k] = { from: value(from[k]!), to: value(v) };
    else unchanged++;
  }
  for (const [k, v] of Object.entries(from)) if (!(k in to)) removed[k] = value(v);
  return { added, removed, changed, unchanged };
}

export function diffReleases(a: ReleaseContents, b: ReleaseContents): ReleaseDiff {
  const kinds = [...new Set([...Object.keys(a.sizes), ...Object.keys(b.sizes)])];
  return {
    deviceType: a.deviceType,
    from: { version: a.version, manifest: a.manifestFile, provider: a.provider },
    to: { version: b.version, manifest: b.manifestFile, provider: b.provider },
    supervisor: { from: a.supervisor, to: b.supervisor },
    kernel: { from: a.kernel, to: b.kernel },
    packages:
      a.packages && b.packages
        ? compareMaps(
            a.packages,
            b.packages,
            (v) => v,
            (x, y) => x === y,
          )
        : undefined,
    bootFiles:
      a.bootFiles && b.bootFiles
        ? compareMaps(
            a.bootFiles,
            b.bootFiles,
            (f) => f.size,
            (x, y) => x.sha256 === y.sha256,
          )
        : undefined,
    sizes: Object.fromEntries(kinds.map((k) => [k, { from: a.sizes[k], to: b.sizes[k] }])),
  };
}

const mib = (n?: number) => (n === undefined ? '—' : `${(n / 1048576).toFixed(1)} MiB`);
const arrow = (c: Change<string>) =>
  c.from === c.to ? `${c.from ?? '—'} (unchanged)` : `${c.from ?? '—'} → ${c.to ?? '—'}`;

export function diffText(d: ReleaseDiff): string {
  const out = [
    `${d.from.version} → ${d.to.version} (${d.deviceType})`,
    `  from: ${d.from.manifest}${d.from.provider ? ` [${d.from.provider}]` : ''}`,
    `  to:   ${d.to.manifest}${d.to.provider ? ` [${d.to.provider}]` : ''}`,
    `supervisor: ${arrow(d.supervisor)}`,
    `kernel: ${arrow(d.kernel)}`,
  ];
  if (!d.packages) out.push('packages: not compared (an image has no /var/lib/dpkg/status)');
  else {
    const p = d.packages;
    out.push(
      `packages: ${Object.keys(p.added).length} added, ${Object.keys(p.removed).length} removed, ${Object.keys(p.changed).length} changed, ${p.unchanged} unchanged`,
    );
    for (const [n, v] of Object.entries(p.added)) out.push(`  + ${n} ${v}`);
    for (const [n, v] of Object.entries(p.removed)) out.push(`  - ${n} ${v}`);
    for (const [n, c] of Object.entries(p.changed)) out.push(`  ~ ${n} ${c.from} → ${c.to}`);
  }
  if (!d.bootFiles) out.push('boot partition: not compared (a release has no card image)');
  else {
    const b = d.bootFiles;
    out.push(
      `boot partition: ${Object.keys(b.added).length} added, ${Object.keys(b.removed).length} removed, ${Object.keys(b.changed).length} changed, ${b.unchanged} unchanged`,
    );
    for (const [n, v] of Object.entries(b.added)) out.push(`  + ${n} (${v} bytes)`);
    for (const [n, v] of Object.entries(b.removed)) out.push(`  - ${n} (${v} bytes)`);
    for (const [n, c] of Object.entries(b.changed)) out.push(`  ~ ${n} (${c.from} → ${c.to} bytes)`);
  }
  out.push('images (compressed / uncompressed):');
  for (const [k, c] of Object.entries(d.sizes))
    out.push(
      `  ${k.padEnd(10)} ${mib(c.from?.compressed)} / ${mib(c.from?.uncompressed)} → ${mib(c.to?.compressed)} / ${mib(c.to?.uncompressed)}`,
    );
  return out.join('\n');
}

/** The diff as a Markdown section (the gate's verdict page). */
export function diffMarkdown(d: ReleaseDiff): string {
  return [
    `## What changed: ${d.from.version} → ${d.to.version} (${d.deviceType})`,
    '',
    '```',
    diffText(d),
    '```',
    '',
  ].join('\n');
}
