import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchReportSchema, formatBenchReport, type BenchReport } from '../../src/bench/report.js';
import { run } from '../../src/cli/bench.js';
import { writeTinyPack } from '../../src/synth/pack.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-bench-run-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

function capture<T>(f: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  return f().then(
    (value) => ({ value, out: out.join(''), err: err.join('') }),
    (e) => {
      throw e;
    },
  ).finally(() => {
    process.stdout.write = w1;
    process.stderr.write = w2;
  });
}

function sane(l: { n: number; p50: number; p95: number; min: number; max: number }): void {
  expect(l.n).toBeGreaterThan(0);
  for (const x of [l.p50, l.p95, l.min, l.max]) {
    expect(Number.isFinite(x)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
  }
  expect(l.min).toBeLessThanOrEqual(l.p50);
  expect(l.p50).toBeLessThanOrEqual(l.p95);
  expect(l.p95).toBeLessThanOrEqual(l.max);
}

describe('memeguard bench --quick on a tiny pack', () => {
  let report: BenchReport;

  it('runs and writes a JSON report with every section', async () => {
    const pack = await writeTinyPack(path.join(tmp, 'tiny'));
    const out = path.join(tmp, 'report.json');
    const r = await capture(() =>
      run(['--models', pack, '--quick', '--json', '--out', out, '--concurrency', '1,3', '--n', '3', '--soak', '6', '--ocr-workers', '1']),
    );
    expect(r.value).toBe(0);
    expect(r.err).toMatch(/bench: throughput: concurrency 3, batching on/);
    report = benchReportSchema.parse(JSON.parse(r.out));
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(report);
  }, 600_000);

  it('reports sane values', () => {
    expect(report.quick).toBe(true);
    expect(report.pack.name).toBe('tiny');
    expect(report.settings).toMatchObject({ device: 'cpu', executionProvider: 'CPUExecutionProvider', ocrWorkers: 1, batch: { maxSize: 8, maxWaitMs: 5 } });
    expect(report.inputs.widthPx.min).toBeGreaterThanOrEqual(500);
    expect(report.inputs.widthPx.max).toBeLessThanOrEqual(1200);
    expect(report.inputs.words.min).toBeGreaterThanOrEqual(5);
    expect(report.inputs.words.max).toBeLessThanOrEqual(25);
    expect(Object.keys(report.inputs.formats).sort()).toEqual(['jpeg', 'png']);
    expect(report.inputs.tokens.min).toBeGreaterThan(report.inputs.words.min);
    for (const l of Object.values(report.stages)) sane(l);
    sane(report.endToEnd.latency);
    for (const k of ['decode', 'ocr', 'image', 'text', 'fusion', 'total']) expect(report.endToEnd.engineTimingsP50[k]).toBeGreaterThanOrEqual(0);
    for (const m of [report.raw.text, report.raw.image]) {
      sane(m.raw);
      sane(m.runner);
      expect(m.ratio).toBeGreaterThan(0);
    }
    expect(report.throughput.map((t) => [t.concurrency, t.batching])).toEqual([
      [1, false],
      [1, true],
      [3, false],
      [3, true],
    ]);
    for (const t of report.throughput) {
      expect(t.memes).toBe(3);
      expect(t.memesPerSecond).toBeGreaterThan(0);
      sane(t.latency);
      // Without batching every model call holds one item.
      if (!t.batching) expect(t.meanBatch).toEqual({ text: 1, image: 1 });
      else expect(t.meanBatch.image).toBeGreaterThanOrEqual(1);
    }
    // Every repeat post was answered from the moderator's store.
    expect(report.repeatImage.note).toMatch(/\((\d+) posts, \1 marked cached\)/);
    sane(report.repeatImage.repeatMs);
    expect(report.memory.soak!.map((s) => s.memes)).toEqual([6]);
    expect(report.memory.peakRssMb).toBeGreaterThanOrEqual(report.memory.rssAfterLoadMb);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.pack.loadMs).toBeGreaterThan(0);
    expect(report.settings.allowSpinning).toBe(false);
  });

  it('formats the report for people', () => {
    const text = formatBenchReport(report);
    for (const s of ['stages', 'end to end', 'raw onnxruntime', 'throughput', 'repeat image', 'memory', 'CPUExecutionProvider']) {
      expect(text).toContain(s);
    }
  });

  it('refuses bad options with a USAGE error and an unusable pack with a pack error', async () => {
    await expect(run(['--concurrency', '1,x'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run(['--threads', '-1'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run(['--bogus'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run(['--models', path.join(tmp, 'no-such-pack'), '--quick'])).rejects.toMatchObject({ code: 'PACK_MISSING' });
    const textOnly = await writeTinyPack(path.join(tmp, 'text-only'), { image: null });
    const r = capture(() => run(['--models', textOnly, '--quick']));
    await expect(r).rejects.toMatchObject({ code: 'PACK_INVALID', message: expect.stringContaining('both a text and an image model') });
    // an --out that cannot be written is refused before the run (a file stands where its folder should be): the
    // missing pack would otherwise have been the error
    const blocker = path.join(tmp, 'blocker');
    await writeFile(blocker, 'not a folder');
    await expect(capture(() => run(['--models', path.join(tmp, 'no-such-pack'), '--out', path.join(blocker, 'r.json')]))).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('cannot write the bench report'),
    });
    const help = await capture(() => run(['--help']));
    expect(help.value).toBe(0);
    expect(help.out).toContain('--models DIR');
  });
});
