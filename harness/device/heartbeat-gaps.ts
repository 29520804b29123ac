// The app's downtime from its heartbeats: pure arithmetic over device-clock timestamps.

/** The largest gap (seconds) between consecutive heartbeats within [from, to], and where it starts. */
export function maxGap(beats: number[], from = -Infinity, to = Infinity): { gap: number; at?: number } {
  const window = beats.filter((b) => b >= from && b <= to);
  let gap = 0;
  let at: number | undefined;
  for (let i = 1; i < window.length; i++) {
    const d = window[i]! - window[i - 1]!;
    if (d > gap) {
      gap = d;
      at = window[i - 1];
    }
  }
  return { gap, at };
}

/**
 * The app's longest heartbeat gap within [from, to] that the device's own in-RAM ticker (HupRun's
 * deviceTicks) does not share. When the ticker went silent too, the whole device stalled (an
 * emulator starved by its host, an SD model blocking the machine), which is not app downtime; a
 * gap outside the ticker's span is never excused. `deviceStall` is the longest such shared silence.
 */
export function appDowntime(
  beats: number[],
  ticks: number[],
  from = -Infinity,
  to = Infinity,
): { gap: number; at?: number; deviceStall: number } {
  const window = beats.filter((b) => b >= from && b <= to);
  const [first, last] = [ticks[0] ?? Infinity, ticks.at(-1) ?? -Infinity];
  let gap = 0;
  let at: number | undefined;
  let deviceStall = 0;
  for (let i = 1; i < window.length; i++) {
    const [a, b] = [window[i - 1]!, window[i]!];
    let unexplained = b - a;
    if (a >= first && b <= last) {
      const points = [a, ...ticks.filter((t) => t > a && t < b), b];
      const silence = Math.max(...points.slice(1).map((p, j) => p - points[j]!));
      unexplained = b - a - silence + 1;
      deviceStall = Math.max(deviceStall, silence);
    }
    if (unexplained > gap) {
      gap = unexplained;
      at = a;
    }
  }
  return { gap, at, deviceStall };
}
