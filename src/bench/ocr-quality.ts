/**
 * OCR quality benchmark: character and word error rates and ms per meme, raw tesseract.js vs the memeguard caption
 * pipeline, per meme style, on a seeded generated set (see src/synth/memes.ts).
 *
 *   npx tsx src/bench/ocr-quality.ts [--per-style 20] [--seed 7] [--no-raw] [--json] [--styles a,b]
 *     [--psm 3|4|6|11] [--target-px N] [--soft-edges N] [--second-share X] [--model best_int|standard]   (ablations)
 *
 * Runs on one OCR worker, so ms per meme is one core's time.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { OcrPool } from '../inference/ocr/pool.js';
import type { ReadCaptionOptions } from '../inference/ocr/pipeline.js';
import { defaultLangPath, type PageSegMode } from '../inference/ocr/tesseract.js';
import { errorCounts, type ErrorCounts } from '../inference/ocr/metrics.js';
import { findInstalledPhotos, rng } from '../synth/backgrounds.js';
import { availableFonts } from '../synth/fonts.js';
import { captionText, renderMeme, type MemeCaption, type RenderMemeOptions } from '../synth/memes.js';

export type BenchStyle = 'classic-photo' | 'classic-flat' | 'modern' | 'plain' | 'classic-real-photo' | 'no-text';

export interface OcrBenchCase {
  id: string;
  style: BenchStyle;
  /** The caption as a reader reads it ('' for no-text pictures). */
  reference: string;
  image: Buffer;
  options: Omit<RenderMemeOptions, 'background'> & { background: string };
}

const WORDS = (
  'when you the and my me your this that it is was not what why how who finally everyone nobody people ' +
  'friend mom dad boss teacher cat dog baby grandma neighbor coworker internet monday weekend coffee pizza ' +
  'homework money phone computer code bug party game movie night morning school work office meeting email ' +
  'sees tries finds says thinks wants needs forgets remembers realizes explains asks tells gets makes breaks ' +
  'first last only every just still never always again already really actually literally totally ' +
  'big small good bad new old happy sad angry tired hungry lazy crazy funny weird perfect broken ' +
  'time day year life world home car bus train door window kitchen fridge sandwich cake dinner lunch ' +
  'one two three ten 100 2024 but so then now here there after before without because'
).split(' ');

const STYLE_SALT: Record<BenchStyle, number> = {
  'classic-photo': 0,
  'classic-flat': 1,
  modern: 2,
  plain: 3,
  'classic-real-photo': 4,
  'no-text': 5,
};

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)];
}

function sentence(rand: () => number, words: number): string {
  return Array.from({ length: words }, () => pick(rand, WORDS)).join(' ');
}

function mixedCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The seeded benchmark set: `perStyle` memes of each style (and real-photo classics when photos are installed). */
export async function generateOcrSet(
  opts: { perStyle?: number; seed?: number; styles?: BenchStyle[]; /** font ids to draw from (default: all available) */ fonts?: string[] } = {},
): Promise<OcrBenchCase[]> {
  const perStyle = opts.perStyle ?? 20;
  const seed = opts.seed ?? 7;
  const photos = findInstalledPhotos();
  const styles: BenchStyle[] =
    opts.styles ?? [
      'classic-photo',
      'classic-flat',
      ...(photos.length ? (['classic-real-photo'] as const) : []),
      'modern',
      'plain',
      'no-text',
    ];
  const fontIds = opts.fonts ?? availableFonts().map((f) => f.id);
  const cases: OcrBenchCase[] = [];
  for (const style of styles) {
    for (let i = 0; i < perStyle; i++) {
      const caseSeed = seed * 100_003 + STYLE_SALT[style] * 10_007 + i;
      const rand = rng(caseSeed);
      const width = Math.round(300 + rand() * 900);
      const upper = rand() < 0.5;
      const jpeg = rand() < 0.75;
      const jpegQuality = Math.round(50 + rand() * 40);
      const rotateDeg = Math.round((rand() * 4 - 2) * 10) / 10;
      let caption: MemeCaption;
      let memeStyle: RenderMemeOptions['style'];
      let background: RenderMemeOptions['background'] = 'photo';
      let backgroundName = 'photo';
      let font: string;
      let height = width;
      if (style.startsWith('classic') || style === 'no-text') {
        memeStyle = 'classic';
        font = pick(rand, fontIds);
        const top = sentence(rand, 2 + Math.floor(rand() * 5));
        const bottom = sentence(rand, 2 + Math.floor(rand() * 5));
        const cased = (s: string) => (upper ? s.toUpperCase() : mixedCase(s));
        const which = rand();
        caption = which < 0.2 ? { top: cased(top) } : which < 0.35 ? { bottom: cased(bottom) } : { top: cased(top), bottom: cased(bottom) };
        height = Math.round(width * (0.75 + rand() * 0.5));
        if (style === 'classic-flat') {
          background = 'flat';
          backgroundName = 'flat';
        }
        if (style === 'classic-real-photo') {
          const file = photos[Math.floor(rand() * photos.length)];
          background = readFileSync(file);
          backgroundName = file;
        }
        if (style === 'no-text') caption = { top: '' };
      } else {
        memeStyle = style as 'modern' | 'plain';
        font = pick(rand, fontIds.filter((f) => f !== 'anton'));
        const text = sentence(rand, 4 + Math.floor(rand() * 10));
        caption = upper ? text.toUpperCase() : mixedCase(text);
        height = style === 'plain' ? Math.round(width * (0.4 + rand() * 0.3)) : Math.round(width * (0.8 + rand() * 0.5));
      }
      const options = { caption, style: memeStyle, width, height, font, format: jpeg ? ('jpeg' as const) : ('png' as const), jpegQuality, rotateDeg, seed: caseSeed };
      const image = await renderMeme({ ...options, background });
      cases.push({
        id: `${style}-${i}`,
        style,
        reference: style === 'no-text' ? '' : captionText(caption),
        image,
        options: { ...options, background: backgroundName },
      });
    }
  }
  return cases;
}

