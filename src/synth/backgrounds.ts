import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../util/random.js';

/** The seeded PRNG of src/util/random.ts (mulberry32): the same seed gives the same picture on every machine. */
export const rng = mulberry32;

export type BackgroundKind = 'photo' | 'flat' | 'noise';

function hex(r: number, g: number, b: number): string {
  const c = (v: number) =>
    Math.max(0, Math.min(255, Math.round(v)))
      .toString(16)
      .padStart(2, '0');
  return `#${c(r)}${c(g)}${c(b)}`;
}

function randomColor(rand: () => number, light = rand()): string {
  const base = light * 255;
  return hex(base + (rand() - 0.5) * 140, base + (rand() - 0.5) * 140, base + (rand() - 0.5) * 140);
}

/** Gaussian-ish per-pixel noise on raw RGB, in place. */
function addNoise(data: Buffer, rand: () => number, amount: number): void {
  for (let i = 0; i < data.length; i++) {
    const n = (rand() + rand() + rand() - 1.5) * amount;
    const v = data[i] + n;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/**
 * A photo-like picture: a sky/ground gradient, overlapping shapes of every brightness (white ones too, so that
 * white captions sit on white areas), some blurred, some sharp, and sensor-like noise. Deterministic for a seed.
 */
async function photoLike(width: number, height: number, rand: () => number): Promise<Buffer> {
  const horizon = Math.round(height * (0.35 + rand() * 0.35));
  const shapes: string[] = [];
  const count = 12 + Math.floor(rand() * 18);
  for (let i = 0; i < count; i++) {
    const x = rand() * width;
    const y = rand() * height;
    const s = (0.05 + rand() * 0.35) * Math.max(width, height);
    const fill = randomColor(rand);
    const opacity = (0.5 + rand() * 0.5).toFixed(2);
    const kind = rand();
    if (kind < 0.4) {
      shapes.push(`<ellipse cx="${x}" cy="${y}" rx="${s / 2}" ry="${(s / 2) * (0.4 + rand())}" fill="${fill}" opacity="${opacity}"/>`);
    } else if (kind < 0.75) {
      const pts = Array.from({ length: 3 + Math.floor(rand() * 4) }, () => `${x + (rand() - 0.5) * s},${y + (rand() - 0.5) * s}`);
      shapes.push(`<polygon points="${pts.join(' ')}" fill="${fill}" opacity="${opacity}"/>`);
    } else {
      const w = s * (0.1 + rand() * 0.6);
      shapes.push(
        `<rect x="${x}" y="${y}" width="${w}" height="${s}" fill="${fill}" opacity="${opacity}" transform="rotate(${(rand() - 0.5) * 40} ${x} ${y})"/>`,
      );
    }
  }
  // Thin high-contrast strokes: branches, wires, edges of things.
  const lines: string[] = [];
  for (let i = 0; i < 6 + Math.floor(rand() * 10); i++) {
    const stroke = rand() < 0.5 ? '#111' : '#eee';
    lines.push(
      `<line x1="${rand() * width}" y1="${rand() * height}" x2="${rand() * width}" y2="${rand() * height}" stroke="${stroke}" stroke-width="${1 + rand() * 4}"/>`,
    );
  }
  const blur = (0.5 + rand() * 2.5).toFixed(1);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${randomColor(rand, 0.6 + rand() * 0.4)}"/><stop offset="1" stop-color="${randomColor(rand, 0.7 + rand() * 0.3)}"/></linearGradient>
    <linearGradient id="ground" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${randomColor(rand, 0.2 + rand() * 0.4)}"/><stop offset="1" stop-color="${randomColor(rand, rand() * 0.5)}"/></linearGradient>
    <filter id="soft"><feGaussianBlur stdDeviation="${blur}"/></filter>
  </defs>
  <rect width="${width}" height="${horizon}" fill="url(#sky)"/>
  <rect y="${horizon}" width="${width}" height="${height - horizon}" fill="url(#ground)"/>
  <g filter="url(#soft)">${shapes.slice(0, Math.ceil(shapes.length / 2)).join('')}</g>
  <g>${shapes.slice(Math.ceil(shapes.length / 2)).join('')}${lines.join('')}</g>
</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  addNoise(data, rand, 10 + rand() * 20);
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A background picture of exactly width x height as PNG bytes. */
export async function renderBackground(kind: BackgroundKind, width: number, height: number, seed: number): Promise<Buffer> {
  const rand = rng(seed);
  if (kind === 'photo') return photoLike(width, height, rand);
  if (kind === 'flat') {
    const color = randomColor(rand, 0.15 + rand() * 0.7);
    return sharp({ create: { width, height, channels: 3, background: color } })
      .png()
      .toBuffer();
  }
  const data = Buffer.alloc(width * height * 3);
  const base = [rand() * 255, rand() * 255, rand() * 255];
  for (let i = 0; i < data.length; i++) data[i] = base[i % 3];
  addNoise(data, rand, 120);
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * Folders where Debian packages put wallpapers and photographs (e.g. `apt-get install mate-backgrounds`), or the
 * folders listed in MEMEGUARD_PHOTO_DIRS (colon-separated), e.g. a package unpacked with `dpkg -x`.
 */
export function photoDirs(): string[] {
  const env = process.env.MEMEGUARD_PHOTO_DIRS;
  if (env) return env.split(':').filter(Boolean);
  return ['/usr/share/backgrounds', '/usr/share/wallpapers', '/usr/share/images/desktop-base'];
}

/**
 * Real photographs installed on this machine (JPEG files of 50 kB to 3 MB), sorted by path.
 * Empty when none are installed: callers must work without them.
 */
export function findInstalledPhotos(dirs: string[] = photoDirs(), limit = 200): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || found.length >= limit || !existsSync(dir)) return;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(path, depth + 1);
      // Photographs are JPEGs; skip thumbnails and the huge 4K+ variants (slow to decode for no gain).
      else if (/\.jpe?g$/i.test(name) && st.size > 50_000 && st.size < 3_000_000) found.push(path);
      if (found.length >= limit) return;
    }
  };
  for (const d of dirs) walk(d, 0);
  return found;
}
