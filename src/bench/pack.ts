/**
 * The benchmark's model pack: full-size random-weight models with exactly the real architectures and hub layout,
 * generated once with the project's own generators (src/synth/onnx) and cached.
 *   text/   BERT-base fill-mask export (Xenova/bert-base-uncased's layout): 12 layers, hidden 768, 12 heads,
 *           vocab 30522, with a generated bert-base-shaped WordPiece vocabulary (src/bench/vocab.ts);
 *   image/  ResNet-152 classifier export (Xenova/resnet-152's layout), used as an encoder of its pooled features;
 *   heads.json random logistic heads (768 and 2048 wide), pack.json (encoders, cls pooling, seed-sum).
 * `scale: 'reduced'` writes the same layout with shallow, narrow models (tests check the structure with it).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { encodeTensor, type HeadsFile } from '../inference/heads/format.js';
import { packSchema } from '../inference/pack/schema.js';
import { bertTokenizerJson, vocabTxt } from '../synth/onnx/hf-files.js';
import { generateModelFolder, type ModelFolder } from '../synth/onnx/model-folder.js';
import { normalArray, streamFor } from '../synth/onnx/random.js';
import { BERT_BASE_VOCAB_SIZE, buildBertBaseVocab } from './vocab.js';

export type BenchPackScale = 'full' | 'reduced';

/** Bump when the generated pack changes, so that an old cache is regenerated. */
export const BENCH_PACK_VERSION = 1;
const MARKER = 'bench-pack.json';

const markerSchema = z.object({ version: z.number(), scale: z.enum(['full', 'reduced']), seed: z.number() });

export interface BenchPackOptions {
  scale?: BenchPackScale;
  seed?: number;
  /** Progress lines ("generating ResNet-152 ..."). */
  onProgress?: (line: string) => void;
}

/** Where `memeguard bench` keeps its generated pack (git-ignored). */
export function defaultBenchPackDir(root = process.cwd()): string {
  return path.join(root, '.cache', 'bench', 'pack-full');
}

function logisticHead(dim: number, seed: number, name: string) {
  const rand = streamFor(seed, name);
  return { type: 'logistic' as const, dim, weights: encodeTensor(normalArray(dim, 1 / Math.sqrt(dim), rand), [dim]), bias: 0 };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

/** Whether `dir` holds a complete bench pack of this version and scale. */
export async function benchPackReady(dir: string, scale: BenchPackScale = 'full', seed = 1): Promise<boolean> {
  const file = path.join(dir, MARKER);
  if (!existsSync(file)) return false;
  try {
    const m = markerSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    return m.version === BENCH_PACK_VERSION && m.scale === scale && m.seed === seed;
  } catch {
    return false;
  }
}

/** Generate the pack into `dir` (replacing what is there). Returns the absolute folder. */
export async function generateBenchPack(dir: string, opts: BenchPackOptions = {}): Promise<string> {
  const abs = path.resolve(dir);
  const scale = opts.scale ?? 'full';
  const seed = opts.seed ?? 1;
  const say = opts.onProgress ?? (() => undefined);
  await rm(abs, { recursive: true, force: true });
  await mkdir(abs, { recursive: true });
  const full = scale === 'full';

  let t0 = performance.now();
  say(full ? 'generating BERT-base fill-mask (12 layers, hidden 768, vocab 30522) ...' : 'generating reduced BERT (vocab 30522) ...');
  const text: ModelFolder = await generateModelFolder(path.join(abs, 'text'), {
    model: 'bert',
    task: 'fill-mask',
    preset: 'bert-base',
    overrides: full ? undefined : { numLayers: 1, hiddenSize: 32, numHeads: 2, intermediateSize: 64 },
    seed,
  });
  // The generator's full-size vocabulary is a few hundred words padded with [unusedN]; replace it with one that
  // tokenizes English like bert-base-uncased (same size, same special-token ids, so the model is unchanged).
  const vocab = buildBertBaseVocab(BERT_BASE_VOCAB_SIZE);
  await writeFile(path.join(text.dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(vocab), null, 2) + '\n');
  await writeFile(path.join(text.dir, 'vocab.txt'), vocabTxt(vocab));
  say(`  text model: ${mb(text.onnxBytes)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  t0 = performance.now();
  say(full ? 'generating ResNet-152 (depths 3-8-36-3, 2048-d features, 1000 classes) ...' : 'generating reduced ResNet ...');
  const image = await generateModelFolder(path.join(abs, 'image'), {
    model: 'resnet',
    preset: 'resnet-152',
    overrides: full ? undefined : { embeddingSize: 8, hiddenSizes: [16, 32, 48, 64], depths: [1, 1, 1, 1] },
    seed: seed + 1,
  });
  say(`  image model: ${mb(image.onnxBytes)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const heads: HeadsFile = {
    format: 'memeguard-heads',
    version: 1,
    text: logisticHead(text.hiddenSize, seed, 'bench.heads.text'),
    image: logisticHead(image.hiddenSize, seed, 'bench.heads.image'),
    fusions: [],
  };
  await writeFile(path.join(abs, 'heads.json'), JSON.stringify(heads) + '\n');
  const pack = packSchema.parse({
    name: full ? 'bench-full' : 'bench-reduced',
    description: `memeguard bench: random-weight ${full ? 'BERT-base + ResNet-152' : 'reduced BERT + ResNet'} (seed ${seed}); timing only, scores are meaningless`,
    text: { path: 'text', kind: 'encoder', pooling: 'cls', maxLength: 128 },
    image: { path: 'image', kind: 'encoder' },
    heads: 'heads.json',
    fusion: { rule: 'seed-sum', threshold: 0.5 },
    source: { generator: 'memeguard bench', scale, seed, version: BENCH_PACK_VERSION },
  });
  await writeFile(path.join(abs, 'pack.json'), JSON.stringify(pack, null, 2) + '\n');
  // Written last: a pack interrupted half-way is regenerated next time.
  await writeFile(path.join(abs, MARKER), JSON.stringify({ version: BENCH_PACK_VERSION, scale, seed }) + '\n');
  return abs;
}

/** The cached pack in `dir`, generated first when it is missing, incomplete or of another version. */
export async function ensureBenchPack(dir: string, opts: BenchPackOptions = {}): Promise<{ dir: string; generated: boolean }> {
  const abs = path.resolve(dir);
  if (await benchPackReady(abs, opts.scale ?? 'full', opts.seed ?? 1)) return { dir: abs, generated: false };
  opts.onProgress?.(`no cached benchmark pack in ${abs}: generating it once (random weights, real architectures)`);
  await generateBenchPack(abs, opts);
  return { dir: abs, generated: true };
}