export interface StyleScore {
  style: string;
  memes: number;
  /** Character edits summed over the memes (for no-text pictures: the characters read from nothing). */
  charErrors: number;
  cer: number;
  wer: number;
  /** Wall-clock ms per meme (OcrResult.ms). */
  msPerMeme: number;
  /** Process CPU ms per meme (all threads; the worker runs one job at a time, so this is one core's time). */
  cpuMsPerMeme: number;
}

export interface OcrQualityReport {
  seed: number;
  perStyle: number;
  pipeline: StyleScore[];
  raw: StyleScore[] | null;
  worst: Array<{ id: string; reference: string; read: string; cer: number }>;
}

type Reader = (image: Buffer) => Promise<{ text: string; ms: number }>;

async function score(cases: OcrBenchCase[], read: Reader): Promise<{ scores: StyleScore[]; readings: Map<string, string> }> {
  const byStyle = new Map<string, { counts: ErrorCounts; ms: number; cpu: number; n: number }>();
  const readings = new Map<string, string>();
  for (const c of cases) {
    const cpu0 = process.cpuUsage();
    const r = await read(c.image);
    const cpu1 = process.cpuUsage(cpu0);
    const cpuMs = (cpu1.user + cpu1.system) / 1000;
    readings.set(c.id, r.text);
    const e = errorCounts(c.reference, r.text);
    for (const key of c.style === 'no-text' ? [c.style] : [c.style, 'all']) {
      const s = byStyle.get(key) ?? { counts: { charErrors: 0, chars: 0, wordErrors: 0, words: 0 }, ms: 0, cpu: 0, n: 0 };
      s.counts.charErrors += e.charErrors;
      s.counts.chars += e.chars;
      s.counts.wordErrors += e.wordErrors;
      s.counts.words += e.words;
      s.ms += r.ms;
      s.cpu += cpuMs;
      s.n++;
      byStyle.set(key, s);
    }
  }
  const entries = [...byStyle.entries()].sort((a, b) => (a[0] === 'all' ? 1 : 0) - (b[0] === 'all' ? 1 : 0));
  const scores = entries.map(([style, s]) => ({
    style,
    memes: s.n,
    charErrors: s.counts.charErrors,
    cer: s.counts.chars ? s.counts.charErrors / s.counts.chars : s.counts.charErrors,
    wer: s.counts.words ? s.counts.wordErrors / s.counts.words : s.counts.wordErrors,
    msPerMeme: s.ms / s.n,
    cpuMsPerMeme: s.cpu / s.n,
  }));
  return { scores, readings };
}

