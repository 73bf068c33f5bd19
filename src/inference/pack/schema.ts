import { z } from 'zod';

/**
 * pack.json — what is in a model pack (see DESIGN.md, "The model pack").
 * Unknown keys are refused so that a typo is an error that names the field.
 */

const modelFile = z
  .string()
  .min(1)
  .describe('ONNX file inside the model folder, e.g. onnx/model.onnx or onnx/model_quantized.onnx');

const encoderText = z
  .object({
    path: z.string().min(1),
    kind: z.literal('encoder'),
    pooling: z.enum(['cls', 'mean']).default('cls'),
    onnx: modelFile.default('onnx/model.onnx'),
    maxLength: z.number().int().min(2).max(4096).default(128),
  })
  .strict();

const classifierFields = {
  path: z.string().min(1),
  kind: z.literal('classifier'),
  onnx: modelFile.default('onnx/model.onnx'),
  /** Label names (from the folder's config.json id2label) whose probability is "hateful". */
  hatefulLabels: z.array(z.string().min(1)).min(1),
  /** multi_label: sigmoid per label; single_label: softmax over labels. */
  problemType: z.enum(['multi_label', 'single_label']),
  /** How several hateful labels become one score: the largest, or the sum (single_label only makes sense with sum). */
  combine: z.enum(['max', 'sum']).default('max'),
};

const classifierText = z
  .object({ ...classifierFields, maxLength: z.number().int().min(2).max(4096).default(128) })
  .strict();

const encoderImage = z
  .object({
    path: z.string().min(1),
    kind: z.literal('encoder'),
    onnx: modelFile.default('onnx/model.onnx'),
  })
  .strict();

const classifierImage = z.object(classifierFields).strict();

export const textModelSchema = z.discriminatedUnion('kind', [encoderText, classifierText]);
export const imageModelSchema = z.discriminatedUnion('kind', [encoderImage, classifierImage]);

/** Names of the built-in fusion rules. Learned fusions are named by their entry in the heads file. */
export const BUILTIN_FUSIONS = ['seed-sum', 'weighted-mean'] as const;

export const fusionSchema = z
  .object({
    /** 'seed-sum' (the seed's rule), 'weighted-mean', or the name of a learned fusion in the heads file. */
    rule: z.string().min(1).default('seed-sum'),
    threshold: z.number().min(0).max(1).default(0.5),
    /** Weights of 'weighted-mean' (normalised to sum 1). */
    weights: z.object({ text: z.number().min(0), image: z.number().min(0) }).strict().optional(),
  })
  .strict();

export const packSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    text: textModelSchema.optional(),
    image: imageModelSchema.optional(),
    heads: z.string().min(1).optional(),
    fusion: fusionSchema.default({ rule: 'seed-sum', threshold: 0.5 }),
    /** Free-form provenance written by `models pull` (recipe, repos, revisions, variant). */
    source: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((p) => p.text !== undefined || p.image !== undefined, {
    message: 'a pack needs at least one of "text" or "image"',
  });

export type PackJson = z.infer<typeof packSchema>;
export type TextModelConfig = z.infer<typeof textModelSchema>;
export type ImageModelConfig = z.infer<typeof imageModelSchema>;
export type FusionConfig = z.infer<typeof fusionSchema>;
