// Medians with their spread: this machine is noisy, so a single figure means little.
export function summarize(samplesMs: number[]): string {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const s = (ms: number) => (ms / 1000).toFixed(2);
  return `median ${s(median)} s (min ${s(sorted[0]!)}, max ${s(sorted.at(-1)!)}, n=${sorted.length})`;
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
