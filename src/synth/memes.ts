import sharp, { type OverlayOptions } from 'sharp';
import { renderBackground, rng, type BackgroundKind } from './backgrounds.js';
import { availableFonts, getFont, type MemeFont } from './fonts.js';

/**
 * Meme-style test images with known captions, for OCR tests and the OCR benchmark.
 * - classic: white bold Impact-like letters with a black outline, top and/or bottom, over a picture;
 * - modern: black text on a white band above the picture;
 * - plain: dark text on light paper.
 */
export type MemeStyle = 'classic' | 'modern' | 'plain';
export type MemeCaption = string | { top?: string; bottom?: string };

export interface RenderMemeOptions {
  caption: MemeCaption;
  style: MemeStyle;
  width?: number;
  height?: number;
  background?: BackgroundKind | Buffer;
  /** A font id from availableFonts() (anton, oswald, archivo-black, dejavu-bold). */
  font?: string;
  format?: 'png' | 'jpeg';
  jpegQuality?: number;
  rotateDeg?: number;
  seed?: number;
}

/** The caption as a reader would read it: top then bottom, single spaces. */
export function captionText(caption: MemeCaption): string {
  const parts = typeof caption === 'string' ? [caption] : [caption.top ?? '', caption.bottom ?? ''];
  return parts
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Layer {
  input: Buffer;
  width: number;
  height: number;
}

/** Text as an RGBA layer, either fitted into a box (autofit) or at a fixed pixel size wrapped to a width. */
async function textLayer(
  text: string,
  font: MemeFont,
  color: string,
  opts: { width: number; height?: number; px?: number; align: 'left' | 'centre' },
): Promise<Layer & { px: number }> {
  const markup = `<span foreground="${color}">${escapeMarkup(text)}</span>`;
  const desc = opts.px ? `${font.pango} ${opts.px}` : font.pango;
  const img = sharp({
    text: {
      text: markup,
      font: desc,
      fontfile: font.file,
      rgba: true,
      width: Math.max(1, Math.round(opts.width)),
      ...(opts.height ? { height: Math.max(1, Math.round(opts.height)) } : { dpi: 72 }),
      align: opts.align,
      wrap: 'word',
    },
  });
  const { data, info } = await img.png().toBuffer({ resolveWithObject: true });
  // Pango's default size is 12 pt; at autofit the size in px is 12 * dpi / 72.
  const dpi = (info as { textAutofitDpi?: number }).textAutofitDpi ?? 72;
  const px = opts.px ?? (12 * dpi) / 72;
  return { input: data, width: info.width, height: info.height, px };
}

/** Max filter of a single-channel image with a disc of the given radius (morphological dilation). */
function dilateDisc(src: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const out = new Uint8Array(src.length);
  const offsets: Array<[number, number]> = [];
  for (let dy = -radius; dy <= radius; dy++) {
    const dx = Math.floor(Math.sqrt(radius * radius - dy * dy) + 0.5);
    offsets.push([dy, dx]);
  }
  // Per row: running max over [x - dx, x + dx] computed from a row max table for each needed dx.
  for (let y = 0; y < height; y++) {
    for (const [dy, dx] of offsets) {
      const sy = y + dy;
      if (sy < 0 || sy >= height) continue;
      const row = sy * width;
      for (let x = 0; x < width; x++) {
        let m = out[y * width + x];
        const x0 = Math.max(0, x - dx);
        const x1 = Math.min(width - 1, x + dx);
        for (let sx = x0; sx <= x1; sx++) if (src[row + sx] > m) m = src[row + sx];
        out[y * width + x] = m;
      }
    }
  }
  return out;
}

/** A black outline around an RGBA text layer: its alpha dilated by radius pixels, as a black RGBA layer. */
async function outlineLayer(layer: Layer, radius: number): Promise<Layer> {
  const pad = radius + 1;
  const { data, info } = await sharp(layer.input).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const width = info.width + 2 * pad;
  const height = info.height + 2 * pad;
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) alpha[(y + pad) * width + x + pad] = data[(y * info.width + x) * 4 + 3];
  }
  const grown = dilateDisc(alpha, width, height, radius);
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba[i * 4 + 3] = grown[i];
  const input = await sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
  return { input, width, height };
}

async function backgroundPicture(bg: RenderMemeOptions['background'], width: number, height: number, seed: number): Promise<Buffer> {
  if (Buffer.isBuffer(bg)) {
    return sharp(bg).rotate().resize(width, height, { fit: 'cover' }).removeAlpha().png().toBuffer();
  }
  return renderBackground(bg ?? 'photo', width, height, seed);
}

function defaultFont(style: MemeStyle): string {
  const ids = availableFonts().map((f) => f.id);
  if (style === 'classic') return 'anton';
  return ids.includes('dejavu-bold') ? 'dejavu-bold' : 'archivo-black';
}

