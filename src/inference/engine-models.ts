/**
 * What the Engine needs from the model runners, as small interfaces, and the adapter that loads the pack's
 * folders with the runners of src/inference/models/ and the preprocessing of src/inference/image/.
 */
import type { LoadedImage } from './image/load.js';
import type { DeviceName } from './types.js';

export interface TextBatchOutput {
  /** Token ids of each text, without padding. */
  inputIds: number[][];
  /** Pooled embeddings (encoder kinds). */
  embeddings?: Float32Array[];
  /** p(hateful) per text (classifier kinds). */
  scores?: number[];
}

export interface TextRunner {
  readonly kind: 'encoder' | 'classifier';
  readonly hiddenSize?: number;
  readonly pooling?: 'cls' | 'mean';
  encode(texts: string[]): Promise<TextBatchOutput>;
}

export interface ImageBatchOutput {
  embeddings?: Float32Array[];
  scores?: number[];
}

export interface ImageRunner {
  readonly kind: 'encoder' | 'classifier';
  readonly hiddenSize?: number;
  run(pixels: Float32Array[]): Promise<ImageBatchOutput>;
}

export interface ImagePreprocessor {
  run(img: LoadedImage): Promise<Float32Array>;
}

export interface LoadedModels {
  text?: TextRunner;
  image?: { runner: ImageRunner; preprocess: ImagePreprocessor };
  device: DeviceName;
}
