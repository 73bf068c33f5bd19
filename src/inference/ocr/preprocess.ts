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
  /** Largest stroke width (2 x area / boundary) as a fraction of the letter height. */
  maxStrokeFrac: number;
  /** Letter height bounds, as fractions of the working picture's height (min also >= minLetterPx). */
  minLetterPx: number;
  maxLetterFrac: number;
  /** Median letter height (px) of dark text in the picture given to tesseract. */
  targetLetterPx: number;
  /** The same for light outlined letters (measured: they read best a little smaller, see docs/OCR.md). */
  targetLightLetterPx: number;
  /** Dark text: keep the picture's grey levels this many px around the letters (0: pure black on white). */
  softEdges: number;
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
  maxStrokeFrac: 0.4,
  minLetterPx: 7,
  maxLetterFrac: 0.3,
  targetLetterPx: 36,
  targetLightLetterPx: 30,
  softEdges: 1,
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

/** Two letters alone make a line only when they look like a short word: same size, same baseline, close. */
function tightPair(a: Component, b: Component): boolean {
  const ha = a.y1 - a.y0 + 1;
  const hb = b.y1 - b.y0 + 1;
  const h = Math.max(ha, hb);
  const gap = Math.max(a.x0, b.x0) - Math.min(a.x1, b.x1);
  return Math.max(ha, hb) / Math.min(ha, hb) < 1.3 && Math.abs(a.y1 - b.y1) < 0.15 * h && gap < 0.5 * h;
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
    // Letters are strokes: twice the area over the boundary (about the stroke width) stays well under the
    // height; a filled blob (a light shape on a dark part of the picture) has it near half its height.
    const stroke = (2 * c.area) / c.boundary;
    const letterLike = density >= 0.12 && stroke <= params.maxStrokeFrac * h + 1.5;
    if (h >= minH && h <= maxH && w <= 6 * h && w <= width * 0.6 && letterLike) cores.push(c);
    else if (c.area >= 3 && h <= maxH) smalls.push(c);
  }

  // Group letters into lines, left to right: a letter joins the line whose rightmost letter is near it, at a
  // similar height and vertical centre. Chaining from neighbour to neighbour follows slightly rotated lines.
  cores.sort((a, b) => a.x0 - b.x0 || a.y0 - b.y0);
  const groups: Component[][] = [];
  for (const c of cores) {
    const cy = (c.y0 + c.y1) / 2;
    const h = c.y1 - c.y0 + 1;
    let best: Component[] | null = null;
    let bestScore = Infinity;
    for (const g of groups) {
      // The line's local position and size: its last few letters (so a slightly rotated line is followed).
      const recent = g.slice(-3);
      const last = g[g.length - 1];
      const rh = median(recent.map((m) => m.y1 - m.y0 + 1));
      const ry = median(recent.map((m) => (m.y0 + m.y1) / 2));
      const gh = Math.max(rh, h);
      const dy = Math.abs(cy - ry);
      const gap = c.x0 - last.x1;
      if (gap >= 3 * gh || dy >= 0.45 * gh || h >= 1.7 * rh || rh >= 1.7 * h) continue;
      // Prefer the line that fits best; longer lines win close calls over stray specks.
      const score = dy / gh - 0.04 * Math.min(g.length, 5);
      if (score < bestScore) {
        best = g;
        bestScore = score;
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
      if (r.length === 2 && !tightPair(r[0], r[1])) continue;
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
  // A row of small marks inside a row of much bigger letters is not a line of its own: pieces of letters split
  // by the picture, dots, specks. Its marks are redrawn with the big row when they lie within it (so a letter
  // broken in two is not lost), and dropped otherwise.
  const absorbed: Component[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    const host = lines.find((m) => {
      if (m === l || m.letterHeight < 1.5 * l.letterHeight) return false;
      const overlap = Math.min(l.y1, m.y1) - Math.max(l.y0, m.y0);
      return overlap > 0.5 * (l.y1 - l.y0 + 1);
    });
    if (!host) continue;
    lines.splice(i, 1);
    for (const c of l.letters) if (c.x0 >= host.x0 && c.x1 <= host.x1 && c.y0 >= host.y0 && c.y1 <= host.y1) absorbed.push(c);
  }

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
  for (const c of absorbed) keep.add(c.label);
  // Marks beside the letters (dots of i and j, punctuation, apostrophes), and letters left out of the grouping
  // because they sit higher or lower (a lone dot forms no line of its own).
  const marks = [...smalls, ...cores.filter((c) => !keep.has(c.label))];
  for (const s of marks) {
    const sw = s.x1 - s.x0 + 1;
    const sh = s.y1 - s.y0 + 1;
    for (const line of lines) {
      const pad = line.letterHeight * 0.4;
      if (sh > 0.8 * line.letterHeight || sw > 1.5 * line.letterHeight) continue;
      // Dots, apostrophes and quotes sit high; full stops, commas and the dots of ! and ? sit on the baseline.
      // A speck half-way up is more often a bit of the picture between letters than a hyphen.
      const top = line.y0 + 0.45 * (line.y1 - line.y0);
      const bottom = line.y1 - 0.3 * (line.y1 - line.y0);
      if (s.y1 > top && s.y0 < bottom) continue;
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
  /** Median letter height of the band's lines. */
  letterHeight: number;
}

/** Lines close together (and of similar size) form a band: one caption block. */
export function bandsOf(lines: TextLine[]): Band[] {
  const groups: TextLine[][] = [];
  for (const l of [...lines].sort((a, b) => a.y0 - b.y0)) {
    const last = groups[groups.length - 1];
    const lastH = last ? median(last.map((x) => x.letterHeight)) : 0;
    const lastY1 = last ? Math.max(...last.map((x) => x.y1)) : 0;
    const similar = l.letterHeight < 1.6 * lastH && lastH < 1.6 * l.letterHeight;
    // Overlapping rows always share a band: each band is cropped and redrawn, so overlapping bands would
    // draw the same letters twice.
    const overlapping = last !== undefined && l.y0 <= lastY1;
    if (last && (overlapping || (similar && l.y0 - lastY1 < 1.5 * Math.max(l.letterHeight, lastH)))) last.push(l);
    else groups.push([l]);
  }
  return groups.map((g) => ({
    y0: Math.min(...g.map((l) => l.y0)),
    y1: Math.max(...g.map((l) => l.y1)),
    x0: Math.min(...g.map((l) => l.x0)),
    x1: Math.max(...g.map((l) => l.x1)),
    letterHeight: median(g.map((l) => l.letterHeight)),
  }));
}

/**
 * Redraws the found caption as black letters on white: each band cropped, scaled so its median letter is about
 * targetLetterPx tall (tesseract reads one size best), bands stacked top to bottom with a gap, a white border
 * around. Returns PNG bytes (greyscale).
 */
export async function renderCaption(
  grey: GreyImage,
  found: FoundCaption,
  params: PreprocessParams = DEFAULT_PREPROCESS,
): Promise<{ png: Buffer; width: number; height: number }> {
  const target = found.polarity === 'light-text' ? params.targetLightLetterPx : params.targetLetterPx;
  const pieces: Array<{ data: Buffer; width: number; height: number }> = [];
  for (const b of bandsOf(found.lines)) {
    const margin = Math.ceil(b.letterHeight * 0.3);
    const x0 = Math.max(0, b.x0 - margin);
    const x1 = Math.min(grey.width - 1, b.x1 + margin);
    const y0 = Math.max(0, b.y0 - margin);
    const y1 = Math.min(grey.height - 1, b.y1 + margin);
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const crop = new Uint8Array(w * h).fill(255);
    const letter = new Uint8Array(w * h);
    for (let y = y0; y <= y1; y++) {
      const src = y * grey.width;
      const dst = (y - y0) * w;
      for (let x = x0; x <= x1; x++) {
        const lab = found.labels[src + x];
        if (lab && found.keep.has(lab)) letter[dst + x - x0] = 1;
      }
    }
    if (params.softEdges > 0 && found.polarity === 'dark-text') {
      // Dark text on light paper keeps its own anti-aliased edges: the picture's grey values next to the
      // letters, white everywhere else (measured: fixes b/h confusions on plain text). Light outlined letters are
      // redrawn binary: next to them is only outline and photograph.
      const nearLetter = dilateSquare(letter, w, h, params.softEdges);
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const i = (y - y0) * w + x - x0;
          if (letter[i]) crop[i] = 0;
          else if (nearLetter[i]) {
            const v = grey.data[y * grey.width + x];
            crop[i] = v;
          }
        }
      }
    } else {
      for (let i = 0; i < letter.length; i++) if (letter[i]) crop[i] = 0;
    }
    const scale = Math.max(0.2, Math.min(5, target / Math.max(1, b.letterHeight)));
    const width = Math.max(1, Math.round(w * scale));
    const height = Math.max(1, Math.round(h * scale));
    const resized = await sharp(crop, { raw: { width: w, height: h, channels: 1 } })
      .resize(width, height, { kernel: scale > 1 ? 'cubic' : 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const ch = resized.info.channels;
    const data = Buffer.alloc(resized.info.width * resized.info.height);
    for (let i = 0; i < data.length; i++) data[i] = resized.data[i * ch];
    pieces.push({ data, width: resized.info.width, height: resized.info.height });
  }
  const gap = Math.round(target * 0.8);
  const border = params.border;
  const width = Math.max(...pieces.map((p) => p.width)) + 2 * border;
  const height = pieces.reduce((s, p) => s + p.height, 0) + gap * Math.max(0, pieces.length - 1) + 2 * border;
  const out = Buffer.alloc(width * height, 255);
  let top = border;
  for (const p of pieces) {
    const left = border + Math.floor((width - 2 * border - p.width) / 2);
    for (let y = 0; y < p.height; y++) p.data.copy(out, (top + y) * width + left, y * p.width, (y + 1) * p.width);
    top += p.height + gap;
  }
  const png = await sharp(out, { raw: { width, height, channels: 1 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return { png, width, height };
}