async function classic(o: Required<Pick<RenderMemeOptions, 'width' | 'height' | 'seed'>> & RenderMemeOptions, font: MemeFont) {
  const { width: W, height: H } = o;
  const cap = typeof o.caption === 'string' ? { top: o.caption } : o.caption;
  const composites: OverlayOptions[] = [];
  const boxW = W * 0.92;
  const boxH = H * 0.22;
  for (const [where, text] of [
    ['top', cap.top],
    ['bottom', cap.bottom],
  ] as const) {
    if (!text || !text.trim()) continue;
    const fill = await textLayer(text, font, 'white', { width: boxW, height: boxH, align: 'centre' });
    const radius = Math.max(2, Math.round(fill.px * 0.07));
    const outline = await outlineLayer(fill, radius);
    const left = Math.round((W - fill.width) / 2);
    const top = where === 'top' ? Math.round(H * 0.03) : Math.round(H * 0.97 - fill.height);
    composites.push({ input: outline.input, left: left - radius - 1, top: top - radius - 1 });
    composites.push({ input: fill.input, left, top });
  }
  const bg = await backgroundPicture(o.background, W, H, o.seed);
  return sharp(bg).composite(composites).removeAlpha().png().toBuffer();
}

async function modern(o: Required<Pick<RenderMemeOptions, 'width' | 'height' | 'seed'>> & RenderMemeOptions, font: MemeFont) {
  const W = o.width;
  const px = Math.max(12, Math.round(W / 16));
  const text = await textLayer(captionText(o.caption), font, '#000000', { width: W * 0.9, px, align: 'left' });
  const pad = Math.round(px * 0.8);
  const bandH = text.height + 2 * pad;
  const picH = Math.max(1, o.height - bandH);
  const pic = await backgroundPicture(o.background, W, picH, o.seed);
  return sharp({ create: { width: W, height: bandH + picH, channels: 3, background: '#ffffff' } })
    .composite([
      { input: text.input, left: Math.round(W * 0.05), top: pad },
      { input: pic, left: 0, top: bandH },
    ])
    .removeAlpha()
    .png()
    .toBuffer();
}

async function plain(o: Required<Pick<RenderMemeOptions, 'width' | 'height' | 'seed'>> & RenderMemeOptions, font: MemeFont) {
  const { width: W, height: H } = o;
  const rand = rng(o.seed ^ 0x5eed);
  const paperTone = 235 + Math.round(rand() * 18);
  const inkTone = Math.round(10 + rand() * 50);
  const ink = `#${inkTone.toString(16).padStart(2, '0').repeat(3)}`;
  const px = Math.max(12, Math.round(W / 18));
  const text = await textLayer(captionText(o.caption), font, ink, { width: W * 0.88, px, align: 'left' });
  const paper = Buffer.alloc(W * H * 3);
  for (let i = 0; i < paper.length; i++) paper[i] = Math.max(0, Math.min(255, paperTone + (rand() - 0.5) * 12));
  return sharp(paper, { raw: { width: W, height: H, channels: 3 } })
    .composite([{ input: text.input, left: Math.round(W * 0.06), top: Math.round(Math.max(0, (H - text.height) / 2)) }])
    .removeAlpha()
    .png()
    .toBuffer();
}

/** Renders a meme with a known caption; deterministic for a seed. Returns encoded PNG or JPEG bytes. */
export async function renderMeme(opts: RenderMemeOptions): Promise<Buffer> {
  const seed = opts.seed ?? 1;
  const width = Math.round(opts.width ?? 600);
  const height = Math.round(opts.height ?? (opts.style === 'plain' ? width * 0.5 : width));
  if (width < 32 || height < 32 || width > 4096 || height > 4096) throw new Error(`meme size ${width}x${height} out of range 32..4096`);
  const font = getFont(opts.font ?? defaultFont(opts.style));
  const o = { ...opts, width, height, seed };
  let png =
    opts.style === 'classic' ? await classic(o, font) : opts.style === 'modern' ? await modern(o, font) : await plain(o, font);
  if (opts.rotateDeg) {
    const meta = await sharp(png).metadata();
    const { data, info } = await sharp(png).stats().then(async (st) => {
      const bg = { r: st.channels[0].mean, g: st.channels[1].mean, b: st.channels[2].mean };
      return sharp(png).rotate(opts.rotateDeg!, { background: bg }).raw().toBuffer({ resolveWithObject: true });
    });
    const left = Math.floor((info.width - meta.width!) / 2);
    const top = Math.floor((info.height - meta.height!) / 2);
    png = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
      .extract({ left, top, width: meta.width!, height: meta.height! })
      .png()
      .toBuffer();
  }
  if (opts.format === 'jpeg') return sharp(png).jpeg({ quality: opts.jpegQuality ?? 80 }).toBuffer();
  return png;
}
