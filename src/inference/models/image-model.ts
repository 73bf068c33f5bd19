/**
 * The image model of a pack: its preprocessor (src/inference/image/preprocess.ts, from the folder's own
 * preprocessor_config.json) and an ONNX session over `pixel_values` [batch, 3, H, W].
 *   - encoder: the pooled features in front of the classifier (2048-d for ResNet-152), exposed by graph surgery;
 *   - classifier: `logits` with labels from config.json id2label, reduced to p(hateful) by the pack's hatefulLabels.
 */
import { MemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import { loadPreprocessor, type Preprocessor } from '../image/preprocess.js';
import type { ImageModelConfig } from '../pack/schema.js';
import { exposeImageFeatures } from '../onnx/expose.js';
import { pruneToOutputs } from '../onnx/prune.js';
import { createModelSession, ort, runSession, sharedSession, type SessionSettings } from '../onnx/session.js';
import type { DeviceName } from '../types.js';
import { labelsOf, modelFolder, readModelBytes, readModelConfig, requireFile } from './folder.js';
import { hatefulIndices, hatefulScore } from './scoring.js';

export interface ImageOutput {
  /** Feature vectors (encoder kind). */
  embeddings?: Float32Array[];
  /** p(hateful) per image (classifier kind). */
  scores?: number[];
  /** Raw logits per image (classifier kind). */
  logits?: Float32Array[];
}

export interface ImageModel {
  readonly kind: 'encoder' | 'classifier';
  /** Width of the features in front of the classifier (F). */
  readonly hiddenSize: number;
  readonly labels?: string[];
  readonly device: DeviceName;
  readonly dir: string;
  /** Turns a decoded image into the Float32Array(3*H*W) that run() takes. */
  readonly preprocessor: Preprocessor;
  /** One output per preprocessed image tensor, in order. */
  run(pixels: Float32Array[]): Promise<ImageOutput>;
}

export async function loadImageModel(packDir: string, cfg: ImageModelConfig, settings?: SessionSettings): Promise<ImageModel> {
  const dir = await modelFolder(packDir, cfg.path, 'image');
  const { file: configFile, config } = await readModelConfig(dir);
  await requireFile(dir, 'preprocessor_config.json', 'the image preprocessor config');
  const onnxFile = await requireFile(dir, cfg.onnx, 'the image model');
  const preprocessor = await loadPreprocessor(dir);
  const { height, width } = preprocessor.size;
  const configured = config.hidden_sizes?.[config.hidden_sizes.length - 1] ?? config.hidden_size;

  const session = await sharedSession(`image:${cfg.kind}:${onnxFile}`, async () => {
    const exposed = exposeImageFeatures(await readModelBytes(onnxFile), { file: onnxFile, featureSize: configured, inPlace: true });
    // An encoder reads only the features: drop the classifier layer after them (a classifier keeps its logits).
    const model = cfg.kind === 'encoder' ? pruneToOutputs(exposed.bytes, [exposed.tensor], { inPlace: true }).bytes : exposed.bytes;
    const created = await createModelSession(model, onnxFile, settings);
    return { ...created, exposed: { tensor: exposed.tensor, width: exposed.width } };
  });
  const { tensor: featureTensor, width: featureWidth } = session.exposed!;
  if (!session.inputNames.includes('pixel_values')) {
    throw new MemeguardError('MODEL_INVALID', `${onnxFile} has no "pixel_values" input: not an image model`);
  }
  const hasLogits = session.outputNames.includes('logits');
  const labels = cfg.kind === 'classifier' ? labelsOf(config, configFile) : undefined;
  const indices = cfg.kind === 'classifier' ? hatefulIndices(labels!, cfg.hatefulLabels, 'image') : [];
  if (cfg.kind === 'classifier' && !hasLogits) {
    throw new MemeguardError('MODEL_INVALID', `${onnxFile} has no "logits" output: not an image classifier`);
  }
  const per = 3 * height * width;
  logger.info('image model loaded', { dir, onnx: cfg.onnx, kind: cfg.kind, features: featureTensor, width: featureWidth, device: session.device });

  return {
    kind: cfg.kind,
    hiddenSize: featureWidth,
    labels,
    device: session.device,
    dir,
    preprocessor,
    async run(pixels) {
      if (pixels.length === 0) return cfg.kind === 'encoder' ? { embeddings: [] } : { scores: [], logits: [] };
      const batch = new Float32Array(pixels.length * per);
      pixels.forEach((p, i) => {
        if (p.length !== per) {
          throw new MemeguardError('BAD_INPUT', `image tensor ${i} has ${p.length} values, the model takes 3×${height}×${width} = ${per}`);
        }
        batch.set(p, i * per);
      });
      const feeds = { pixel_values: new ort.Tensor('float32', batch, [pixels.length, 3, height, width]) };
      if (cfg.kind === 'encoder') {
        const out = (await runSession(session, feeds, [featureTensor]))[featureTensor];
        const data = out.data as Float32Array;
        const F = data.length / pixels.length;
        if (F !== featureWidth) throw new MemeguardError('MODEL_INVALID', `${onnxFile}: features have shape [${out.dims}], expected width ${featureWidth}`);
        return { embeddings: pixels.map((_, i) => data.slice(i * F, (i + 1) * F)) };
      }
      const out = (await runSession(session, feeds, ['logits'])).logits;
      const L = labels!.length;
      if (out.dims.length !== 2 || out.dims[1] !== L) {
        throw new MemeguardError('MODEL_INVALID', `${onnxFile}: logits have shape [${out.dims}], config.json has ${L} labels`);
      }
      const data = out.data as Float32Array;
      const logits = pixels.map((_, i) => data.slice(i * L, (i + 1) * L));
      return { logits, scores: logits.map((l) => hatefulScore(l, cfg.problemType, indices, cfg.combine)) };
    },
  };
}
