import sharp from 'sharp';
import { dilateSquare, labelComponents, type Component } from './components.js';

/**
 * Meme-typography preprocessing: find caption letters in a greyscale picture and redraw them as clean black
 * text on white for tesseract.
 *
 * - light-text: white (light) letters with a dark outline (classic Impact memes). A light component counts as a
 *   letter candidate when most of its outside boundary is near dark pixels.
 * - dark-text: dark letters on light paper or a white band (modern memes, plain text). A dark component counts
 *   when most of its outside boundary is near light pixels.
 * Letter candidates of similar height are grouped into lines; lines close together into bands; only bands are
 * redrawn (stacked top to bottom, scaled to a good text height, with a white border), so the photo never
 * reaches tesseract.
 */

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Polarity = 'light-text' | 'dark-text';

export interface PreprocessParams {
  /** Longest side of the working picture: smaller pictures are upscaled to it, larger ones downscaled. */
  workMin: number;
  workMax: number;
  /** Grey levels: light letters >= lightMin, their outline <= outlineMax; dark letters <= darkMax, paper >= paperMin. */
  lightMin: number;
  outlineMax: number;
  darkMax: number;
  paperMin: number;
  /** How far (px) the outline / paper may be from a letter's edge (anti-aliasing, JPEG ringing). */
  nearRadius: number;
  /** Fraction of a letter's outside boundary that must be near outline (light-text) or paper (dark-text). */
  lightRatio: number;
  darkRatio: number;
  /** Letter height bounds, as fractions of the working picture's height (min also >= minLetterPx). */
  minLetterPx: number;
  maxLetterFrac: number;
  /** Median letter height (px) in the picture given to tesseract. */
  targetLetterPx: number;
  /** White border (px) around the redrawn caption. */
  border: number;
}

export const DEFAULT_PREPROCESS: Readonly<PreprocessParams> = Object.freeze({
  workMin: 700,
  workMax: 1400,
  lightMin: 185,
  outlineMax: 90,
  darkMax: 110,
  paperMin: 175,
  nearRadius: 2,
  lightRatio: 0.7,
  darkRatio: 0.8,
  minLetterPx: 7,
  maxLetterFrac: 0.3,
  targetLetterPx: 36,
  border: 16,
});

/** RGB HWC pixels -> greyscale at working resolution. Returns the grey picture and the scale applied. */
export async function toWorkingGrey(
  rgb: { data: Uint8Array; width: number; height: number },
  params: PreprocessParams = DEFAULT_PREPROCESS,
): Promise<GreyImage & { scale: number }> {
  const longest = Math.max(rgb.width, rgb.height);
  let scale = 1;
  if (longest < params.workMin) scale = Math.min(3, params.workMin / longest);
  else if (longest > params.workMax) scale = params.workMax / longest;
  const width = Math.max(1, Math.round(rgb.width * scale));
  const height = Math.max(1, Math.round(rgb.height * scale));
  let img = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  if (scale !== 1) img = img.resize(width, height, { kernel: scale > 1 ? 'cubic' : 'lanczos3' });
  const { data, info } = await img.greyscale().raw().toBuffer({ resolveWithObject: true });
  // greyscale() keeps 3 channels in some libvips paths; take one.
  const channels = info.channels;
  const grey = new Uint8Array(info.width * info.height);
  for (let i = 0; i < grey.length; i++) grey[i] = data[i * channels];
  return { data: grey, width: info.width, height: info.height, scale };
}

export interface TextLine {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Median height of the line's letters (px, working resolution). */
  letterHeight: number;
  letters: Component[];
}

