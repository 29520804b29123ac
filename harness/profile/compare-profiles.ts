// Does a device match its profile? The profile (what was asked for) against a capture of the device
// (what is there), field by field, each check named by the profile field it judges. Sizes are
// compared with stated tolerances: a filesystem's own blocks make `df` and file sizes move a little.
import type { CapturedFacts } from './capture.ts';
import type { DeviceProfile, ProfileWifi } from './profile-schema.ts';
import { dataFiles, MB, parseFill } from './profile-sizes.ts';

export const TOLERANCE = {
  /** resin-data's total: this share of it, or 1 MB, whichever is more. */
  dataShare: 0.01,
  /** A partition's fill level given in percent: percentage points. */
  fillPoints: 3,
  /** A fill file given in MB: MB. */
  fillMB: 1,
  /** The app image's size: share of it. */
  appShare: 0.02,
};

export interface FieldCheck {
  field: string;
  want: string;
  got: string;
  ok: boolean;
}

const str = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

export function compareProfiles(
  want: DeviceProfile,
  got: DeviceProfile,
  opts: { supervisor?: string; facts?: CapturedFacts } = {},
): FieldCheck[] {
  const checks: FieldCheck[] = [];
  const eq = (field: string, w: unknown, g: unknown) =>
    checks.push({ field, want: str(w), got: str(g), ok: str(w) === str(g) });
  eq('device.type', want.device.type, got.device.type);
  eq('device.release', want.device.release, got.device.release);
  eq('device.supervisor', want.device.supervisor ?? opts.supervisor, got.device.supervisor);
  const wk = want.config?.keys ?? {};
  const gk = got.config?.keys ?? {};
  for (const k of new Set([...Object.keys(wk), ...Object.keys(gk)])) eq(`config.keys.${k}`, wk[k], gk[k]);
  compareWifi(checks, 'config.wifi', want.config?.wifi ?? [], got.config?.wifi ?? []);
  compareWifi(checks, 'config.wifiConnect', opt(want.config?.wifiConnect), opt(got.config?.wifiConnect));
  compareData(checks, want, got);
  compareFill(checks, want, got, opts.facts);
  // Note: every device runs an app; the profile judges its size only when it gives one.
  if (want.app) {
    const w = want.app?.sizeMB ?? 0;
    const g = got.app?.sizeMB ?? 0;
    checks.push({ field: 'app.sizeMB', want: `${w}`, got: `${g}`, ok: Math.abs(w - g) <= w * TOLERANCE.appShare });
  }
  for (const kind of ['modified', 'added', 'removed'] as const) {
    const paths = (p: DeviceProfile) =>
      (p.rootChanges?.[kind] ?? []).map((e) => (typeof e === 'string' ? e : e.path)).sort();
    eq(`rootChanges.${kind}`, paths(want), paths(got));
  }
  return checks;
}

const opt = (n: ProfileWifi | undefined) => (n ? [n] : []);

function compareWifi(checks: FieldCheck[], field: string, want: ProfileWifi[], got: ProfileWifi[]): void {
  const ssids = (ns: ProfileWifi[]) => ns.map((n) => n.ssid).sort();
  checks.push({
    field,
    want: str(ssids(want)),
    got: str(ssids(got)),
    ok: str(ssids(want)) === str(ssids(got)),
  });
  for (const w of want) {
    const g = got.find((n) => n.ssid === w.ssid);
    if (!g) continue;
    for (const k of ['passphrase', 'hidden', 'nameservers'] as const) {
      const wv = k === 'hidden' ? Boolean(w[k]) : w[k];
      const gv = k === 'hidden' ? Boolean(g[k]) : g[k];
      checks.push({ field: `${field}[${w.ssid}].${k}`, want: str(wv), got: str(gv), ok: str(wv) === str(gv) });
    }
  }
}

function compareData(checks: FieldCheck[], want: DeviceProfile, got: DeviceProfile): void {
  if (!want.data && !got.data) return;
  if (want.data?.tarball) {
    checks.push({ field: 'data.tarball', want: want.data.tarball, got: 'restored (its files not compared)', ok: true });
    return;
  }
  const w = dataFiles(want.data);
  const g = dataFiles(got.data);
  const wb = w.reduce((s, b) => s + b, 0);
  const gb = g.reduce((s, b) => s + b, 0);
  const slack = Math.max(MB, wb * TOLERANCE.dataShare);
  checks.push({
    field: 'data (total MB)',
    want: (wb / MB).toFixed(1),
    got: (gb / MB).toFixed(1),
    ok: Math.abs(wb - gb) <= slack,
  });
  checks.push({ field: 'data (files)', want: `${w.length}`, got: `${g.length}`, ok: w.length === g.length });
  const wc = want.data?.compressibility;
  const gc = got.data?.compressibility;
  checks.push({ field: 'data.compressibility', want: str(wc), got: str(gc), ok: !wc || wc === gc });
}

function compareFill(checks: FieldCheck[], want: DeviceProfile, got: DeviceProfile, facts?: CapturedFacts): void {
  for (const part of ['root', 'state', 'data'] as const) {
    const w = parseFill(want.fill?.[part]);
    if (!w) continue;
    const field = `fill.${part}`;
    if (w.unit === 'MB') {
      const g = facts?.fillFilesMB[part] ?? 0;
      checks.push({
        field,
        want: `${w.value} MB`,
        got: `${g.toFixed(1)} MB`,
        ok: Math.abs(g - w.value) <= TOLERANCE.fillMB,
      });
    } else {
      const g = parseFill(got.fill?.[part]);
      const ok = g?.unit === '%' && Math.abs(g.value - w.value) <= TOLERANCE.fillPoints;
      checks.push({ field, want: `${w.value}%`, got: g ? `${g.value}%` : '(no fill)', ok });
    }
  }
}

/** The mismatches, one line each, naming the field: for an error message. */
export function mismatchLines(checks: FieldCheck[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => `${c.field}: the profile says ${c.want}, the device has ${c.got}`);
}
