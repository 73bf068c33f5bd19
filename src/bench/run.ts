/**
 * runBench(options): the whole-pipeline benchmark behind `memeguard bench`.
 *
 *   1. the pack (given, or the cached full-size random-weight pack, generated once) and seeded memes;
 *   2. each stage alone, one meme at a time: decode, preprocess, OCR, tokenize, text model, image model, heads, fusion;
 *   3. each model through our runner vs raw `session.run` on the same tensors (the overhead ratio);
 *   4. engine.analyze end to end on an idle engine (OCR included);
 *   5. throughput at each concurrency, with micro-batching and without;
 *   6. the repeat-image cache (the moderator's: the engine has none);
 *   7. memory: RSS after load, at the end, peak, and over a long soak.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Moderator } from '../bot/moderator.js';
import { MemeguardError } from '../errors.js';
import { SqliteStore } from '../bot/store/sqlite.js';
import type { ImagePost, PlatformPort } from '../bot/types.js';
import { resolveBatchOptions, type BatchOptions } from '../inference/batcher.js';
import { createEngine } from '../inference/engine.js';
import { fuse } from '../inference/fusion.js';
import { readHeads } from '../inference/heads/load.js';
import { loadImage } from '../inference/image/load.js';
import { loadImageModel } from '../inference/models/image-model.js';
import { loadTextModel } from '../inference/models/text-model.js';
import { OcrPool } from '../inference/ocr/pool.js';
import { releaseSharedSessions, sessionSettingsFromEnv, type SessionSettings } from '../inference/onnx/session.js';
import { readPack } from '../inference/pack/load.js';
import type { DeviceName, Engine } from '../inference/types.js';
import { generateBenchMemes, type BenchMeme } from './inputs.js';
import { defaultBenchPackDir, ensureBenchPack } from './pack.js';
import { imageFeeds, openRawImage, openRawText, runRaw, textFeeds } from './raw-session.js';
import { benchReportSchema, type BenchReport, type ThroughputRow } from './report.js';
import { peakRssMb, rssMb, summarize, timed, type LatencySummary } from './stats.js';

export interface BenchOptions {
  /** A model pack; default: the cached full-size pack in .cache/bench (generated on first use). */
  packDir?: string;
  /** Where the generated pack is cached (default .cache/bench/pack-full). */
  cacheDir?: string;
  /** Few iterations: a smoke run. */
  quick?: boolean;
  /** Concurrencies of the throughput rows (default 1, 8, 32). */
  concurrency?: number[];
  /** Memes per throughput row (at least the concurrency). */
  n?: number;
  /** Memes in the memory soak (0: no soak). RSS is sampled at 100, 500, 1000 ... and at the end. */
  soak?: number;
  device?: DeviceName;
  /** ONNX Runtime intra-op threads (default MEMEGUARD_ORT_THREADS, else onnxruntime's choice). */
  threads?: number;
  /** tesseract.js workers (default: the OCR pool's default). */
  ocrWorkers?: number;
  /** Micro-batching of the "on" rows (default MEMEGUARD_BATCH_SIZE / _WAIT_MS, else 8 / 5 ms). */
  batch?: Partial<BatchOptions>;
  /** Ask analyze for the word-by-word explanation (what the bot does); default off. */
  explain?: boolean;
  seed?: number;
  onProgress?: (line: string) => void;
}

interface Iterations {
  memes: number;
  stageReps: number;
  e2eReps: number;
  rawReps: number;
  n: number;
  repeatReps: number;
}

function iterations(o: BenchOptions): Iterations {
  return o.quick
    ? { memes: 4, stageReps: 4, e2eReps: 4, rawReps: 4, n: o.n ?? 8, repeatReps: 2 }
    : { memes: 16, stageReps: 16, e2eReps: 16, rawReps: 20, n: o.n ?? 48, repeatReps: 5 };
}

async function fileMb(file: string): Promise<number | null> {
  try {
    return Math.round((await stat(file)).size / 1e5) / 10;
  } catch {
    return null;
  }
}

function ortVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    return (req('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function batchStatsOf(engine: Engine): { text: number[]; image: number[] } {
  const s = (engine as unknown as { batchStats?: { text: number[]; image: number[] } }).batchStats;
  return s ? { text: [...s.text], image: [...s.image] } : { text: [], image: [] };
}

function mean(xs: number[]): number {
  return xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : 0;
}

/** `total` analyses by `concurrency` callers pulling from a shared queue; wall time and per-meme latency. */
async function drive(engine: Engine, memes: BenchMeme[], total: number, concurrency: number, explain: boolean) {
  let next = 0;
  const lat: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const m = memes[i % memes.length];
        const t = performance.now();
        await engine.analyze({ image: m.image, explain });
        lat.push(performance.now() - t);
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, latency: lat };
}

