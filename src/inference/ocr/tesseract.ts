import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Tesseract from 'tesseract.js';

/**
 * One tesseract.js worker (a worker thread running the WASM core), loaded from local files only:
 * the core comes from the tesseract.js-core package (tesseract.js's Node default), the English LSTM model from
 * @tesseract.js-data/eng. Nothing is fetched from a CDN: langPath is a local folder and cacheMethod is 'none'.
 */
export interface OcrWord {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

export interface OcrRawLine {
  text: string;
  confidence: number;
  words: OcrWord[];
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

export interface OcrPage {
  text: string;
  confidence: number;
  lines: OcrRawLine[];
}

/** Tesseract page segmentation modes we use: 3 auto, 4 single column, 6 one block, 11 sparse text. */
export type PageSegMode = 3 | 4 | 6 | 7 | 11;

export interface TesseractWorkerLike {
  recognize(image: Buffer, psm: PageSegMode): Promise<OcrPage>;
  terminate(): Promise<void>;
}

export type TesseractModel = 'best_int' | 'standard';

const require = createRequire(import.meta.url);

/** The folder holding eng.traineddata.gz from @tesseract.js-data/eng. */
export function defaultLangPath(model: TesseractModel = 'best_int'): string {
  const root = dirname(require.resolve('@tesseract.js-data/eng/package.json'));
  return join(root, model === 'best_int' ? '4.0.0_best_int' : '4.0.0');
}

/** Our worker script: tesseract.js's own, with the WASM core's console chatter silenced (see quiet-worker.cjs). */
const QUIET_WORKER = fileURLToPath(new URL('./quiet-worker.cjs', import.meta.url));

function defaultCachePath(): string {
  const dir = join(tmpdir(), 'memeguard-tesseract');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface CreateTesseractOptions {
  langPath?: string;
  cachePath?: string;
}

function toPage(data: Tesseract.Page): OcrPage {
  const lines: OcrRawLine[] = [];
  for (const block of data.blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        lines.push({
          text: line.text,
          confidence: line.confidence,
          bbox: line.bbox,
          words: line.words.map((w) => ({ text: w.text, confidence: w.confidence, bbox: w.bbox })),
        });
      }
    }
  }
  return { text: data.text, confidence: data.confidence, lines };
}

/** Starts one worker with the English LSTM model; resolves when it is ready to recognize. */
export async function createTesseractWorker(opts: CreateTesseractOptions = {}): Promise<TesseractWorkerLike> {
  const langPath = opts.langPath ?? defaultLangPath();
  const modelFile = join(langPath, 'eng.traineddata.gz');
  // tesseract.js never settles createWorker when the language file fails to load: check it first.
  if (!existsSync(modelFile)) throw new Error(`${modelFile} not found`);
  let failInit: (e: Error) => void = () => {};
  const initFailed = new Promise<never>((_, reject) => {
    failInit = reject;
  });
  initFailed.catch(() => {});
  const worker = await Promise.race([
    Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
      langPath,
      cachePath: opts.cachePath ?? defaultCachePath(),
      cacheMethod: 'none',
      gzip: true,
      workerPath: QUIET_WORKER,
      logger: () => {},
      // Called for every job the worker rejects; during start-up that means the model did not load.
      errorHandler: (e: unknown) => failInit(new Error(String(e))),
    }),
    initFailed,
  ]);
  let psmNow: PageSegMode | null = null;
  // The worker thread itself: tesseract.js does not listen for its 'error'/'exit' events in Node, so a crash would
  // leave a job pending forever (or throw an unhandled 'error'). Listen here and fail pending work at once.
  let deathReason: Error | null = null;
  let onDeath: ((e: Error) => void) | null = null;
  const thread = (worker as unknown as { worker?: import('node:worker_threads').Worker | null }).worker;
  const died = (e: Error) => {
    if (!deathReason) deathReason = e;
    onDeath?.(deathReason);
  };
  thread?.on('error', (e: unknown) => died(e instanceof Error ? e : new Error(String(e))));
  thread?.on('exit', (code: number) => died(new Error(`OCR worker thread exited (code ${code})`)));
  // Starts work only on a live worker (tesseract.js posts to a terminated one with an unhandled rejection) and
  // fails it as soon as the thread dies.
  const whileAlive = <T>(start: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (deathReason) return reject(deathReason);
      onDeath = reject;
      start()
        .then(resolve, reject)
        .finally(() => {
          onDeath = null;
        });
    });
  return {
    async recognize(image: Buffer, psm: PageSegMode): Promise<OcrPage> {
      if (deathReason) throw deathReason;
      if (psm !== psmNow) {
        await whileAlive(() =>
          worker.setParameters({
            tessedit_pageseg_mode: String(psm) as unknown as Tesseract.PSM,
            user_defined_dpi: '300',
          }),
        );
        psmNow = psm;
      }
      const result = await whileAlive(() => worker.recognize(image, {}, { text: true, blocks: true }));
      return toPage(result.data);
    },
    async terminate(): Promise<void> {
      died(new Error('OCR worker was terminated'));
      await worker.terminate();
    },
  };
}
