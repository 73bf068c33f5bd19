import { z } from 'zod';

/**
 * The heads file (pack.json "heads", usually heads.json): small trained classifiers on frozen embeddings.
 *
 * Arrays of numbers are stored as `{ "dtype": "float32", "shape": [...], "data": "<base64 little-endian>" }`
 * so that a 2816×64 MLP layer stays a few hundred kB. `memeguard train` writes this file; the engine reads it.
 *
 * - `text` / `image`: a logistic head on that modality's pooled embedding -> p(hateful).
 * - `fusions`: learned fusion rules, each with a unique name used by pack.json `fusion.rule`, `evaluate` rows
 *   and `--predictions`:
 *     - `stacking`: logistic regression on [p_text, p_image];
 *     - `mlp`: a small MLP on the standardised concatenation [text embedding, image embedding].
 */

export const tensorSchema = z
  .object({
    dtype: z.literal('float32'),
    shape: z.array(z.number().int().min(1)).min(1).max(2),
    data: z.string(),
  })
  .strict();
export type TensorJson = z.infer<typeof tensorSchema>;

export const logisticHeadSchema = z
  .object({
    type: z.literal('logistic'),
    dim: z.number().int().min(1),
    /** Standardisation applied before the dot product: (x - mean) / std. */
    mean: tensorSchema.optional(),
    std: tensorSchema.optional(),
    weights: tensorSchema,
    bias: z.number(),
  })
  .strict();

export const stackingFusionSchema = z
  .object({
    name: z.string().min(1),
    type: z.literal('stacking'),
    /** Logistic regression on the two probabilities (text first, then image). */
    weights: z.tuple([z.number(), z.number()]),
    bias: z.number(),
  })
  .strict();

export const mlpLayerSchema = z
  .object({
    /** [in, out] row-major. */
    weights: tensorSchema,
    bias: tensorSchema,
    activation: z.enum(['relu', 'none']),
  })
  .strict();

export const mlpFusionSchema = z
  .object({
    name: z.string().min(1),
    type: z.literal('mlp'),
    input: z.literal('concat'),
    textDim: z.number().int().min(1),
    imageDim: z.number().int().min(1),
    mean: tensorSchema.optional(),
    std: tensorSchema.optional(),
    /** Hidden layers then the output layer of width 1 (a logit). */
    layers: z.array(mlpLayerSchema).min(1),
  })
  .strict();

export const fusionHeadSchema = z.discriminatedUnion('type', [stackingFusionSchema, mlpFusionSchema]);

export const headsFileSchema = z
  .object({
    format: z.literal('memeguard-heads'),
    version: z.literal(1),
    text: logisticHeadSchema.optional(),
    image: logisticHeadSchema.optional(),
    fusions: z.array(fusionHeadSchema).default([]),
    /** Record of how the heads were trained: data, split, sizes, settings, metrics, time. */
    training: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type LogisticHead = z.infer<typeof logisticHeadSchema>;
export type StackingFusion = z.infer<typeof stackingFusionSchema>;
export type MlpFusion = z.infer<typeof mlpFusionSchema>;
export type FusionHead = z.infer<typeof fusionHeadSchema>;
export type HeadsFile = z.infer<typeof headsFileSchema>;

export function encodeTensor(values: ArrayLike<number>, shape: number[]): TensorJson {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== values.length) throw new Error(`tensor of shape [${shape}] needs ${n} values, got ${values.length}`);
  const f32 = Float32Array.from(values);
  return { dtype: 'float32', shape, data: Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64') };
}

export function decodeTensor(t: TensorJson): Float32Array {
  const buf = Buffer.from(t.data, 'base64');
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (buf.byteLength !== n * 4) {
    throw new Error(`tensor of shape [${t.shape}] needs ${n * 4} bytes, got ${buf.byteLength}`);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
