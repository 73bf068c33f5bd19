/**
 * memeguard embed <image|-> [--caption TEXT] [--models DIR] [--json]
 * The encoders' outputs before any head (works on a pack without heads).
 */
import { createEngine } from '../inference/engine.js';
import type { Embeddings } from '../inference/types.js';
import { MEME_OPTIONS, oneImageArg, parseCommandLine } from './shared/args.js';
import { readImageArg } from './shared/read-image.js';

const USAGE = `usage: memeguard embed <image|-> [options]
  <image>            an image file, or - to read it from stdin
  --caption TEXT     the caption (default: read it from the image with OCR)
  --models DIR       the model pack (default: $MEMEGUARD_MODELS, else models/default)
  --json             print one JSON object {"text": {input_ids, pooling, embedding}, "image": {embedding}}`;

function preview(v: number[]): string {
  const head = v.slice(0, 6).map((x) => x.toFixed(4));
  return `[${head.join(', ')}${v.length > 6 ? ', …' : ''}] (${v.length} values)`;
}

export function formatEmbeddings(e: Embeddings): string {
  const lines: string[] = [];
  if (e.text) {
    lines.push(`text: ${e.text.input_ids.length} tokens, ${e.text.pooling} pooling`);
    lines.push(`  input_ids: [${e.text.input_ids.join(', ')}]`);
    lines.push(`  embedding: ${preview(e.text.embedding)}`);
  } else lines.push('text: (no text encoder, or no caption)');
  if (e.image) lines.push(`image: embedding ${preview(e.image.embedding)}`);
  else lines.push('image: (no image encoder)');
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: MEME_OPTIONS,
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const image = await readImageArg(oneImageArg('embed', positionals, USAGE));
  const engine = await createEngine({ packDir: values.models });
  try {
    const e = await engine.embed({ image, caption: values.caption });
    process.stdout.write((values.json ? JSON.stringify(e) : formatEmbeddings(e)) + '\n');
    return 0;
  } finally {
    await engine.close();
  }
}
