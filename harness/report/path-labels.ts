// What a test is about, read from what the suites already record: the title (`2.x → 2.x: 2.0.0+rev2 →
// 2.12.3+rev1`, `rollback: broken-init (2.9.7+rev1 → 2.12.3+rev1)`) and the annotations `path`
// (`2.0.0+rev2 → 2.12.3+rev1 on beaglebone-black`) and `fault` (`broken-init: …`).
export type PathClass = '2x' | '1x-2x' | '1x' | 'downgrade';

export interface PathLabels {
  from?: string;
  to?: string;
  pathClass?: PathClass;
  fault?: string;
}

const version = String.raw`\d+\.\d+\.\d+(?:\+rev\d+)?`;
const arrow = new RegExp(`(${version})\\s*(?:→|->)\\s*(${version})`);

export function classifyPath(from: string, to: string): PathClass {
  const major = (v: string) => Number(v.split('.')[0]);
  const [a, b] = [major(from), major(to)];
  if (a === 1 && b === 2) return '1x-2x';
  if (a === 1 && b === 1) return '1x';
  if (a > b) return 'downgrade';
  return '2x';
}

export const pathClassTitles: Record<PathClass, string> = {
  '2x': '2.x → 2.x',
  '1x-2x': '1.x → 2.x',
  '1x': '1.x → 1.x',
  downgrade: 'downgrade',
};

export function pathLabels(title: string, annotations: Array<{ type: string; description?: string }>): PathLabels {
  const annotated = annotations.find((a) => a.type === 'path')?.description ?? '';
  const m = annotated.match(arrow) ?? title.match(arrow);
  const faultNote = annotations.find((a) => a.type === 'fault')?.description;
  const labels: PathLabels = {};
  if (m) Object.assign(labels, { from: m[1], to: m[2], pathClass: classifyPath(m[1]!, m[2]!) });
  if (faultNote) labels.fault = faultNote.split(':')[0]!.trim();
  return labels;
}
