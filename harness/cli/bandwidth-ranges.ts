// What the seed says a component of an update weighs, shown beside the measured MiB for reference
// (DESIGN.md, "the real size ranges"): MB as the seed gives them, not a verdict.
import type { ComponentColumn } from '../report/update-bandwidth.ts';

export const seedRanges: Partial<Record<ComponentColumn, string>> = {
  hostOS: '70–120 MB',
  supervisor: '40–70 MB, layers cached between versions',
  'tools/resinhup': '~50 MB, the 1.x → 1.x updater tool',
};
