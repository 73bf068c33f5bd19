/** Fixtures for the engine tests, generated: tiny packs (src/synth/pack.ts) and seeded images. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { writeTinyPack, type TinyPackOptions } from '../../../src/synth/pack.js';

const made: string[] = [];

export async function tempDir(prefix = 'mg-engine-'): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export async function removeTempDirs(): Promise<void> {
  for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
}

export async function tinyPack(opts: TinyPackOptions = {}): Promise<string> {
  return writeTinyPack(path.join(await tempDir(), 'pack'), opts);
}

/** A PNG of seeded noise over a seeded gradient: different seeds give clearly different pixels. */
export async function noiseImage(seed: number, width = 64, height = 48): Promise<Buffer> {
  let a = (seed * 2654435761) >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const base = [rand() * 255, rand() * 255, rand() * 255];
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const g = (base[c] + (x * (c + 1) * 255) / width + (y * 128) / height) % 256;
        px[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(g * 0.7 + rand() * 76)));
      }
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

export const CAPTIONS = [
  'when the weekend finally arrives',
  'nobody expects the spanish inquisition',
  'look at this dog he is very good',
  'they are not welcome in this country',
  'me trying to fix the bug at midnight',
  'the cat sat on the mat and stared',
];
