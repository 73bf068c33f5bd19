/**
 * Where an image goes through the preprocessing: the size it is resized to and the box cut from it.
 * Pure arithmetic, written to match transformers' integer rounding exactly.
 */
import type { ResolvedPreprocessing } from './preprocessor-config.js';

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ResizePlan {
  /** The size the whole image is resized to. */
  resizeWidth: number;
  resizeHeight: number;
  /** The box cut from the resized image (the whole of it when there is no crop). */
  crop: Box;
}

/**
 * transformers' get_resize_output_image_size(default_to_square=False): the shortest edge becomes `shortEdge`,
 * the long edge int(shortEdge * long / short) (floor), keeping the aspect ratio. Returns [height, width].
 */
export function shortestEdgeResize(width: number, height: number, shortEdge: number): [number, number] {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.floor((shortEdge * long) / short);
  return width <= height ? [newLong, shortEdge] : [shortEdge, newLong];
}

/** transformers' center_crop offsets: top = (h - crop_h) // 2, left = (w - crop_w) // 2 (floor division). */
export function centerCropBox(width: number, height: number, cropWidth: number, cropHeight: number): Box {
  return {
    top: Math.floor((height - cropHeight) / 2),
    left: Math.floor((width - cropWidth) / 2),
    width: cropWidth,
    height: cropHeight,
  };
}

/** The resize and crop that `plan` applies to a width × height image. */
export function planResize(width: number, height: number, plan: ResolvedPreprocessing): ResizePlan {
  if (plan.mode === 'vit') {
    return { resizeWidth: plan.width, resizeHeight: plan.height, crop: { left: 0, top: 0, width: plan.width, height: plan.height } };
  }
  const se = plan.shortestEdge;
  if (se >= 384) {
    // ConvNext at 384 and above: warp to a square, no crop
    return { resizeWidth: se, resizeHeight: se, crop: { left: 0, top: 0, width: se, height: se } };
  }
  const resizeShort = Math.trunc(se / plan.cropPct); // python int() of a positive float
  const [resizeHeight, resizeWidth] = shortestEdgeResize(width, height, resizeShort);
  return { resizeWidth, resizeHeight, crop: centerCropBox(resizeWidth, resizeHeight, se, se) };
}

/** The model's input size (height, width) for this preprocessing. */
export function outputSize(plan: ResolvedPreprocessing): { height: number; width: number } {
  return plan.mode === 'vit' ? { height: plan.height, width: plan.width } : { height: plan.shortestEdge, width: plan.shortestEdge };
}
