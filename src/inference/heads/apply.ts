import { decodeTensor, type FusionHead, type HeadsFile, type LogisticHead, type MlpFusion } from './format.js';

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function standardiser(dim: number, mean?: Float32Array, std?: Float32Array) {
  if (mean && mean.length !== dim) throw new Error(`mean has ${mean.length} values for dim ${dim}`);
  if (std && std.length !== dim) throw new Error(`std has ${std.length} values for dim ${dim}`);
  return (x: ArrayLike<number>, i: number): number => {
    const m = mean ? mean[i] : 0;
    const s = std ? std[i] || 1 : 1;
    return (x[i] - m) / s;
  };
}

/** A logistic head, decoded once: p(hateful | embedding). */
export class LogisticScorer {
  private readonly w: Float32Array;
  private readonly std: (x: ArrayLike<number>, i: number) => number;
  constructor(private readonly head: LogisticHead) {
    this.w = decodeTensor(head.weights);
    if (this.w.length !== head.dim) throw new Error(`logistic head: ${this.w.length} weights for dim ${head.dim}`);
    this.std = standardiser(head.dim, head.mean && decodeTensor(head.mean), head.std && decodeTensor(head.std));
  }
  get dim(): number {
    return this.head.dim;
  }
  logit(x: ArrayLike<number>): number {
    if (x.length !== this.head.dim) {
      throw new Error(`embedding has ${x.length} values, the head expects ${this.head.dim}`);
    }
    let z = this.head.bias;
    for (let i = 0; i < this.w.length; i++) z += this.w[i] * this.std(x, i);
    return z;
  }
  score(x: ArrayLike<number>): number {
    return sigmoid(this.logit(x));
  }
}

/** An MLP on [text embedding, image embedding], decoded once. */
export class MlpScorer {
  private readonly layers: { w: Float32Array; b: Float32Array; inDim: number; outDim: number; relu: boolean }[];
  private readonly std: (x: ArrayLike<number>, i: number) => number;
  constructor(readonly head: MlpFusion) {
    this.std = standardiser(
      head.textDim + head.imageDim,
      head.mean && decodeTensor(head.mean),
      head.std && decodeTensor(head.std),
    );
    let inDim = head.textDim + head.imageDim;
    this.layers = head.layers.map((l, k) => {
      const [rows, cols] = l.weights.shape;
      if (rows !== inDim) throw new Error(`mlp layer ${k}: expects input ${rows}, previous layer gives ${inDim}`);
      const outDim = cols ?? 1;
      inDim = outDim;
      const b = decodeTensor(l.bias);
      if (b.length !== outDim) throw new Error(`mlp layer ${k}: ${b.length} biases for width ${outDim}`);
      return { w: decodeTensor(l.weights), b, inDim: rows, outDim, relu: l.activation === 'relu' };
    });
    if (inDim !== 1) throw new Error(`mlp: the last layer must have width 1, has ${inDim}`);
  }
  score(text: ArrayLike<number>, image: ArrayLike<number>): number {
    if (text.length !== this.head.textDim || image.length !== this.head.imageDim) {
      throw new Error(
        `mlp expects embeddings of ${this.head.textDim} + ${this.head.imageDim} values, got ${text.length} + ${image.length}`,
      );
    }
    const concat = new Float32Array(text.length + image.length);
    concat.set(text as ArrayLike<number>, 0);
    concat.set(image as ArrayLike<number>, text.length);
    let x: Float32Array = concat.map((_, i) => this.std(concat, i));
    for (const l of this.layers) {
      const y = new Float32Array(l.outDim);
      for (let j = 0; j < l.outDim; j++) {
        let z = l.b[j];
        for (let i = 0; i < l.inDim; i++) z += x[i] * l.w[i * l.outDim + j];
        y[j] = l.relu && z < 0 ? 0 : z;
      }
      x = y;
    }
    return sigmoid(x[0]);
  }
}

export interface FusionInputs {
  pText: number;
  pImage: number;
  textEmbedding?: ArrayLike<number>;
  imageEmbedding?: ArrayLike<number>;
}

/** A learned fusion as a function of both modalities (null when it lacks an input it needs). */
export function fusionScorer(head: FusionHead): (x: FusionInputs) => number | null {
  if (head.type === 'stacking') {
    const [wt, wi] = head.weights;
    return ({ pText, pImage }) => sigmoid(head.bias + wt * pText + wi * pImage);
  }
  const mlp = new MlpScorer(head);
  return ({ textEmbedding, imageEmbedding }) =>
    textEmbedding && imageEmbedding ? mlp.score(textEmbedding, imageEmbedding) : null;
}

/** Everything in a heads file, decoded once. */
export class Heads {
  readonly text?: LogisticScorer;
  readonly image?: LogisticScorer;
  readonly fusions: Map<string, (x: FusionInputs) => number | null>;
  constructor(readonly file: HeadsFile) {
    this.text = file.text && new LogisticScorer(file.text);
    this.image = file.image && new LogisticScorer(file.image);
    this.fusions = new Map(file.fusions.map((f) => [f.name, fusionScorer(f)]));
  }
}
