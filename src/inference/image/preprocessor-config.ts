/**
 * `preprocessor_config.json` of a Hugging Face image model folder, validated with zod and resolved into the
 * plain numbers the preprocessing needs. Keys the file leaves out take the defaults of the transformers class it
 * names (e.g. ConvNext: crop_pct 224/256, resample bilinear), exactly as transformers would.
 */
import { z } from 'zod';
import { MemeguardError } from '../../errors.js';
import { formatZodIssues } from '../../validation.js';

/** PIL resampling filters by their number in preprocessor_config.json (`resample`). */
export const PIL_RESAMPLE = { 0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic' } as const;
export type ResampleName = (typeof PIL_RESAMPLE)[keyof typeof PIL_RESAMPLE];

/** The processor families we implement, by every name transformers writes for them. */
const FAMILY_BY_TYPE: Record<string, 'convnext' | 'vit'> = {
  ConvNextImageProcessor: 'convnext',
  ConvNextImageProcessorFast: 'convnext',
  ConvNextFeatureExtractor: 'convnext',
  ViTImageProcessor: 'vit',
  ViTImageProcessorFast: 'vit',
  ViTFeatureExtractor: 'vit',
};
export const SUPPORTED_PROCESSOR_TYPES: readonly string[] = Object.keys(FAMILY_BY_TYPE);

const positiveInt = z.number().int().positive();
const channelTriple = z.union([z.number(), z.array(z.number()).length(3)]);

export const preprocessorConfigSchema = z.looseObject({
  image_processor_type: z.string().optional(),
  feature_extractor_type: z.string().optional(),
  do_resize: z.boolean().optional(),
  size: z
    .union([positiveInt, z.object({ shortest_edge: positiveInt }), z.object({ height: positiveInt, width: positiveInt })])
    .optional(),
  crop_pct: z.number().gt(0).lte(1, 'crop_pct above 1 would pad the image; not supported').nullable().optional(),
  resample: z
    .number()
    .int()
    .refine((n) => n in PIL_RESAMPLE, 'resample must be 0 (nearest), 1 (lanczos), 2 (bilinear) or 3 (bicubic)')
    .optional(),
  do_rescale: z.boolean().optional(),
  rescale_factor: z.number().positive().optional(),
  do_normalize: z.boolean().optional(),
  image_mean: channelTriple.optional(),
  image_std: z.union([z.number().positive(), z.array(z.number().positive()).length(3)]).optional(),
});
export type PreprocessorConfigJson = z.infer<typeof preprocessorConfigSchema>;

/** What to do to an image, fully resolved: no optional fields, no defaults left to apply. */
export type ResolvedPreprocessing = {
  /** The processor class named by the file, e.g. 'ConvNextFeatureExtractor'. */
  type: string;
  resample: ResampleName;
  /** Multiply each uint8 value by this (1 when do_rescale is false). */
  rescaleFactor: number;
  /** Per-channel mean and std (0 and 1 when do_normalize is false). */
  mean: [number, number, number];
  std: [number, number, number];
} & (
  | {
      /** ConvNext: shortest edge to int(shortestEdge / cropPct), then a centre crop shortestEdge²; or, at 384 and
       * above, a plain resize to shortestEdge². */
      mode: 'convnext';
      shortestEdge: number;
      cropPct: number;
    }
  | { /** ViT: plain resize to height × width. */ mode: 'vit'; height: number; width: number }
);

// transformers' class defaults (ConvNextImageProcessor / ViTImageProcessor __init__), used only for absent keys.
const IMAGENET_STANDARD = 0.5;
const CONVNEXT_DEFAULT_CROP_PCT = 224 / 256;
const DEFAULT_RESAMPLE = 2; // PILImageResampling.BILINEAR, both classes
const DEFAULT_RESCALE = 1 / 255;

function triple(v: number | number[] | undefined, fallback: number): [number, number, number] {
  if (v === undefined) return [fallback, fallback, fallback];
  if (typeof v === 'number') return [v, v, v];
  return [v[0]!, v[1]!, v[2]!];
}

/**
 * Validate a parsed preprocessor_config.json and resolve it. `source` names the file in error messages.
 * Throws MemeguardError MODEL_INVALID for invalid fields, unknown processor types and unusable settings.
 */
export function resolvePreprocessorConfig(json: unknown, source: string): ResolvedPreprocessing {
  const parsed = preprocessorConfigSchema.safeParse(json);
  if (!parsed.success) throw new MemeguardError('MODEL_INVALID', `${source}: ${formatZodIssues(parsed.error)}`);
  const c = parsed.data;
  const type = c.image_processor_type ?? c.feature_extractor_type;
  if (!type) {
    throw new MemeguardError('MODEL_INVALID', `${source} names no image_processor_type or feature_extractor_type`);
  }
  const family = FAMILY_BY_TYPE[type];
  if (!family) {
    throw new MemeguardError(
      'MODEL_INVALID',
      `${source}: image processor ${type} is not supported (supported: ${SUPPORTED_PROCESSOR_TYPES.join(', ')})`,
    );
  }
  if (c.do_resize === false) {
    throw new MemeguardError('MODEL_INVALID', `${source}: do_resize false is not supported (the model needs a fixed input size)`);
  }
  if (c.size === undefined) throw new MemeguardError('MODEL_INVALID', `${source}: size is missing`);
  const doNormalize = c.do_normalize ?? true;
  const common = {
    type,
    resample: PIL_RESAMPLE[(c.resample ?? DEFAULT_RESAMPLE) as keyof typeof PIL_RESAMPLE],
    rescaleFactor: (c.do_rescale ?? true) ? (c.rescale_factor ?? DEFAULT_RESCALE) : 1,
    mean: doNormalize ? triple(c.image_mean, IMAGENET_STANDARD) : ([0, 0, 0] as [number, number, number]),
    std: doNormalize ? triple(c.image_std, IMAGENET_STANDARD) : ([1, 1, 1] as [number, number, number]),
  };
  const size = c.size;
  if (family === 'convnext') {
    // transformers: an int size means {shortest_edge: size} for ConvNext (get_size_dict, default_to_square=False)
    const shortestEdge = typeof size === 'number' ? size : 'shortest_edge' in size ? size.shortest_edge : undefined;
    if (shortestEdge === undefined) {
      throw new MemeguardError('MODEL_INVALID', `${source}: ${type} needs size.shortest_edge`);
    }
    return { ...common, mode: 'convnext', shortestEdge, cropPct: c.crop_pct ?? CONVNEXT_DEFAULT_CROP_PCT };
  }
  // ViT: an int size means a square
  if (typeof size === 'number') return { ...common, mode: 'vit', height: size, width: size };
  if ('height' in size && 'width' in size) return { ...common, mode: 'vit', height: size.height, width: size.width };
  throw new MemeguardError('MODEL_INVALID', `${source}: ${type} needs size.height and size.width`);
}
