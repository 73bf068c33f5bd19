/**
 * The bench report: what `memeguard bench --json` prints. A zod schema, so that the format is one definition that
 * tests (and anyone reading an old report) can check.
 */
import { z } from 'zod';

export const latencySchema = z.object({
  n: z.number().int(),
  p50: z.number(),
  p95: z.number(),
  mean: z.number(),
  min: z.number(),
  max: z.number(),
});

const rawVsRunner = z.object({
  /** session.run alone on the same tensors. */
  raw: latencySchema,
  /** Our runner on the same input (text: tokenize + run + pooling; image: batch copy + run + feature copy). */
  runner: latencySchema,
  /** runner p50 / raw p50: 1.0 means no overhead. */
  ratio: z.number(),
  input: z.string(),
});

export const throughputRowSchema = z.object({
  concurrency: z.number().int().min(1),
  batching: z.boolean(),
  batch: z.object({ maxSize: z.number().int(), maxWaitMs: z.number() }),
  memes: z.number().int(),
  seconds: z.number(),
  memesPerSecond: z.number(),
  latency: latencySchema,
  /** Mean size of the batches the engine ran (text, image). */
  meanBatch: z.object({ text: z.number(), image: z.number() }),
});

export const benchReportSchema = z.object({
  format: z.literal('memeguard-bench'),
  version: z.literal(1),
  startedAt: z.string(),
  quick: z.boolean(),
  machine: z.object({
    cpus: z.number().int(),
    cpuModel: z.string(),
    memoryGb: z.number(),
    node: z.string(),
    onnxruntime: z.string(),
    loadAverageStart: z.array(z.number()),
    loadAverageEnd: z.array(z.number()),
  }),
  pack: z.object({
    dir: z.string(),
    name: z.string(),
    generated: z.boolean(),
    /** Reading both models and creating their sessions (graph optimisation included). */
    loadMs: z.number(),
    textOnnxMb: z.number().nullable(),
    imageOnnxMb: z.number().nullable(),
  }),
  settings: z.object({
    device: z.string(),
    executionProvider: z.string(),
    intraOpThreads: z.union([z.number(), z.literal('auto')]),
    interOpThreads: z.number(),
    /** onnxruntime's allow_spinning of idle intra-op threads (MEMEGUARD_ORT_SPIN; off unless set). */
    allowSpinning: z.boolean(),
    ocrWorkers: z.number().int(),
    batch: z.object({ maxSize: z.number().int(), maxWaitMs: z.number() }),
    explain: z.boolean(),
  }),
  inputs: z.object({
    memes: z.number().int(),
    widthPx: z.object({ min: z.number(), max: z.number() }),
    formats: z.record(z.string(), z.number()),
    words: z.object({ min: z.number(), max: z.number(), mean: z.number() }),
    tokens: z.object({ min: z.number(), max: z.number(), mean: z.number() }),
  }),
  /** Each stage alone, one meme at a time, on idle components. */
  stages: z.object({
    decode: latencySchema,
    preprocess: latencySchema,
    ocr: latencySchema,
    tokenize: latencySchema,
    textModel: latencySchema,
    imageModel: latencySchema,
    heads: latencySchema,
    fusion: latencySchema,
  }),
  /** engine.analyze of one meme at a time (OCR included), and the engine's own per-stage timings. */
  endToEnd: z.object({
    latency: latencySchema,
    engineTimingsP50: z.record(z.string(), z.number()),
  }),
  raw: z.object({ text: rawVsRunner, image: rawVsRunner }),
  throughput: z.array(throughputRowSchema),
  repeatImage: z.object({
    where: z.string(),
    firstMs: latencySchema,
    repeatMs: latencySchema,
    note: z.string(),
  }),
  memory: z.object({
    rssAfterLoadMb: z.number(),
    rssEndMb: z.number(),
    peakRssMb: z.number(),
    soak: z
      .array(z.object({ memes: z.number().int(), rssMb: z.number(), heapUsedMb: z.number(), ocrWorkersStarted: z.number().int() }))
      .optional(),
  }),
  notes: z.array(z.string()),
});

export type BenchReport = z.infer<typeof benchReportSchema>;
export type ThroughputRow = z.infer<typeof throughputRowSchema>;
type Latency = z.infer<typeof latencySchema>;

function ms(l: Latency): string {
  return `p50 ${l.p50.toFixed(1).padStart(7)} ms  p95 ${l.p95.toFixed(1).padStart(7)} ms  (n=${l.n})`;
}

