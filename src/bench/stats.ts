/** Small statistics for benchmark samples (milliseconds). */

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** The q-quantile (0..1) by linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    n: s.length,
    p50: r2(quantile(s, 0.5)),
    p95: r2(quantile(s, 0.95)),
    mean: r2(mean),
    min: r2(s[0] ?? NaN),
    max: r2(s[s.length - 1] ?? NaN),
  };
}

/** Milliseconds an async call takes, with its result. */
export async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
}

/** Resident set size now, in MB. */
export function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
}

/** Peak resident set size of the process so far, in MB (getrusage maxrss). */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}
