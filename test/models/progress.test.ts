import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTable } from '../../src/models/format.js';
import { createProgressReporter } from '../../src/models/progress.js';

function sink() {
  const out: string[] = [];
  return { out, write: (s: string) => out.push(s) };
}

describe('progress', () => {
  it('not a TTY: a start line, a line every ~10%, a done line', () => {
    let t = 0;
    const s = sink();
    const p = createProgressReporter(s, { tty: false, now: () => t }).file('text/onnx/model.onnx');
    p.start(1_000_000, 0);
    for (let i = 0; i < 100; i++) {
      t += 10;
      p.advance(10_000);
    }
    p.done();
    const lines = s.out.join('').trimEnd().split('\n');
    expect(lines[0]).toBe('downloading text/onnx/model.onnx (1.0 MB)');
    expect(lines.slice(1, -1)).toEqual(
      [10, 20, 30, 40, 50, 60, 70, 80, 90].map((pct) => `  text/onnx/model.onnx ${pct}% (${formatBytes(pct * 10_000)} / 1.0 MB, 1.0 MB/s)`),
    );
    expect(lines.at(-1)).toBe('done text/onnx/model.onnx  1.0 MB in 1s (1.0 MB/s)');
    expect(s.out.join('')).not.toContain('\r');
  });

  it('not a TTY, resumed: says where it resumes, counts percent from there', () => {
    const s = sink();
    let t = 0;
    const p = createProgressReporter(s, { tty: false, now: () => t }).file('f');
    p.start(1000, 500);
    t = 1000;
    p.advance(100);
    expect(s.out.join('')).toBe('resuming f at 500 B of 1.0 kB\n  f 60% (600 B / 1.0 kB, 100 B/s)\n');
  });

  it('on a TTY: one line per file rewritten in place with bytes, rate and ETA, then a final line', () => {
    let t = 0;
    const s = sink();
    const r = createProgressReporter(s, { tty: true, now: () => t, minIntervalMs: 100 });
    const p = r.file('image/onnx/model.onnx');
    p.start(10_000_000, 0);
    t = 1000;
    p.advance(2_000_000);
    t = 1050; // under the redraw interval: nothing drawn
    p.advance(1);
    p.note('retry 1/4');
    t = 2000;
    p.done();
    const all = s.out.join('');
    expect(s.out[1]).toBe('\r\x1b[2Kimage/onnx/model.onnx  2.0 MB / 10 MB  2.0 MB/s  ETA 4s');
    expect(s.out).toHaveLength(5); // start, one redraw, newline before the note, the note, the final line
    expect(all).toContain('\n  image/onnx/model.onnx: retry 1/4\n');
    expect(all.endsWith('\r\x1b[2Kimage/onnx/model.onnx  2.0 MB in 2s (1.0 MB/s)\n')).toBe(true);
  });

  it('formats sizes, durations and tables', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1234)).toBe('1.2 kB');
    expect(formatBytes(438_214_184)).toBe('438 MB');
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(187)).toBe('3m07s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatTable(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\nxxx  y');
  });
});
