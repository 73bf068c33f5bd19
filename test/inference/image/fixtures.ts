/** Generated image fixtures for the image tests: nothing here is read from disk. */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

export type Rgb = { r: number; g: number; b: number };

export function solid(width: number, height: number, c: Rgb, channels: 3 | 4 = 3, alpha = 1) {
  return sharp({ create: { width, height, channels, background: channels === 4 ? { ...c, alpha } : c } });
}

/** Raw RGB buffer from a per-pixel function. */
export function rawFrom(width: number, height: number, f: (x: number, y: number) => [number, number, number]): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = f(x, y);
      const o = (y * width + x) * 3;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return out;
}

export function fromRaw(data: Buffer, width: number, height: number) {
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** A noisy picture: compresses badly, so truncating it cuts into pixel data. */
export function noise(width: number, height: number): Buffer {
  return rawFrom(width, height, (x, y) => [(x * 37 + y * 11) & 255, (x * y * 7 + 3) & 255, (x * 13 ^ y * 29) & 255]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A hand-built PNG: 1-bit greyscale, every row black. With `rows` given, the IDAT holds that many rows only
 * (a header that claims far more than the file holds: a decompression-bomb-shaped header).
 */
export function blackBitPng(width: number, height: number, rows = height): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + packed bits
  const idat = deflateSync(Buffer.alloc(rowBytes * rows));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A tiny valid 24-bit BMP (2×2). */
export function tinyBmp(): Buffer {
  const w = 2;
  const h = 2;
  const rowSize = 8; // 2*3 bytes padded to 4
  const size = 54 + rowSize * h;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(rowSize * h, 34);
  return b;
}

/** Replace the first JPEG SOF's height and width with the given ones. */
export function patchJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  let o = 2;
  while (o < out.length) {
    const marker = out[o + 1]!;
    const len = out.readUInt16BE(o + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      out.writeUInt16BE(height, o + 5);
      out.writeUInt16BE(width, o + 7);
      return out;
    }
    o += 2 + len;
  }
  throw new Error('no SOF marker');
}
