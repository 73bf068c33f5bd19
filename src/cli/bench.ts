/**
 * memeguard bench [--models DIR] [--quick] [--json] [--concurrency 1,8,32] [--n N] [--soak N] ...
 * Measures the whole pipeline (see src/bench/run.ts). Progress goes to stderr, the report to stdout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatBenchReport } from '../bench/report.js';
import { runBench } from '../bench/run.js';
import { formatOcrQuality, runOcrQuality } from '../bench/ocr-quality.js';
import { MemeguardError } from '../errors.js';
import { logger } from '../log.js';

const USAGE = `usage: memeguard bench [options]
  --models DIR          a model pack (default: a full-size random-weight BERT-base + ResNet-152 pack,
                        generated once into .cache/bench/pack-full)
  --quick               a smoke run: few iterations (any pack; a tiny one is fine)
  --json                print the report as JSON
  --out FILE            also write the JSON report to FILE
  --concurrency LIST    throughput rows, e.g. 1,8,32 (default)
  --n N                 memes per throughput row (default 48, quick 8)
  --soak N              analyse N memes at concurrency 8 and sample RSS at 100, 250, 500, 1000 ... (default off)
  --threads N           onnxruntime intra-op threads (default MEMEGUARD_ORT_THREADS, else onnxruntime's choice)
  --ocr-workers N       tesseract.js workers (default: one per core, at most 4)
  --batch-size N        micro-batch size of the batching rows (default MEMEGUARD_BATCH_SIZE, else 8)
  --batch-wait MS       micro-batch wait (default MEMEGUARD_BATCH_WAIT_MS, else 5)
  --device cpu|cuda     execution provider (default MEMEGUARD_DEVICE, else CUDA when usable)
  --explain             include the word-by-word explanation in analyze (what the bot does)
  --ocr-quality         also run the OCR quality benchmark (CER/WER, src/bench/ocr-quality.ts)
  --seed N              seed of the generated memes (default 11)`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const optionsSchema = z.object({
  models: z.string().min(1).optional(),
  quick: z.boolean(),
  json: z.boolean(),
  out: z.string().min(1).optional(),
  concurrency: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'a comma-separated list of whole numbers, e.g. 1,8,32')
    .transform((s) => s.split(',').map(Number))
    .refine((xs) => xs.every((x) => x >= 1 && x <= 1024), 'each concurrency must be 1 to 1024')
    .optional(),
  n: int(1, 100_000).optional(),
  soak: int(1, 1_000_000).optional(),
  threads: int(0, 1024).optional(),
  'ocr-workers': int(1, 64).optional(),
  'batch-size': int(1, 1024).optional(),
  'batch-wait': int(0, 60_000).optional(),
  device: z.enum(['cpu', 'cuda']).optional(),
  explain: z.boolean(),
  'ocr-quality': z.boolean(),
  seed: int(0, 2 ** 31).optional(),
});

function parse(argv: string[]) {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        models: { type: 'string' },
        quick: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        concurrency: { type: 'string' },
        n: { type: 'string' },
        soak: { type: 'string' },
        threads: { type: 'string' },
        'ocr-workers': { type: 'string' },
        'batch-size': { type: 'string' },
        'batch-wait': { type: 'string' },
        device: { type: 'string' },
        explain: { type: 'boolean', default: false },
        'ocr-quality': { type: 'boolean', default: false },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new MemeguardError('USAGE', (e as Error).message.split('\n')[0], { hint: 'memeguard bench --help' });
  }
  if (values.help) return null;
  const r = optionsSchema.safeParse(values);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MemeguardError('USAGE', `--${issue.path.join('.')}: ${issue.message}`, { hint: 'memeguard bench --help' });
  }
  return r.data;
}

export async function run(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (!o) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  // The --out folder is made before the run, so a path that cannot be written fails in seconds, not after it.
  if (o.out) await mkdir(path.dirname(path.resolve(o.out)), { recursive: true }).catch((e: unknown) => outError(o.out!, e));
  const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
  logger.info('bench started', { models: o.models ?? 'generated', quick: o.quick });
  const report = await runBench({
    packDir: o.models,
    quick: o.quick,
    concurrency: o.concurrency,
    n: o.n,
    soak: o.soak,
    threads: o.threads,
    ocrWorkers: o['ocr-workers'],
    batch: { maxSize: o['batch-size'], maxWaitMs: o['batch-wait'] },
    device: o.device,
    explain: o.explain,
    seed: o.seed,
    onProgress: progress,
  });
  // Printed first: a failed --out write must not lose the report.
  process.stdout.write((o.json ? JSON.stringify(report, null, 2) : formatBenchReport(report)) + '\n');
  if (o.out) await writeFile(o.out, JSON.stringify(report, null, 2) + '\n').catch((e: unknown) => outError(o.out!, e));
  if (o['ocr-quality']) {
    progress('OCR quality (CER/WER) ...');
    const q = await runOcrQuality({ perStyle: o.quick ? 2 : 20 });
    process.stdout.write((o.json ? JSON.stringify(q, null, 2) : '\n' + formatOcrQuality(q)) + '\n');
  }
  return 0;
}

function outError(file: string, e: unknown): never {
  throw new MemeguardError('BAD_INPUT', `cannot write the bench report to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
}