/** The report as a human reads it. */
export function formatBenchReport(r: BenchReport): string {
  const L: string[] = [];
  const s = r.settings;
  L.push(`memeguard bench${r.quick ? ' (quick)' : ''} — ${r.startedAt}`);
  L.push(`machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, node ${r.machine.node}, onnxruntime ${r.machine.onnxruntime}`);
  L.push(`load average at start ${r.machine.loadAverageStart.map((x) => x.toFixed(2)).join(' ')}, at end ${r.machine.loadAverageEnd.map((x) => x.toFixed(2)).join(' ')}`);
  L.push(`pack: ${r.pack.name} (${r.pack.dir}) text ${r.pack.textOnnxMb ?? '-'} MB, image ${r.pack.imageOnnxMb ?? '-'} MB, loaded in ${r.pack.loadMs} ms`);
  L.push(
    `settings: provider ${s.executionProvider}, ORT intra-op threads ${s.intraOpThreads}, inter-op ${s.interOpThreads}, ` +
      `spinning ${s.allowSpinning}, OCR workers ${s.ocrWorkers}, batch ≤${s.batch.maxSize} / ${s.batch.maxWaitMs} ms, explain ${s.explain ? 'on' : 'off'}`,
  );
  const i = r.inputs;
  L.push(
    `inputs: ${i.memes} memes, ${i.widthPx.min}–${i.widthPx.max} px wide, ${Object.entries(i.formats).map(([k, v]) => `${v} ${k}`).join(', ')}, ` +
      `${i.words.min}–${i.words.max} words (mean ${i.words.mean}), ${i.tokens.min}–${i.tokens.max} tokens (mean ${i.tokens.mean})`,
  );
  L.push('', 'stages (one meme at a time, each stage alone):');
  for (const [k, v] of Object.entries(r.stages)) L.push(`  ${k.padEnd(12)} ${ms(v)}`);
  L.push('', 'end to end (engine.analyze, OCR included, idle engine):');
  L.push(`  ${'total'.padEnd(12)} ${ms(r.endToEnd.latency)}`);
  L.push(`  engine timings p50: ${Object.entries(r.endToEnd.engineTimingsP50).map(([k, v]) => `${k} ${v}`).join(', ')} ms`);
  L.push('', 'models: our runner vs raw onnxruntime session.run on the same input:');
  for (const [k, v] of Object.entries(r.raw)) {
    L.push(`  ${k.padEnd(6)} raw ${v.raw.p50.toFixed(1)} ms, runner ${v.runner.p50.toFixed(1)} ms, ratio ${v.ratio.toFixed(3)}  (${v.input})`);
  }
  L.push('', 'throughput (OCR included):');
  L.push('  concurrency  batching      memes/s   p50 ms   p95 ms  mean batch text/image');
  for (const t of r.throughput) {
    L.push(
      `  ${String(t.concurrency).padStart(11)}  ${(t.batching ? `on ≤${t.batch.maxSize}/${t.batch.maxWaitMs}ms` : 'off').padEnd(12)}` +
        `${t.memesPerSecond.toFixed(2).padStart(8)} ${t.latency.p50.toFixed(0).padStart(8)} ${t.latency.p95.toFixed(0).padStart(8)}` +
        `  ${t.meanBatch.text.toFixed(2)}/${t.meanBatch.image.toFixed(2)}`,
    );
  }
  L.push('', `repeat image (${r.repeatImage.where}): first ${r.repeatImage.firstMs.p50.toFixed(1)} ms, repeat ${r.repeatImage.repeatMs.p50.toFixed(2)} ms p50 / ${r.repeatImage.repeatMs.p95.toFixed(2)} ms p95`);
  L.push(`  ${r.repeatImage.note}`);
  L.push('', `memory: RSS after load ${r.memory.rssAfterLoadMb} MB, at end ${r.memory.rssEndMb} MB, peak ${r.memory.peakRssMb} MB`);
  for (const p of r.memory.soak ?? []) {
    L.push(`  after ${String(p.memes).padStart(5)} memes: RSS ${p.rssMb} MB, JS heap ${p.heapUsedMb} MB, OCR workers started ${p.ocrWorkersStarted}`);
  }
  if (r.notes.length) L.push('', 'notes:', ...r.notes.map((n) => `  - ${n}`));
  return L.join('\n');
}
