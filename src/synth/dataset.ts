/**
 * writeSyntheticHatefulMemes(dir, opts): a small labelled data set in the Hateful Memes layout for tests and demos.
 *
 * The label depends on the caption AND the picture together, XOR-like:
 *   captions come from two word groups (animals / objects), pictures are of two kinds (warm reds / cool blues);
 *   hateful iff (animal caption, warm picture) or (object caption, cool picture).
 * Items are made in fours around one pair of captions and one pair of pictures, so each comes with its benign
 * confounders: the same caption with the other kind of picture, and the same picture with the other kind of
 * caption, each with the label flipped. Every caption group and every picture kind is therefore exactly half
 * hateful: a model that sees one modality stays at chance, one that combines both can be perfect.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../util/random.js';
import { renderMeme } from './memes.js';

export interface SyntheticHatefulMemesOptions {
  /** Items per split when `splits` is not given (train: n, dev_seen: n/2). Rounded down to a multiple of 4. */
  n: number;
  seed?: number;
  /** Items per split, e.g. { train: 200, dev_seen: 100, test_unseen: 40 }. */
  splits?: Record<string, number>;
  /** Splits written without labels (like the real test sets). */
  unlabeled?: string[];
  /** Image side in pixels (default 128). */
  size?: number;
  /** Render the caption onto the picture as a meme (default true); false: the bare picture. */
  captionOnImage?: boolean;
  /** Write "text" in the JSONL (default true); false leaves the caption to OCR. */
  withText?: boolean;
  /** Ids as numbers (default) or zero-padded strings like "00042". */
  idStyle?: 'number' | 'padded';
}

export interface SyntheticItem {
  id: number | string;
  img: string;
  label: 0 | 1;
  text: string;
  captionGroup: 'animal' | 'object';
  pictureKind: 'warm' | 'cool';
}

export const CAPTION_GROUPS = {
  animal: ['dog', 'cat', 'fish', 'bird', 'horse', 'monkey'],
  object: ['car', 'ship', 'house', 'tree', 'book', 'door'],
} as const;

const TEMPLATES = ['the {w}', 'my {w}', 'this {w}', 'that {w} again', 'one more {w}', 'look at this {w}'];

/** hateful iff (animal, warm) or (object, cool). */
export function syntheticLabel(group: 'animal' | 'object', kind: 'warm' | 'cool'): 0 | 1 {
  return (group === 'animal') === (kind === 'warm') ? 1 : 0;
}

function caption(group: 'animal' | 'object', rand: () => number): string {
  const words = CAPTION_GROUPS[group];
  const w = words[Math.floor(rand() * words.length)];
  return TEMPLATES[Math.floor(rand() * TEMPLATES.length)].replace('{w}', w);
}

/** A picture of one kind: a dominant warm (red/orange) or cool (blue/teal) palette, random shapes, noise. */
export async function syntheticPicture(kind: 'warm' | 'cool', size: number, seed: number): Promise<Buffer> {
  const rand = mulberry32(seed * 7919 + (kind === 'warm' ? 1 : 2));
  const colour = () => {
    const a = 150 + rand() * 105;
    const b = rand() * 90;
    const c = rand() * 60;
    const [r, g, bl] = kind === 'warm' ? [a, b, c] : [c, b, a];
    return `rgb(${Math.round(r)},${Math.round(g)},${Math.round(bl)})`;
  };
  const shapes: string[] = [`<rect width="${size}" height="${size}" fill="${colour()}"/>`];
  const count = 3 + Math.floor(rand() * 5);
  for (let i = 0; i < count; i++) {
    const x = rand() * size;
    const y = rand() * size;
    const r = (0.1 + rand() * 0.3) * size;
    shapes.push(
      rand() < 0.5
        ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r.toFixed(1)}" fill="${colour()}"/>`
        : `<rect x="${(x - r).toFixed(1)}" y="${(y - r / 2).toFixed(1)}" width="${(2 * r).toFixed(1)}" height="${r.toFixed(1)}" fill="${colour()}"/>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${shapes.join('')}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++) {
    const v = data[i] + (rand() - 0.5) * 30;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toBuffer();
}

/** The caption rendered onto the picture as a classic meme (drawn at 128 px or more, then scaled to size). */
async function memeOf(text: string, picture: Buffer, size: number, seed: number): Promise<Buffer> {
  const side = Math.max(size, 128);
  const meme = await renderMeme({ caption: text, style: 'classic', width: side, height: side, background: picture, seed });
  return side === size ? meme : sharp(meme).resize(size, size).png().toBuffer();
}

/** Writes the data set and returns its items per split (with the hidden factors, for tests). */
export async function writeSyntheticHatefulMemes(dir: string, opts: SyntheticHatefulMemesOptions): Promise<Record<string, SyntheticItem[]>> {
  const seed = opts.seed ?? 1;
  const size = opts.size ?? 128;
  const splits = opts.splits ?? { train: opts.n, dev_seen: Math.floor(opts.n / 2) };
  const rand = mulberry32(seed);
  await mkdir(path.join(dir, 'img'), { recursive: true });
  const out: Record<string, SyntheticItem[]> = {};
  let nextId = 1;
  let pictureSeed = seed * 100_003;
  for (const [split, count] of Object.entries(splits)) {
    const items: SyntheticItem[] = [];
    for (let q = 0; q + 4 <= count; q += 4) {
      const captions = { animal: caption('animal', rand), object: caption('object', rand) };
      const pictures = {
        warm: await syntheticPicture('warm', size, pictureSeed++),
        cool: await syntheticPicture('cool', size, pictureSeed++),
      };
      for (const group of ['animal', 'object'] as const) {
        for (const kind of ['warm', 'cool'] as const) {
          const num = nextId++;
          const id = opts.idStyle === 'padded' ? String(num).padStart(5, '0') : num;
          const file = `img/${String(num).padStart(5, '0')}.png`;
          const text = captions[group];
          const png = opts.captionOnImage === false ? pictures[kind] : await memeOf(text, pictures[kind], size, num);
          await writeFile(path.join(dir, file), png);
          items.push({ id, img: file, label: syntheticLabel(group, kind), text, captionGroup: group, pictureKind: kind });
        }
      }
    }
    // Shuffle so that file order says nothing about the label (items are matched by id).
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    const unlabeled = opts.unlabeled?.includes(split) ?? false;
    const lines = items.map((it) =>
      JSON.stringify({
        id: it.id,
        img: it.img,
        ...(unlabeled ? {} : { label: it.label }),
        ...(opts.withText === false ? {} : { text: it.text }),
      }),
    );
    await writeFile(path.join(dir, `${split}.jsonl`), lines.join('\n') + '\n');
    out[split] = items;
  }
  return out;
}
