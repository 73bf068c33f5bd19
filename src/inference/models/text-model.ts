/**
 * The text model of a pack: tokenizer + ONNX session, for both pack kinds.
 *   - encoder: a feature-extraction export (`last_hidden_state`) or a fill-mask export whose hidden state is
 *     exposed by graph surgery; pooled by the [CLS] position or the attention-masked mean.
 *   - classifier: `logits` [batch, labels] with labels from config.json id2label; multi_label → sigmoid,
 *     single_label → softmax; p(hateful) from the pack's hatefulLabels combined by max or sum.
 */
import type { TextModelConfig } from '../pack/schema.js';
import { MemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import { exposeTextHidden } from '../onnx/expose.js';
import { pruneToOutputs } from '../onnx/prune.js';
import { indexModel } from '../onnx/graph-index.js';
import { createModelSession, ort, runSession, sharedSession, type ModelSession, type SessionSettings } from '../onnx/session.js';
import type { DeviceName } from '../types.js';
import { labelsOf, modelFolder, readModelBytes, readModelConfig, requireFile } from './folder.js';
import { poolHidden, type Pooling } from './pooling.js';
import { hatefulIndices, hatefulScore, type Combine, type ProblemType } from './scoring.js';
import { TextTokenizer } from './tokenizer.js';

export interface TextEncoding {
  /** Each text's token ids (with [CLS]/[SEP], truncated, without padding). */
  inputIds: number[][];
  /** Pooled embeddings (encoder kind). */
  embeddings?: Float32Array[];
  /** p(hateful) per text (classifier kind). */
  scores?: number[];
  /** Raw logits per text (classifier kind). */
  logits?: Float32Array[];
}

export interface TextModel {
  readonly kind: 'encoder' | 'classifier';
  /** Width of the embeddings (encoder) or of the model's hidden state (classifier). */
  readonly hiddenSize: number;
  readonly pooling?: Pooling;
  /** Classifier labels in id order. */
  readonly labels?: string[];
  readonly device: DeviceName;
  readonly dir: string;
  readonly tokenizer: TextTokenizer;
  encode(texts: string[]): Promise<TextEncoding>;
}

interface Prepared {
  session: ModelSession;
  /** The output the runner reads: the hidden state (encoder) or logits (classifier). */
  output: string;
}

async function prepareSession(
  file: string,
  kind: 'encoder' | 'classifier',
  hiddenSize: number,
  vocabSize: number | undefined,
  settings?: SessionSettings,
): Promise<Prepared> {
  const session = await sharedSession(`text:${kind}:${file}`, async () => {
    const bytes = await readModelBytes(file);
    if (kind === 'encoder') {
      let outputs: string[];
      try {
        outputs = indexModel(bytes).outputs;
      } catch (e) {
        throw new MemeguardError('MODEL_INVALID', `${file} is not a readable ONNX model: ${(e as Error).message}`, {
          hint: 'run `memeguard models pull` to fetch the pack again',
          cause: e,
        });
      }
      if (!outputs.includes('last_hidden_state')) {
        const exposed = exposeTextHidden(bytes, { hiddenSize, vocabSize, file, inPlace: true });
        // Only the hidden state is read: drop the MLM head so ONNX Runtime does not compute it on every call.
        const pruned = pruneToOutputs(exposed.bytes, [exposed.tensor], { inPlace: true });
        const created = await createModelSession(pruned.bytes, file, settings);
        return { ...created, exposed: { tensor: exposed.tensor, width: exposed.width } };
      }
    }
    return createModelSession(bytes, file, settings);
  });
  const names = session.outputNames;
  if (kind === 'classifier') {
    if (!names.includes('logits')) throw new MemeguardError('MODEL_INVALID', `${file} has no "logits" output: not a sequence classifier`);
    return { session, output: 'logits' };
  }
  if (names.includes('last_hidden_state')) return { session, output: 'last_hidden_state' };
  if (!session.exposed) throw new MemeguardError('MODEL_INVALID', `${file}: the hidden state could not be exposed`);
  return { session, output: session.exposed.tensor };
}

/** Load the pack's text model (`packDir` is the pack folder; `cfg` its pack.json "text" entry). */
export async function loadTextModel(packDir: string, cfg: TextModelConfig, settings?: SessionSettings): Promise<TextModel> {
  const dir = await modelFolder(packDir, cfg.path, 'text');
  const { file: configFile, config } = await readModelConfig(dir);
  const onnxFile = await requireFile(dir, cfg.onnx, 'the text model');
  const hiddenSize = config.hidden_size ?? config.dim ?? 0;
  if (cfg.kind === 'encoder' && hiddenSize === 0) {
    throw new MemeguardError('MODEL_INVALID', `${configFile} has no hidden_size: an encoder needs the width of its hidden state`, {
      hint: 'run `memeguard models pull` to fetch the pack again',
    });
  }
  const started = performance.now();
  const tokenizer = await TextTokenizer.load(dir, cfg.maxLength);
  const { session, output } = await prepareSession(onnxFile, cfg.kind, hiddenSize, config.vocab_size, settings);
  const wants = new Set(session.inputNames);
  for (const need of ['input_ids', 'attention_mask']) {
    if (!wants.has(need)) throw new MemeguardError('MODEL_INVALID', `${onnxFile} has no "${need}" input: not a BERT-style text model`);
  }

  async function run(texts: string[]) {
    const t = tokenizer.batch(texts);
    const dims = [t.batch, t.sequence];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', t.inputIds, dims),
      attention_mask: new ort.Tensor('int64', t.attentionMask, dims),
    };
    if (wants.has('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', t.tokenTypeIds, dims);
    const result = await runSession(session, feeds, [output]);
    return { t, out: result[output] };
  }

  logger.info('text model loaded', {
    dir,
    onnx: cfg.onnx,
    kind: cfg.kind,
    hiddenSize,
    output,
    device: session.device,
    ms: Math.round(performance.now() - started),
  });

  if (cfg.kind === 'encoder') {
    const pooling = cfg.pooling;
    return {
      kind: 'encoder',
      hiddenSize,
      pooling,
      device: session.device,
      dir,
      tokenizer,
      async encode(texts) {
        if (texts.length === 0) return { inputIds: [], embeddings: [] };
        const { t, out } = await run(texts);
        if (out.dims.length !== 3 || out.dims[2] !== hiddenSize) {
          throw new MemeguardError('MODEL_INVALID', `${onnxFile}: hidden state has shape [${out.dims}], expected [batch, sequence, ${hiddenSize}]`);
        }
        return { inputIds: t.ids, embeddings: poolHidden(out.data as Float32Array, out.dims, t.attentionMask, pooling) };
      },
    };
  }

  const labels = labelsOf(config, configFile);
  const indices = hatefulIndices(labels, cfg.hatefulLabels, 'text');
  const problem: ProblemType = cfg.problemType;
  const combine: Combine = cfg.combine;
  return {
    kind: 'classifier',
    hiddenSize,
    labels,
    device: session.device,
    dir,
    tokenizer,
    async encode(texts) {
      if (texts.length === 0) return { inputIds: [], scores: [], logits: [] };
      const { t, out } = await run(texts);
      const L = labels.length;
      if (out.dims.length !== 2 || out.dims[1] !== L) {
        throw new MemeguardError('MODEL_INVALID', `${onnxFile}: logits have shape [${out.dims}], config.json has ${L} labels`);
      }
      const data = out.data as Float32Array;
      const logits = t.ids.map((_, b) => data.slice(b * L, (b + 1) * L));
      return { inputIds: t.ids, logits, scores: logits.map((l) => hatefulScore(l, problem, indices, combine)) };
    },
  };
}

