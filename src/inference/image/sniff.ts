/**
 * Recognise an image from its first bytes, without decoding it: the container format and, where the header
 * states them cheaply (PNG, GIF, BMP, WebP, JPEG), the pixel dimensions. SVG is recognised by content so that
 * it can be refused whatever the file is called.
 */
import { MemeguardError } from '../../errors.js';

/** Raster formats we recognise by magic bytes. `decodable` ones are handed to sharp. */
export type SniffedFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'avif' | 'heif' | 'tiff' | 'bmp';

/** Formats sharp's prebuilt libvips decodes (BMP has no loader without ImageMagick). */
export const DECODABLE_FORMATS: ReadonlySet<SniffedFormat> = new Set([
  'png',
  'jpeg',
  'gif',
  'webp',
  'avif',
  'heif',
  'tiff',
]);

export interface SniffedImage {
  format: SniffedFormat;
  /** From the header when the format states it cheaply; undefined otherwise (sharp's metadata checks later). */
  width?: number;
  height?: number;
}

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u16le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u24le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
const u32be = (b: Uint8Array, o: number): number => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const i32le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);

/** True when the bytes are SVG/XML markup (optionally after a BOM, whitespace, XML prolog or comments). */
export function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (!head.startsWith('<')) return false;
  return /<svg[\s>/]/i.test(head) || /<!DOCTYPE\s+svg/i.test(head);
}

/** JPEG: walk the marker segments to the first SOFn and read its height and width. */
function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  let o = 2;
  while (o + 9 < b.length) {
    if (b[o] !== 0xff) return undefined;
    const marker = b[o + 1]!;
    if (marker === 0xff) {
      o += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    const len = u16be(b, o + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: u16be(b, o + 5), width: u16be(b, o + 7) };
    if (len < 2) return undefined;
    o += 2 + len;
  }
  return undefined;
}

/** WebP: canvas size from VP8X, or the frame size from a lone VP8 / VP8L chunk. */
function webpSize(b: Uint8Array): { width: number; height: number } | undefined {
  const chunk = ascii(b, 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ' && b.length >= 30 && startsWith(b, [0x9d, 0x01, 0x2a], 23)) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return undefined;
}

/** ISO-BMFF (AVIF/HEIF): the major brand and compatible brands of the leading `ftyp` box. */
function isobmffBrand(b: Uint8Array): 'avif' | 'heif' | undefined {
  if (b.length < 16 || ascii(b, 4, 8) !== 'ftyp') return undefined;
  const boxLen = Math.min(u32be(b, 0), b.length, 256);
  const brands = [ascii(b, 8, 12)];
  for (let o = 16; o + 4 <= boxLen; o += 4) brands.push(ascii(b, o, o + 4));
  if (brands.some((x) => x === 'avif' || x === 'avis')) return 'avif';
  if (brands.some((x) => ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1'].includes(x))) return 'heif';
  return undefined;
}

/**
 * Identify the image format from its magic bytes (and the dimensions where the header is cheap to read).
 * Throws MemeguardError: EMPTY_FILE, UNSUPPORTED_IMAGE (SVG), NOT_AN_IMAGE (anything unrecognised).
 * Never decodes pixels.
 */
export function sniffImage(bytes: Uint8Array): SniffedImage {
  if (bytes.length === 0) throw new MemeguardError('EMPTY_FILE', 'the file is empty (0 bytes)');
  const b = bytes;
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    if (b.length >= 24 && ascii(b, 12, 16) === 'IHDR') return { format: 'png', width: u32be(b, 16), height: u32be(b, 20) };
    return { format: 'png' };
  }
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { format: 'jpeg', ...jpegSize(b) };
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') {
    return b.length >= 10 ? { format: 'gif', width: u16le(b, 6), height: u16le(b, 8) } : { format: 'gif' };
  }
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return { format: 'webp', ...webpSize(b) };
  const brand = isobmffBrand(b);
  if (brand) return { format: brand };
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return { format: 'tiff' };
  if (startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b])) return { format: 'tiff' }; // BigTIFF
  if (ascii(b, 0, 2) === 'BM' && b.length >= 26) {
    return { format: 'bmp', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }
  if (looksLikeSvg(b)) {
    throw new MemeguardError('UNSUPPORTED_IMAGE', 'SVG images are not accepted (they can reference other resources)', {
      hint: 'send a PNG, JPEG, WebP, GIF or AVIF',
    });
  }
  throw new MemeguardError('NOT_AN_IMAGE', 'the file is not an image (no known image signature)', {
    hint: 'send a PNG, JPEG, WebP, GIF or AVIF',
  });
}