export interface FoundCaption {
  polarity: Polarity;
  lines: TextLine[];
  /** Letters in the lines (a measure of how much caption was found). */
  letterCount: number;
  /** Mean boundary ratio of the letters (how cleanly outlined / surrounded they are). */
  cleanliness: number;
  labels: Int32Array;
  /** Labels kept for redrawing (letters and the small marks beside them: dots, commas, apostrophes). */
  keep: Set<number>;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Finds caption letters of one polarity and groups them into lines. */
export function findCaption(grey: GreyImage, polarity: Polarity, params: PreprocessParams = DEFAULT_PREPROCESS): FoundCaption {
  const { data, width, height } = grey;
  const n = width * height;
  const mask = new Uint8Array(n);
  const around = new Uint8Array(n);
  if (polarity === 'light-text') {
    for (let i = 0; i < n; i++) {
      mask[i] = data[i] >= params.lightMin ? 1 : 0;
      around[i] = data[i] <= params.outlineMax ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      mask[i] = data[i] <= params.darkMax ? 1 : 0;
      around[i] = data[i] >= params.paperMin ? 1 : 0;
    }
  }
  const near = dilateSquare(around, width, height, params.nearRadius);
  const { labels, components } = labelComponents(mask, width, height, near);
  const ratioMin = polarity === 'light-text' ? params.lightRatio : params.darkRatio;
  const minH = Math.max(params.minLetterPx, Math.round(height * 0.012));
  const maxH = height * params.maxLetterFrac;

  const cores: Component[] = [];
  const smalls: Component[] = [];
  for (const c of components) {
    if (c.boundary === 0) continue;
    const ratio = c.boundaryNear / c.boundary;
    if (ratio < ratioMin) continue;
    const h = c.y1 - c.y0 + 1;
    const w = c.x1 - c.x0 + 1;
    const density = c.area / (w * h);
    if (h >= minH && h <= maxH && w <= 6 * h && w <= width * 0.6 && density >= 0.12) cores.push(c);
    else if (h < minH && c.area >= 3 && w <= 3 * minH) smalls.push(c);
  }

  // Group letters into lines: similar vertical centre and height.
  cores.sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1));
  const groups: Component[][] = [];
  for (const c of cores) {
    const cy = (c.y0 + c.y1) / 2;
    const h = c.y1 - c.y0 + 1;
    let best: Component[] | null = null;
    for (const g of groups) {
      const gh = median(g.map((m) => m.y1 - m.y0 + 1));
      const gy = median(g.map((m) => (m.y0 + m.y1) / 2));
      if (Math.abs(cy - gy) < 0.45 * Math.max(gh, h) && h < 2.2 * gh && gh < 2.2 * h) {
        best = g;
        break;
      }
    }
    if (best) best.push(c);
    else groups.push([c]);
  }

  const lines: TextLine[] = [];
  for (const g of groups) {
    if (g.length < 2) continue;
    // Split a row into runs of letters close to each other; far-apart specks are not one line.
    g.sort((a, b) => a.x0 - b.x0);
    const lh = median(g.map((m) => m.y1 - m.y0 + 1));
    let run: Component[] = [g[0]];
    const runs: Component[][] = [run];
    for (let i = 1; i < g.length; i++) {
      const prevRight = Math.max(...run.map((m) => m.x1));
      if (g[i].x0 - prevRight > 2.5 * lh) {
        run = [g[i]];
        runs.push(run);
      } else run.push(g[i]);
    }
    for (const r of runs) {
      if (r.length < 2) continue;
      lines.push({
        x0: Math.min(...r.map((m) => m.x0)),
        y0: Math.min(...r.map((m) => m.y0)),
        x1: Math.max(...r.map((m) => m.x1)),
        y1: Math.max(...r.map((m) => m.y1)),
        letterHeight: median(r.map((m) => m.y1 - m.y0 + 1)),
        letters: r,
      });
    }
  }
  lines.sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);

  const keep = new Set<number>();
  let ratioSum = 0;
  let letterCount = 0;
  for (const line of lines) {
    for (const c of line.letters) {
      keep.add(c.label);
      ratioSum += c.boundaryNear / c.boundary;
      letterCount++;
    }
  }
  for (const s of smalls) {
    for (const line of lines) {
      const pad = line.letterHeight * 0.4;
      if (s.y0 >= line.y0 - pad && s.y1 <= line.y1 + pad && s.x0 >= line.x0 - line.letterHeight && s.x1 <= line.x1 + line.letterHeight) {
        keep.add(s.label);
        break;
      }
    }
  }
  return { polarity, lines, letterCount, cleanliness: letterCount ? ratioSum / letterCount : 0, labels, keep };
}

interface Band {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  letterHeight: number;
}

/** Lines close together form a band (one caption block); bands are redrawn one under the other. */
export function bandsOf(lines: TextLine[]): Band[] {
  const bands: Band[] = [];
  for (const l of [...lines].sort((a, b) => a.y0 - b.y0)) {
    const last = bands[bands.length - 1];
    if (last && l.y0 - last.y1 < 1.5 * Math.max(l.letterHeight, last.letterHeight)) {
      last.y1 = Math.max(last.y1, l.y1);
      last.x0 = Math.min(last.x0, l.x0);
      last.x1 = Math.max(last.x1, l.x1);
      last.letterHeight = Math.max(last.letterHeight, l.letterHeight);
    } else bands.push({ y0: l.y0, y1: l.y1, x0: l.x0, x1: l.x1, letterHeight: l.letterHeight });
  }
  return bands;
}

/**
 * Redraws the found caption as black letters on white: bands stacked top to bottom, scaled so the median letter
 * is about targetLetterPx tall, with a white border. Returns PNG bytes (greyscale).
 */
export async function renderCaption(
  grey: GreyImage,
  found: FoundCaption,
  params: PreprocessParams = DEFAULT_PREPROCESS,
): Promise<{ png: Buffer; width: number; height: number; scale: number }> {
  const bands = bandsOf(found.lines);
  const letterH = median(found.lines.map((l) => l.letterHeight)) || params.targetLetterPx;
  const scale = Math.max(0.25, Math.min(4, params.targetLetterPx / letterH));
  const margin = Math.ceil(letterH * 0.35);
  const gap = Math.ceil(letterH * 0.8);
  const x0 = Math.max(0, Math.min(...bands.map((b) => b.x0)) - margin);
  const x1 = Math.min(grey.width - 1, Math.max(...bands.map((b) => b.x1)) + margin);
  const outW = x1 - x0 + 1;
  const rows: Array<{ y0: number; y1: number }> = bands.map((b) => ({
    y0: Math.max(0, b.y0 - margin),
    y1: Math.min(grey.height - 1, b.y1 + margin),
  }));
  const outH = rows.reduce((s, r) => s + (r.y1 - r.y0 + 1), 0) + gap * Math.max(0, rows.length - 1);
  const out = new Uint8Array(outW * outH).fill(255);
  let oy = 0;
  for (const r of rows) {
    for (let y = r.y0; y <= r.y1; y++, oy++) {
      const src = y * grey.width;
      const dst = oy * outW;
      for (let x = x0; x <= x1; x++) {
        const lab = found.labels[src + x];
        if (lab && found.keep.has(lab)) out[dst + x - x0] = 0;
      }
    }
    oy += gap;
  }
  const width = Math.max(1, Math.round(outW * scale));
  const height = Math.max(1, Math.round(outH * scale));
  const png = await sharp(out, { raw: { width: outW, height: outH, channels: 1 } })
    .resize(width, height, { kernel: 'lanczos3' })
    .extend({ top: params.border, bottom: params.border, left: params.border, right: params.border, background: '#ffffff' })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { png, width: width + 2 * params.border, height: height + 2 * params.border, scale };
}
