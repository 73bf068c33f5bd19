/**
 * generateModelFolder(dir, spec): a Hugging Face model folder exactly as on the hub (config.json, tokenizer files
 * or preprocessor_config.json, onnx/model.onnx) with deterministic random weights. Tiny presets for tests,
 * full-size 'bert-base' (≈440 MB) and 'resnet-152' (≈240 MB) for benchmarks; the ONNX file is streamed to disk.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildBertGraph, type BertSpec, type BertTask } from './bert.js';
import {
  bertConfigJson,
  bertTokenizerConfigJson,
  bertTokenizerJson,
  resnetConfigJson,
  resnetPreprocessorConfigJson,
  specialTokensMapJson,
  vocabTxt,
} from './hf-files.js';
import { buildResNetGraph, type ResNetSpec } from './resnet.js';
import { buildVocab } from './vocab.js';

/** Xenova/toxic-bert's labels. */
export const TOXIC_BERT_LABELS = ['toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate'];

type BertShape = Omit<BertSpec, 'task' | 'seed' | 'numLabels'>;

export const BERT_PRESETS: Record<'tiny' | 'bert-base', BertShape> = {
  tiny: {
    vocabSize: buildVocab().length,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 64,
    maxPositions: 512,
    typeVocabSize: 2,
    initStd: 0.2,
  },
  'bert-base': {
    vocabSize: 30522,
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 3072,
    maxPositions: 512,
    typeVocabSize: 2,
    initStd: 0.02,
  },
};

type ResNetShape = Omit<ResNetSpec, 'seed' | 'numLabels'>;

export const RESNET_PRESETS: Record<'tiny' | 'resnet-152', ResNetShape> = {
  tiny: { embeddingSize: 8, hiddenSizes: [16, 32], depths: [1, 1] },
  'resnet-152': { embeddingSize: 64, hiddenSizes: [256, 512, 1024, 2048], depths: [3, 8, 36, 3] },
};

export interface BertFolderSpec {
  model: 'bert';
  task: BertTask;
  preset?: keyof typeof BERT_PRESETS;
  /** Changes to the preset (e.g. { numLayers: 1 } or { layerNorm: 'fused' }). */
  overrides?: Partial<BertShape>;
  /** Classifier labels (default: toxic-bert's six). */
  labels?: string[];
  problemType?: 'multi_label_classification' | 'single_label_classification';
  /** Also write onnx/model_quantized.onnx (dynamic int8, as the hub's quantised exports). */
  quantized?: boolean;
  /** tokenizer_config.json model_max_length (default 512). */
  modelMaxLength?: number;
  seed?: number;
}

export interface ResNetFolderSpec {
  model: 'resnet';
  preset?: keyof typeof RESNET_PRESETS;
  overrides?: Partial<ResNetShape>;
  /** Class names (default: 1000 generated ImageNet-like names, see imagenetLikeLabels). */
  labels?: string[];
  seed?: number;
}

export type ModelFolderSpec = BertFolderSpec | ResNetFolderSpec;

export interface ModelFolder {
  dir: string;
  onnxPath: string;
  onnxBytes: number;
  /** Hidden size of the text model (H) or the feature width in front of the image classifier (F). */
  hiddenSize: number;
  labels?: string[];
}

const NOUNS = ['tench', 'goldfish', 'shark', 'hen', 'ostrich', 'finch', 'owl', 'newt', 'frog', 'turtle', 'lizard', 'snake'];

/** n class names: readable, unique, stable (e.g. "tench", "goldfish", ..., "class_0012"). */
export function imagenetLikeLabels(n = 1000): string[] {
  return Array.from({ length: n }, (_, i) => (i < NOUNS.length ? NOUNS[i] : `class_${String(i).padStart(4, '0')}`));
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, JSON.stringify(value, null, 2) + '\n');
}

export async function generateModelFolder(dir: string, spec: ModelFolderSpec): Promise<ModelFolder> {
  const abs = path.resolve(dir);
  await mkdir(path.join(abs, 'onnx'), { recursive: true });
  const onnxPath = path.join(abs, 'onnx', 'model.onnx');
  if (spec.model === 'bert') {
    const shape = { ...BERT_PRESETS[spec.preset ?? 'tiny'], ...spec.overrides };
    const vocab = buildVocab(shape.vocabSize);
    if (vocab.length !== shape.vocabSize) throw new Error(`vocabulary has ${vocab.length} tokens, spec says ${shape.vocabSize}`);
    const labels = spec.task === 'classifier' ? (spec.labels ?? TOXIC_BERT_LABELS) : undefined;
    const architecture =
      spec.task === 'feature-extraction' ? 'BertModel' : spec.task === 'fill-mask' ? 'BertForMaskedLM' : 'BertForSequenceClassification';
    await writeJson(
      path.join(abs, 'config.json'),
      bertConfigJson({
        architecture,
        vocabSize: shape.vocabSize,
        hiddenSize: shape.hiddenSize,
        numLayers: shape.numLayers,
        numHeads: shape.numHeads,
        intermediateSize: shape.intermediateSize,
        maxPositions: shape.maxPositions,
        typeVocabSize: shape.typeVocabSize ?? 2,
        layerNormEps: shape.layerNormEps ?? 1e-12,
        initializerRange: shape.initStd ?? 0.02,
        labels,
        problemType: labels ? (spec.problemType ?? 'multi_label_classification') : undefined,
      }),
    );
    await writeJson(path.join(abs, 'tokenizer.json'), bertTokenizerJson(vocab));
    await writeJson(path.join(abs, 'tokenizer_config.json'), bertTokenizerConfigJson(spec.modelMaxLength ?? 512));
    await writeJson(path.join(abs, 'special_tokens_map.json'), specialTokensMapJson());
    await writeFile(path.join(abs, 'vocab.txt'), vocabTxt(vocab));
    const bertSpec = { ...shape, task: spec.task, numLabels: labels?.length, seed: spec.seed ?? 1 };
    const onnxBytes = await buildBertGraph(bertSpec).writeFile(onnxPath);
    if (spec.quantized) {
      await buildBertGraph({ ...bertSpec, quantize: true }).writeFile(path.join(abs, 'onnx', 'model_quantized.onnx'));
    }
    return { dir: abs, onnxPath, onnxBytes, hiddenSize: shape.hiddenSize, labels };
  }
  const shape = { ...RESNET_PRESETS[spec.preset ?? 'tiny'], ...spec.overrides };
  const labels = spec.labels ?? imagenetLikeLabels(1000);
  await writeJson(
    path.join(abs, 'config.json'),
    resnetConfigJson({ embeddingSize: shape.embeddingSize, hiddenSizes: shape.hiddenSizes, depths: shape.depths, labels }),
  );
  await writeJson(path.join(abs, 'preprocessor_config.json'), resnetPreprocessorConfigJson());
  const graph = buildResNetGraph({ ...shape, numLabels: labels.length, seed: spec.seed ?? 1 });
  const onnxBytes = await graph.writeFile(onnxPath);
  return { dir: abs, onnxPath, onnxBytes, hiddenSize: shape.hiddenSizes[shape.hiddenSizes.length - 1], labels };
}
