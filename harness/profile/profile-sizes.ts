// The byte arithmetic of a profile: the files its resin-data holds, a fill level in bytes, what a
// preloaded app costs on the card. Shared by the refusal before a run, the card builder and the check.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { DeviceProfile, FillLevel, ProfileData } from './profile-schema.ts';

export const MB = 1_000_000;

/** The files the profile puts under resin-data/userdata, as [bytes per file] (empty for a tarball). */
export function dataFiles(data: ProfileData | undefined): number[] {
  if (!data || data.tarball) return [];
  if (data.groups) return data.groups.flatMap((g) => Array<number>(g.files).fill(Math.round(g.sizeKB * 1000)));
  const total = Math.round((data.totalMB ?? 0) * MB);
  const files = data.files ?? Math.max(1, Math.ceil(total / (4 * MB)));
  const each = Math.floor(total / files);
  return Array.from({ length: files }, (_, i) => (i === files - 1 ? total - each * (files - 1) : each));
}

/** Bytes of user data the profile describes (a tarball's size as it lies on disk). */
export function dataBytes(data: ProfileData | undefined, file: string): number {
  if (data?.tarball) {
    try {
      return statSync(path.resolve(path.dirname(file), data.tarball)).size;
    } catch {
      return 0;
    }
  }
  return dataFiles(data).reduce((s, b) => s + b, 0);
}

/** `60%` of a partition of `partBytes`, or `20 MB`: bytes (a percentage is the level, not what to add). */
export function fillBytes(level: FillLevel | undefined, partBytes: number): number {
  const parsed = parseFill(level);
  if (!parsed) return 0;
  return parsed.unit === '%' ? (parsed.value / 100) * partBytes : parsed.value * MB;
}

export function parseFill(level: FillLevel | undefined): { value: number; unit: '%' | 'MB' } | undefined {
  const m = level?.match(/^\s*(\d+(?:\.\d+)?)\s*(%|MB)\s*$/);
  return m ? { value: Number(m[1]), unit: m[2] as '%' | 'MB' } : undefined;
}

/**
 * A preloaded app on the card: its image (the compressed layer the engine keeps) and the container's
 * unpacked root, about as big again (the layer is incompressible).
 */
export function appStoreBytes(app: DeviceProfile['app']): number {
  return app ? 2 * app.sizeMB * MB : 0;
}
