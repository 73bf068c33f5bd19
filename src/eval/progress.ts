/**
 * Progress of a long run: count, rate and ETA. On a TTY one line redrawn in place; otherwise a plain line at most
 * every few seconds (and at the end), so logs stay readable.
 */
export interface Progress {
  done: number;
  total: number;
  /** Items per second since the start. */
  rate: number;
  /** Seconds left at the current rate (null before any progress). */
  etaS: number | null;
}

export type ProgressCallback = (p: Progress) => void;

export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function formatProgress(label: string, p: Progress, width = 24): string {
  const frac = p.total > 0 ? p.done / p.total : 1;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  return `${label} [${bar}] ${p.done}/${p.total} ${(frac * 100).toFixed(0)}% ${p.rate.toFixed(1)}/s ETA ${formatDuration(p.etaS)}`;
}

/** A progress callback that draws on a stream (stderr by default). */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } = process.stderr,
  intervalMs = 5000,
): ProgressCallback {
  let last = 0;
  return (p) => {
    const now = Date.now();
    const finished = p.done >= p.total;
    if (stream.isTTY) {
      if (!finished && now - last < 100) return;
      last = now;
      stream.write(`\r${formatProgress(label, p)}\u001b[K${finished ? '\n' : ''}`);
    } else if (finished || now - last >= intervalMs) {
      last = now;
      stream.write(formatProgress(label, p) + '\n');
    }
  };
}

/** Tracks a run's start to turn counts into Progress values. */
export class ProgressClock {
  private readonly start = Date.now();
  constructor(readonly total: number) {}
  at(done: number): Progress {
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const etaS = done > 0 && rate > 0 ? (this.total - done) / rate : done >= this.total ? 0 : null;
    return { done, total: this.total, rate, etaS };
  }
}