/** What a run holds open, so that a failure half-way still stops the OCR workers and engines. */
interface Resources {
  pool?: OcrPool;
  engines: Engine[];
}

export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const res: Resources = { engines: [] };
  try {
    return await measure(opts, res);
  } finally {
    for (const e of res.engines) await e.close().catch(() => undefined);
    await res.pool?.close().catch(() => undefined);
    await releaseSharedSessions();
  }
}

async function measure(opts: BenchOptions, res: Resources): Promise<BenchReport> {
  const say = opts.onProgress ?? (() => undefined);
  const it = iterations(opts);
  const explain = opts.explain ?? false;
  const notes: string[] = [];
  const startedAt = new Date().toISOString();
  const loadStart = loadavg().map((x) => Math.round(x * 100) / 100);

  let packDir: string;
  let generated = false;
  if (opts.packDir) packDir = path.resolve(opts.packDir);
  else {
    const r = await ensureBenchPack(opts.cacheDir ?? defaultBenchPackDir(), { onProgress: say });
    packDir = r.dir;
    generated = r.generated;
  }
  const pack = await readPack(packDir);

  say(`rendering ${it.memes} memes ...`);
  const memes = await generateBenchMemes({ count: it.memes, seed: opts.seed ?? 11 });

  const env = sessionSettingsFromEnv();
  const settings: SessionSettings = {
    ...env,
    device: opts.device ?? env.device,
    intraOpThreads: opts.threads ?? env.intraOpThreads,
  };
  const batchOn = resolveBatchOptions(opts.batch);

  say('loading the models ...');
  const loadStarted = performance.now();
  const [text, image] = await Promise.all([
    pack.json.text ? loadTextModel(pack.dir, pack.json.text, settings) : undefined,
    pack.json.image ? loadImageModel(pack.dir, pack.json.image, settings) : undefined,
  ]);
  const loadMs = Math.round(performance.now() - loadStarted);
  if (!text || !image) {
    throw new MemeguardError('PACK_INVALID', `${pack.dir}: the bench needs a pack with both a text and an image model`);
  }
  const heads = pack.json.heads ? await readHeads(path.resolve(pack.dir, pack.json.heads)) : undefined;
  const tokens = memes.map((m) => text.tokenizer.encode(m.caption).length);
  const pool = new OcrPool({ workers: opts.ocrWorkers });
  res.pool = pool;

  // ---------------------------------------------------------------- stages, each alone
  say(`stages: ${it.stageReps} memes, one at a time ...`);
  await pool.recognize(memes[0].image); // start a worker
  await text.encode([memes[0].caption]);
  const warmImg = await loadImage(memes[0].image);
  await image.run([await image.preprocessor.run(warmImg)]);
  const st: Record<'decode' | 'preprocess' | 'ocr' | 'tokenize' | 'textModel' | 'imageModel' | 'heads' | 'fusion', number[]> = {
    decode: [],
    preprocess: [],
    ocr: [],
    tokenize: [],
    textModel: [],
    imageModel: [],
    heads: [],
    fusion: [],
  };
  const pixelsOf: Float32Array[] = [];
  for (let r = 0; r < it.stageReps; r++) {
    const m = memes[r % memes.length];
    const d = await timed(() => loadImage(m.image));
    st.decode.push(d.ms);
    const p = await timed(() => image.preprocessor.run(d.value));
    st.preprocess.push(p.ms);
    pixelsOf[r % memes.length] = p.value;
    st.ocr.push((await timed(() => pool.recognize(m.image))).ms);
    const t0 = performance.now();
    text.tokenizer.batch([m.caption]);
    st.tokenize.push(performance.now() - t0);
    const te = await timed(() => text.encode([m.caption]));
    st.textModel.push(te.ms);
    const ie = await timed(() => image.run([p.value]));
    st.imageModel.push(ie.ms);
    const h0 = performance.now();
    const pText = heads?.text && te.value.embeddings ? heads.text.score(te.value.embeddings[0]) : 0.5;
    const pImage = heads?.image && ie.value.embeddings ? heads.image.score(ie.value.embeddings[0]) : 0.5;
    st.heads.push(performance.now() - h0);
    const f0 = performance.now();
    fuse(pack.json.fusion.rule === 'seed-sum' || pack.json.fusion.rule === 'weighted-mean' ? pack.json.fusion.rule : 'seed-sum', { pText, pImage });
    st.fusion.push(performance.now() - f0);
  }

  // ---------------------------------------------------------------- raw onnxruntime vs our runners
  say(`raw onnxruntime vs runners: ${it.rawReps} runs each ...`);
  const { height, width } = image.preprocessor.size;
  const rawText = await openRawText(pack, settings);
  const rawImage = await openRawImage(pack, settings);
  // The caption closest to 32 tokens (the target's reference input).
  const ref = memes.map((m, i) => ({ m, n: tokens[i] })).sort((a, b) => Math.abs(a.n - 32) - Math.abs(b.n - 32))[0];
  const tb = text.tokenizer.batch([ref.m.caption]);
  const tFeeds = textFeeds(rawText!, tb);
  const refPixels = pixelsOf.find((p) => p !== undefined)!;
  const iFeeds = imageFeeds(refPixels, height, width);
  for (let w = 0; w < 2; w++) {
    await runRaw(rawText!, tFeeds);
    await runRaw(rawImage!, iFeeds);
  }
  const raw = { text: { raw: [] as number[], runner: [] as number[] }, image: { raw: [] as number[], runner: [] as number[] } };
  for (let r = 0; r < it.rawReps; r++) {
    // Interleaved, so that load from elsewhere on the machine hits both alike.
    raw.text.raw.push((await timed(() => runRaw(rawText!, tFeeds))).ms);
    raw.text.runner.push((await timed(() => text.encode([ref.m.caption]))).ms);
    raw.image.raw.push((await timed(() => runRaw(rawImage!, iFeeds))).ms);
    raw.image.runner.push((await timed(() => image.run([refPixels]))).ms);
  }
  await rawText!.release();
  await rawImage!.release();
  const cmp = (x: { raw: number[]; runner: number[] }, input: string) => {
    const rs = summarize(x.raw);
    const us = summarize(x.runner);
    return { raw: rs, runner: us, ratio: Math.round((us.p50 / rs.p50) * 1000) / 1000, input };
  };

  // ---------------------------------------------------------------- end to end, idle engine
  say(`end to end: ${it.e2eReps} memes, one at a time ...`);
  const engineOn = await createEngine({ packDir: pack.dir, device: opts.device, threads: opts.threads, batch: batchOn, ocr: pool });
  res.engines.push(engineOn);
  const engineOff = await createEngine({
    packDir: pack.dir,
    device: opts.device,
    threads: opts.threads,
    batch: { maxSize: 1, maxWaitMs: 0 },
    ocr: pool,
  });
  res.engines.push(engineOff);
  for (const e of [engineOn, engineOff]) await e.analyze({ image: memes[0].image, explain });
  const rssAfterLoad = rssMb();
  const e2e: number[] = [];
  const timings: Record<string, number[]> = {};
  for (let r = 0; r < it.e2eReps; r++) {
    const m = memes[r % memes.length];
    const v = await timed(() => engineOn.analyze({ image: m.image, explain }));
    e2e.push(v.ms);
    for (const [k, ms] of Object.entries(v.value.timings_ms)) (timings[k] ??= []).push(ms);
  }
  if (!explain) {
    const ex: number[] = [];
    for (let r = 0; r < Math.min(4, it.e2eReps); r++) {
      const v = await engineOn.analyze({ image: memes[r % memes.length].image, explain: true });
      if (v.timings_ms.explain !== undefined) ex.push(v.timings_ms.explain);
    }
    if (ex.length) {
      notes.push(
        `the word-by-word explanation (analyze's default and /check's; the bot computes it for flagged posts only) adds ${summarize(ex).p50} ms p50 per meme ` +
          `(one text-model batch of one caption per word); it is off in these numbers (--explain turns it on)`,
      );
    }
  }

  // ---------------------------------------------------------------- throughput
  const rows: ThroughputRow[] = [];
  for (const c of opts.concurrency ?? [1, 8, 32]) {
    for (const batching of [false, true]) {
      const engine = batching ? engineOn : engineOff;
      const total = Math.max(it.n, c);
      say(`throughput: concurrency ${c}, batching ${batching ? 'on' : 'off'}, ${total} memes ...`);
      const before = batchStatsOf(engine);
      const r = await drive(engine, memes, total, c, explain);
      const after = batchStatsOf(engine);
      rows.push({
        concurrency: c,
        batching,
        batch: batching ? batchOn : { maxSize: 1, maxWaitMs: 0 },
        memes: total,
        seconds: Math.round(r.seconds * 1000) / 1000,
        memesPerSecond: Math.round((total / r.seconds) * 100) / 100,
        latency: summarize(r.latency),
        meanBatch: { text: mean(after.text.slice(before.text.length)), image: mean(after.image.slice(before.image.length)) },
      });
    }
  }

  // ---------------------------------------------------------------- repeat image
  say('repeat image through the moderator ...');
  const store = new SqliteStore(':memory:');
  const moderator = new Moderator({ engine: engineOn, store });
  const port: PlatformPort = {
    download: async (img) => img.bytes ?? new Uint8Array(),
    perform: async () => ({ ok: true }),
  };
  const post = (i: number, m: BenchMeme): ImagePost => ({
    platform: 'bench',
    workspaceId: 'bench',
    channelId: 'c1',
    messageId: `m${i}`,
    authorId: 'u1',
    authorIsBot: false,
    roles: [],
    images: [{ bytes: m.image, name: `${m.id}.${m.format}` }],
  });
  const first: number[] = [];
  const again: number[] = [];
  let msg = 0;
  let cacheHits = 0;
  for (let r = 0; r < it.repeatReps; r++) {
    const m = memes[r % memes.length];
    const a = await timed(() => moderator.handlePost(post(msg++, m), port));
    first.push(a.ms);
    for (let k = 0; k < 3; k++) {
      const b = await timed(() => moderator.handlePost(post(msg++, m), port));
      again.push(b.ms);
      if (b.value.judged[0]?.verdict.cached) cacheHits++;
    }
  }
  await moderator.drain();
  await store.close();

  // ---------------------------------------------------------------- soak
  let soak: BenchReport['memory']['soak'];
  if (opts.soak && opts.soak > 0) {
    soak = [];
    const marks = [100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000].filter((x) => x < opts.soak!).concat(opts.soak);
    let done = 0;
    for (const mark of marks) {
      say(`soak: ${mark} memes ...`);
      await drive(engineOn, memes, mark - done, 8, explain);
      done = mark;
      soak.push({
        memes: mark,
        rssMb: rssMb(),
        heapUsedMb: Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10,
        ocrWorkersStarted: pool.stats().started,
      });
    }
  }

  const info = engineOn.info;
  await engineOn.close();
  await engineOff.close();
  const ocrWorkers = pool.size;
  await pool.close();
  await releaseSharedSessions();

  notes.push('the engine has no repeat-image cache of its own: repeats are answered by the moderator from its store (sha256 of the bytes + pack fingerprint)');
  if (generated) notes.push('the pack was generated in this run (random weights: timings are real, scores are meaningless)');
  const report: BenchReport = {
    format: 'memeguard-bench',
    version: 1,
    startedAt,
    quick: opts.quick ?? false,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1e8) / 10,
      node: process.version,
      onnxruntime: ortVersion(),
      loadAverageStart: loadStart,
      loadAverageEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    pack: {
      dir: pack.dir,
      name: pack.json.name,
      generated,
      loadMs,
      textOnnxMb: pack.json.text ? await fileMb(path.join(pack.dir, pack.json.text.path, pack.json.text.onnx)) : null,
      imageOnnxMb: pack.json.image ? await fileMb(path.join(pack.dir, pack.json.image.path, pack.json.image.onnx)) : null,
    },
    settings: {
      device: info.device,
      executionProvider: info.device === 'cuda' ? 'CUDAExecutionProvider' : 'CPUExecutionProvider',
      intraOpThreads: settings.intraOpThreads ? settings.intraOpThreads : 'auto',
      interOpThreads: settings.interOpThreads ?? 1,
      allowSpinning: settings.allowSpinning ?? false,
      ocrWorkers,
      batch: batchOn,
      explain,
    },
    inputs: {
      memes: memes.length,
      widthPx: { min: Math.min(...memes.map((m) => m.width)), max: Math.max(...memes.map((m) => m.width)) },
      formats: memes.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m.format]: (acc[m.format] ?? 0) + 1 }), {}),
      words: { min: Math.min(...memes.map((m) => m.words)), max: Math.max(...memes.map((m) => m.words)), mean: mean(memes.map((m) => m.words)) },
      tokens: { min: Math.min(...tokens), max: Math.max(...tokens), mean: mean(tokens) },
    },
    stages: {
      decode: summarize(st.decode),
      preprocess: summarize(st.preprocess),
      ocr: summarize(st.ocr),
      tokenize: summarize(st.tokenize),
      textModel: summarize(st.textModel),
      imageModel: summarize(st.imageModel),
      heads: summarize(st.heads),
      fusion: summarize(st.fusion),
    },
    endToEnd: {
      latency: summarize(e2e),
      engineTimingsP50: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, summarize(v).p50])),
    },
    raw: {
      text: cmp(raw.text, `one caption of ${tb.sequence} tokens`),
      image: cmp(raw.image, `one image, pixel_values [1, 3, ${height}, ${width}]`),
    },
    throughput: rows,
    repeatImage: {
      where: 'moderator (bot): sha256 + store lookup',
      firstMs: summarize(first),
      repeatMs: summarize(again),
      note:
        `first = handlePost of a new image (engine + dHash + store); repeat = the same bytes posted again (${again.length} posts, ` +
        `${cacheHits} marked cached)`,
    },
    memory: { rssAfterLoadMb: rssAfterLoad, rssEndMb: rssMb(), peakRssMb: peakRssMb(), soak },
    notes,
  };
  return benchReportSchema.parse(report);
}

export type { LatencySummary };