/** Runs the benchmark on one worker (one core). Pass `pool` to reuse one. */
export async function runOcrQuality(
  opts: {
    perStyle?: number;
    seed?: number;
    raw?: boolean;
    styles?: BenchStyle[];
    pool?: OcrPool;
    /** Pipeline settings to compare (page segmentation mode, preprocessing parameters ...). */
    pipeline?: ReadCaptionOptions;
    /** Language model folder (default 4.0.0_best_int). */
    langPath?: string;
  } = {},
): Promise<OcrQualityReport> {
  const seed = opts.seed ?? 7;
  const perStyle = opts.perStyle ?? 20;
  const cases = await generateOcrSet({ perStyle, seed, styles: opts.styles });
  const pool = opts.pool ?? new OcrPool({ workers: 1, timeoutMs: 60_000, pipeline: opts.pipeline, langPath: opts.langPath });
  try {
    // Warm the worker so start-up is not counted in the first meme.
    await pool.recognize(cases[0].image);
    const pipe = await score(cases, (img) => pool.recognize(img));
    const raw = opts.raw === false ? null : await score(cases, (img) => pool.recognizeRaw(img));
    const worst = cases
      .map((c) => {
        const read = pipe.readings.get(c.id) ?? '';
        const e = errorCounts(c.reference, read);
        return { id: c.id, reference: c.reference, read, cer: e.chars ? e.charErrors / e.chars : e.charErrors };
      })
      .sort((a, b) => b.cer - a.cer)
      .slice(0, 8);
    return { seed, perStyle, pipeline: pipe.scores, raw: raw?.scores ?? null, worst };
  } finally {
    if (!opts.pool) await pool.close();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The report as a Markdown table. */
export function formatOcrQuality(report: OcrQualityReport): string {
  const rows = report.pipeline.map((p) => {
    const r = report.raw?.find((x) => x.style === p.style);
    if (p.style === 'no-text') {
      const junk = (x: StyleScore | undefined) => (x ? `${x.charErrors} chars read` : '-');
      const ms = (x: StyleScore | undefined) => (x ? `${x.msPerMeme.toFixed(0)} (${x.cpuMsPerMeme.toFixed(0)})` : '-');
      return `| no-text | ${p.memes} | ${junk(r)} | ${junk(p)} | - | - | ${ms(r)} | ${ms(p)} |`;
    }
    const ms = (x: StyleScore | undefined) => (x ? `${x.msPerMeme.toFixed(0)} (${x.cpuMsPerMeme.toFixed(0)})` : '-');
    return `| ${p.style} | ${p.memes} | ${r ? pct(r.cer) : '-'} | ${pct(p.cer)} | ${r ? pct(r.wer) : '-'} | ${pct(p.wer)} | ${ms(r)} | ${ms(p)} |`;
  });
  const worst = report.worst
    .filter((w) => w.cer > 0)
    .map((w) => `- ${w.id} (CER ${pct(w.cer)}): "${w.reference}" -> "${w.read}"`);
  return [
    `OCR quality, seed ${report.seed}, ${report.perStyle} memes per style, one worker`,
    '',
    '| style | memes | CER raw | CER pipeline | WER raw | WER pipeline | ms raw (cpu) | ms pipeline (cpu) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    worst.length ? 'Worst pipeline readings:' : 'No pipeline errors.',
    ...worst,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'per-style': { type: 'string', default: '20' },
      seed: { type: 'string', default: '7' },
      'no-raw': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      styles: { type: 'string' },
      psm: { type: 'string' },
      'target-px': { type: 'string' },
      'soft-edges': { type: 'string' },
      'second-share': { type: 'string' },
      model: { type: 'string' },
    },
  });
  const pipeline: ReadCaptionOptions = {};
  if (values.psm) pipeline.psm = Number(values.psm) as PageSegMode;
  if (values['target-px']) {
    const px = Number(values['target-px']);
    pipeline.preprocess = { targetLetterPx: px, targetLightLetterPx: px };
  }
  if (values['soft-edges']) pipeline.preprocess = { ...pipeline.preprocess, softEdges: Number(values['soft-edges']) };
  if (values['second-share']) pipeline.secondVariantShare = Number(values['second-share']);
  const report = await runOcrQuality({
    perStyle: Number(values['per-style']),
    seed: Number(values.seed),
    raw: !values['no-raw'],
    styles: values.styles ? (values.styles.split(',') as BenchStyle[]) : undefined,
    pipeline,
    langPath: values.model === 'standard' ? defaultLangPath('standard') : undefined,
  });
  process.stdout.write((values.json ? JSON.stringify(report, null, 2) : formatOcrQuality(report)) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    process.stderr.write(`ocr-quality: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
