import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress, progressBar, ProgressClock } from '../../src/eval/progress.js';

describe('progress', () => {
  it('formats count, percentage, rate and ETA', () => {
    expect(formatProgress('features', { done: 25, total: 100, rate: 5, etaS: 15 }, 10)).toBe(
      'features [###-------] 25/100 25% 5.0/s ETA 15s',
    );
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(null)).toBe('?');
  });
  it('writes plain lines (not redrawn) when the stream is not a TTY, always including the last one', () => {
    const out: string[] = [];
    const cb = progressBar('x', { write: (s: string) => out.push(s), isTTY: false }, 60_000);
    for (let done = 0; done <= 10; done++) cb({ done, total: 10, rate: 1, etaS: 10 - done });
    expect(out).toHaveLength(2); // the first and the final line
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(out[1]).toContain('10/10 100%');
  });
  it('redraws one line on a TTY', () => {
    const out: string[] = [];
    const cb = progressBar('x', { write: (s: string) => out.push(s), isTTY: true });
    cb({ done: 0, total: 2, rate: 0, etaS: null });
    cb({ done: 2, total: 2, rate: 1, etaS: 0 });
    expect(out[0].startsWith('\r')).toBe(true);
    expect(out.at(-1)!.endsWith('\n')).toBe(true);
  });
  it('computes the rate and the ETA from the start time', () => {
    const clock = new ProgressClock(10);
    const p = clock.at(0);
    expect(p).toMatchObject({ done: 0, total: 10, etaS: null });
  });
});
