/**
 * Raw ONNX Runtime sessions for the benchmark's baseline: the same model bytes the runners load (with the same
 * graph surgery exposing the hidden state / pooled features) and the same session options, run with
 * `session.run` directly on prepared tensors — no tokenizer, no batching, no copies. Our runners' time divided
 * by this is the overhead of our code.
 */
import path from 'node:path';
import { indexModel } from '../inference/onnx/graph-index.js';
import { exposeImageFeatures, exposeTextHidden } from '../inference/onnx/expose.js';
import { createModelSession, ort, type ModelSession, type SessionSettings } from '../inference/onnx/session.js';
import { readModelBytes, readModelConfig } from '../inference/models/folder.js';
import type { PackLocation } from '../inference/pack/load.js';
import type { TokenizedBatch } from '../inference/models/tokenizer.js';

export interface RawModel {
  session: ModelSession;
  /** The output the runner reads. */
  output: string;
  release(): Promise<void>;
}

async function open(file: string, bytes: Uint8Array, output: string, settings: SessionSettings): Promise<RawModel> {
  const session = await createModelSession(bytes, file, settings);
  return { session, output, release: () => session.session.release() };
}

/** The text model of the pack as a raw session over its hidden state (or logits for a classifier). */
export async function openRawText(pack: PackLocation, settings: SessionSettings): Promise<RawModel | null> {
  const cfg = pack.json.text;
  if (!cfg) return null;
  const dir = path.resolve(pack.dir, cfg.path);
  const file = path.join(dir, cfg.onnx);
  const bytes = await readModelBytes(file);
  if (cfg.kind === 'classifier') return open(file, bytes, 'logits', settings);
  const { config } = await readModelConfig(dir);
  if (indexModel(bytes).outputs.includes('last_hidden_state')) return open(file, bytes, 'last_hidden_state', settings);
  const exposed = exposeTextHidden(bytes, { hiddenSize: config.hidden_size!, vocabSize: config.vocab_size, file });
  return open(file, exposed.bytes, exposed.tensor, settings);
}

/** The image model of the pack as a raw session over its pooled features (or logits for a classifier). */
export async function openRawImage(pack: PackLocation, settings: SessionSettings): Promise<RawModel | null> {
  const cfg = pack.json.image;
  if (!cfg) return null;
  const file = path.join(path.resolve(pack.dir, cfg.path), cfg.onnx);
  const bytes = await readModelBytes(file);
  const exposed = exposeImageFeatures(bytes, { file });
  return open(file, exposed.bytes, cfg.kind === 'classifier' ? 'logits' : exposed.tensor, settings);
}

export function textFeeds(model: RawModel, t: TokenizedBatch): Record<string, ort.Tensor> {
  const dims = [t.batch, t.sequence];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', t.inputIds, dims),
    attention_mask: new ort.Tensor('int64', t.attentionMask, dims),
  };
  if (model.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', t.tokenTypeIds, dims);
  return feeds;
}

export function imageFeeds(pixels: Float32Array, height: number, width: number): Record<string, ort.Tensor> {
  return { pixel_values: new ort.Tensor('float32', pixels, [1, 3, height, width]) };
}

/** One session.run, nothing else. */
export async function runRaw(model: RawModel, feeds: Record<string, ort.Tensor>): Promise<void> {
  await model.session.session.run(feeds, [model.output]);
}
