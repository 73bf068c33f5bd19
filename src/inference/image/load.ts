/**
 * Turn untrusted image bytes into 8-bit sRGB RGB pixels, or refuse them with a clear MemeguardError.
 *
 * Order of the guards (cheapest first, nothing large allocated before the size checks):
 *   byte length -> magic bytes (SVG / non-images refused) -> header dimensions -> sharp metadata (header only)
 *   -> decode of the first frame only, with sharp's own pixel limit and failOn 'truncated' as a second fence.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Metadata, SharpOptions } from 'sharp';
import { MemeguardError, type ErrorCode } from '../../errors.js';
import { logger } from '../../log.js';
import { DECODABLE_FORMATS, sniffImage, type SniffedFormat } from './sniff.js';

export { sniffImage, looksLikeSvg, type SniffedImage, type SniffedFormat } from './sniff.js';

export interface ImageLimits {
  /** Largest accepted file, in bytes (default 20 MB). */
  maxBytes: number;
  /** Largest accepted width × height of the first frame (default 50 megapixels). */
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 50_000_000,
});

export interface LoadedImage {
  /** RGB uint8, HWC (row-major, 3 bytes a pixel), alpha flattened on white, EXIF orientation applied. */
  data: Buffer;
  width: number;
  height: number;
  /** png | jpeg | webp | gif | avif | heif | tiff */
  format: string;
  /** sha256 (hex) of the input bytes as given. */
  sha256: string;
  /** Frames (pages) in the file; only the first was decoded. */
  frames: number;
}

const WHITE = { r: 255, g: 255, b: 255 };
const MB = 1024 * 1024;

/** 50000000 -> "50", 5000 -> "0.005": megapixels without losing small limits to rounding. */
function megapixels(pixels: number): string {
  return String(Number((pixels / 1e6).toPrecision(3)));
}

function refuse(code: ErrorCode, message: string, fields: Record<string, unknown>, cause?: unknown): never {
  logger.warn('image refused', { code, reason: message, ...fields });
  throw new MemeguardError(code, message, { cause });
}

function checkPixels(width: number, height: number, limits: ImageLimits, where: string, fields: Record<string, unknown>): void {
  if (!(width > 0 && height > 0)) {
    refuse('CORRUPT_IMAGE', `the image ${where} gives an invalid size ${width}×${height}`, fields);
  }
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    refuse(
      'IMAGE_TOO_LARGE',
      `the image is ${width}×${height} (${megapixels(pixels)} megapixels), over the ${megapixels(limits.maxPixels)} megapixel limit`,
      { ...fields, width, height },
    );
  }
}

/** Classify a sharp/libvips failure for bytes whose signature said `format`. */
function sharpFailure(e: unknown, format: SniffedFormat, fields: Record<string, unknown>, limits: ImageLimits): never {
  const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  if (/pixel limit/i.test(msg)) {
    refuse('IMAGE_TOO_LARGE', `the image is over the ${megapixels(limits.maxPixels)} megapixel limit`, fields, e);
  }
  if (/not been built|unsupported (compression|codec)|no decoder|not supported/i.test(msg)) {
    refuse('UNSUPPORTED_IMAGE', `this ${format.toUpperCase()} variant cannot be decoded: ${msg}`, fields, e);
  }
  refuse('CORRUPT_IMAGE', `the ${format.toUpperCase()} file is corrupt or truncated: ${msg}`, fields, e);
}

/**
 * Decode untrusted image bytes (first frame only) to RGB uint8 HWC.
 * Refusals (MemeguardError, each logged): EMPTY_FILE, NOT_AN_IMAGE, UNSUPPORTED_IMAGE (SVG, BMP, undecodable
 * variants), IMAGE_TOO_LARGE (bytes or pixels), CORRUPT_IMAGE (truncated, corrupt).
 */
export async function loadImage(bytes: Uint8Array, limits: Partial<ImageLimits> = {}): Promise<LoadedImage> {
  const lim: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const fields: Record<string, unknown> = { bytes: bytes.length, sha256 };

  if (bytes.length > lim.maxBytes) {
    // Readers that cap what they read (the CLI, downloads) hand over exactly maxBytes + 1 bytes: the true size is
    // unknown then, so do not print the cap as if it were the file's size.
    const limit = `${(lim.maxBytes / MB).toFixed(0)} MB limit`;
    const capped = bytes.length === lim.maxBytes + 1;
    refuse('IMAGE_TOO_LARGE', capped ? `the file is over the ${limit}` : `the file is ${(bytes.length / MB).toFixed(1)} MB, over the ${limit}`, fields);
  }

  let sniffed;
  try {
    sniffed = sniffImage(bytes);
  } catch (e) {
    if (e instanceof MemeguardError) refuse(e.code, e.message, fields, e);
    throw e;
  }
  const format = sniffed.format;
  fields.format = format;
  if (!DECODABLE_FORMATS.has(format)) {
    refuse('UNSUPPORTED_IMAGE', `${format.toUpperCase()} images are not supported; send PNG, JPEG, WebP, GIF or AVIF`, fields);
  }
  if (sniffed.width !== undefined && sniffed.height !== undefined) {
    checkPixels(sniffed.width, sniffed.height, lim, 'header', fields);
  }

  // Header-only read: libvips parses the header and does not decode pixels here.
  const options: SharpOptions = { pages: 1, page: 0, limitInputPixels: lim.maxPixels, failOn: 'truncated' };
  let meta: Metadata;
  try {
    // metadata() reads the header only; the pixel limit is checked below with the real dimensions in the message
    meta = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
  } catch (e) {
    sharpFailure(e, format, fields, lim);
  }
  if (meta.format === 'svg') refuse('UNSUPPORTED_IMAGE', 'SVG images are not accepted', fields);
  // For multi-page files sharp reports the page height; width × pageHeight is the first frame.
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  checkPixels(meta.width ?? 0, frameHeight, lim, 'metadata', fields);
  const frames = meta.pages ?? 1;

  try {
    const { data, info } = await sharp(bytes, options)
      .rotate() // EXIF orientation
      .flatten({ background: WHITE })
      .toColourspace('srgb') // greyscale, CMYK, 16-bit -> 8-bit sRGB
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      refuse('CORRUPT_IMAGE', `the ${format.toUpperCase()} file decoded to an unexpected layout (${info.channels} channels)`, fields);
    }
    return { data, width: info.width, height: info.height, format, sha256, frames };
  } catch (e) {
    if (e instanceof MemeguardError) throw e;
    sharpFailure(e, format, fields, lim);
  }
}
