import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMemeguardError } from '../../../src/errors.js';
import { normalizeForScoring } from '../../../src/inference/ocr/metrics.js';
import { OcrPool } from '../../../src/inference/ocr/pool.js';
import { createTesseractWorker, type TesseractWorkerLike } from '../../../src/inference/ocr/tesseract.js';
import { renderMeme } from '../../../src/synth/memes.js';

let plainMeme: Buffer;
let classicMeme: Buffer;
const PLAIN = 'the quick brown fox jumps over the lazy dog';
const CLASSIC = 'WHEN THE CODE COMPILES ON THE FIRST TRY';

beforeAll(async () => {
  plainMeme = await renderMeme({ caption: PLAIN, style: 'plain', width: 500, seed: 11 });
  classicMeme = await renderMeme({ caption: { top: 'WHEN THE CODE COMPILES', bottom: 'ON THE FIRST TRY' }, style: 'classic', width: 500, height: 450, seed: 12 });
});

const read = (text: string) => normalizeForScoring(text);

describe('OcrPool', () => {
  const pools: OcrPool[] = [];
  const pool = (opts: ConstructorParameters<typeof OcrPool>[0]) => {
    const p = new OcrPool(opts);
    pools.push(p);
    return p;
  };
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('reads captions with workers from local files, sized to the machine by default', async () => {
    const p = pool({ workers: 1 });
    const r = await p.recognize(classicMeme);
    expect(read(r.text)).toBe(read(CLASSIC));
    expect(r.lines.length).toBeGreaterThanOrEqual(2);
    for (const l of r.lines) expect(l.confidence).toBeGreaterThan(50);
    expect(r.ms).toBeGreaterThan(0);
    expect(new OcrPool().size).toBeGreaterThanOrEqual(1);
    expect(new OcrPool().size).toBeLessThanOrEqual(4);
  });

  it('recycles a worker after N jobs and still reads right', async () => {
    const p = pool({ workers: 1, recycleAfter: 2 });
    const texts: string[] = [];
    for (let i = 0; i < 5; i++) texts.push((await p.recognize(plainMeme)).text);
    for (const t of texts) expect(read(t)).toBe(PLAIN);
    const s = p.stats();
    expect(s.jobs).toBe(5);
    expect(s.recycled).toBe(2);
    expect(s.started).toBe(3);
    expect(s.alive).toBe(1);
  });

  it('runs jobs in parallel on several workers and queues the rest', async () => {
    const p = pool({ workers: 2 });
    const results = await Promise.all([plainMeme, classicMeme, plainMeme].map((m) => p.recognize(m)));
    expect(results.map((r) => read(r.text))).toEqual([PLAIN, read(CLASSIC), PLAIN]);
    expect(p.stats().started).toBe(2);
  });

  it('stops a job at the per-job timeout with a clear TIMEOUT error, and the next job works', async () => {
    const p = pool({ workers: 1, timeoutMs: 1 });
    const err = await p.recognize(classicMeme).catch((e: unknown) => e);
    expect(isMemeguardError(err) && err.code).toBe('TIMEOUT');
    expect((err as Error).message).toMatch(/longer than 1 ms/);
    expect(p.stats().replaced).toBe(1);
    const ok = await p.recognize(plainMeme, { timeoutMs: 60_000 });
    expect(read(ok.text)).toBe(PLAIN);
    expect(p.stats().started).toBe(2);
  });

  it('replaces a worker that crashed (its thread terminated) and retries the job on a fresh one', async () => {
    const made: TesseractWorkerLike[] = [];
    const p = pool({
      workers: 1,
      createWorker: async (o) => {
        const w = await createTesseractWorker(o);
        made.push(w);
        return w;
      },
    });
    expect(read((await p.recognize(plainMeme)).text)).toBe(PLAIN);
    // Kill the worker thread behind the pool's back.
    await made[0].terminate();
    const r = await p.recognize(plainMeme);
    expect(read(r.text)).toBe(PLAIN);
    expect(made).toHaveLength(2);
    expect(p.stats().replaced).toBe(1);
  });

  it('refuses bad images with the image loader codes and a missing language model with MODEL_INVALID', async () => {
    const p = pool({ workers: 1 });
    const bad = await p.recognize(Buffer.from('not an image at all')).catch((e: unknown) => e);
    expect(isMemeguardError(bad) && bad.code).toBe('NOT_AN_IMAGE');
    const badRaw = await p.recognizeRaw(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')).catch((e: unknown) => e);
    expect(isMemeguardError(badRaw) && badRaw.code).toBe('UNSUPPORTED_IMAGE');
    const truncated = await p.recognize(plainMeme.subarray(0, 200)).catch((e: unknown) => e);
    expect(isMemeguardError(truncated) && truncated.code).toMatch(/CORRUPT_IMAGE|BAD_INPUT/);
    const noModel = pool({ workers: 1, langPath: '/nonexistent/tessdata' });
    const err = await noModel.recognize(plainMeme).catch((e: unknown) => e);
    expect(isMemeguardError(err) && err.code).toBe('MODEL_INVALID');
  });

  it('fails jobs after close, and jobs in flight at close, with CANCELLED', async () => {
    const p = pool({ workers: 1 });
    await p.close();
    const err = await p.recognize(plainMeme).catch((e: unknown) => e);
    expect(isMemeguardError(err) && err.code).toBe('CANCELLED');
    const q = pool({ workers: 1 });
    const inFlight = q.recognize(classicMeme).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    await q.close();
    const e2 = await inFlight;
    expect(isMemeguardError(e2) && e2.code).toBe('CANCELLED');
  });

  it('a worker that never finishes starting fails the job with TIMEOUT', async () => {
    const p = pool({ workers: 1, startTimeoutMs: 50, createWorker: () => new Promise<never>(() => {}) });
    const err = await p.recognize(plainMeme).catch((e: unknown) => e);
    expect(isMemeguardError(err) && err.code).toBe('TIMEOUT');
    expect((err as Error).message).toMatch(/did not start within 50 ms/);
  });
});
