import { formatBytes, formatDuration, formatRate } from './format.js';

/**
 * Download progress. On a terminal: one line per file, rewritten in place (bytes, rate, ETA). Otherwise (logs, CI):
 * plain lines — start, every ~10%, done — so that a log file stays short and readable.
 */

export interface FileProgress {
  /** The transfer (re)starts at `offset` of `total` bytes (total unknown: undefined). */
  start(total: number | undefined, offset: number): void;
  advance(bytes: number): void;
  /** A retry, a restart: shown on its own line. */
  note(message: string): void;
  done(): void;
}

export interface ProgressReporter {
  file(label: string): FileProgress;
  /** A whole-line message (a kept file, a summary). */
  line(message: string): void;
}

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

export function createProgressReporter(
  sink: ProgressSink,
  options: { tty?: boolean; now?: () => number; minIntervalMs?: number } = {},
): ProgressReporter {
  const tty = options.tty ?? sink.isTTY === true;
  const now = options.now ?? (() => Date.now());
  const minInterval = options.minIntervalMs ?? 100;
  return {
    line: (message) => void sink.write(`${message}\n`),
    file(label) {
      let total: number | undefined;
      let bytes = 0;
      let startedAt = now();
      let startBytes = 0;
      let lastDraw = 0;
      let nextPercent = 10;
      let drawn = false;

      const rate = (): number => {
        const secs = (now() - startedAt) / 1000;
        return secs > 0 ? (bytes - startBytes) / secs : 0;
      };
      const status = (): string => {
        const r = rate();
        const parts = [label, total !== undefined ? `${formatBytes(bytes)} / ${formatBytes(total)}` : formatBytes(bytes)];
        if (r > 0) parts.push(formatRate(r));
        if (r > 0 && total !== undefined && total >= bytes) parts.push(`ETA ${formatDuration((total - bytes) / r)}`);
        return parts.join('  ');
      };
      const drawTty = (force: boolean) => {
        const t = now();
        if (!force && t - lastDraw < minInterval) return;
        lastDraw = t;
        drawn = true;
        sink.write(`\r\x1b[2K${status()}`);
      };
      const endTtyLine = () => {
        if (drawn) sink.write('\n');
        drawn = false;
      };

      return {
        start(t, offset) {
          total = t;
          bytes = offset;
          startBytes = offset;
          startedAt = now();
          nextPercent = total && total > 0 ? Math.floor((offset / total) * 10) * 10 + 10 : 10;
          if (tty) drawTty(true);
          else {
            const size = total !== undefined ? formatBytes(total) : 'size unknown';
            sink.write(offset > 0 ? `resuming ${label} at ${formatBytes(offset)} of ${size}\n` : `downloading ${label} (${size})\n`);
          }
        },
        advance(n) {
          bytes += n;
          if (tty) drawTty(false);
          else if (total !== undefined && total > 0) {
            const pct = Math.floor((bytes / total) * 100);
            if (pct >= nextPercent && pct < 100) {
              sink.write(`  ${label} ${pct}% (${formatBytes(bytes)} / ${formatBytes(total)}, ${formatRate(rate())})\n`);
              nextPercent = Math.floor(pct / 10) * 10 + 10;
            }
          }
        },
        note(message) {
          if (tty) endTtyLine();
          sink.write(`  ${label}: ${message}\n`);
        },
        done() {
          const secs = (now() - startedAt) / 1000;
          const summary = `${label}  ${formatBytes(bytes)} in ${formatDuration(secs)}${secs > 0 ? ` (${formatRate(rate())})` : ''}`;
          if (tty) sink.write(`\r\x1b[2K${summary}\n`);
          else sink.write(`done ${summary}\n`);
          drawn = false;
        },
      };
    },
  };
}

/** A reporter that prints nothing (library use, --json). */
export const silentProgress: ProgressReporter = {
  line: () => undefined,
  file: () => ({ start: () => undefined, advance: () => undefined, note: () => undefined, done: () => undefined }),
};
