/**
 * memeguard ocr <image|-> [--json]
 * Reads a meme's caption with the same pipeline the Engine uses when no caption is given.
 */
import { OcrPool } from '../inference/ocr/pool.js';
import { oneImageArg, parseCommandLine } from './shared/args.js';
import { readImageArg } from './shared/read-image.js';

const USAGE = `usage: memeguard ocr <image|-> [--json]
  <image>   an image file (PNG, JPEG, WebP, GIF, AVIF), or - to read it from stdin
  --json    print {"text": ..., "lines": [{"text": ..., "confidence": ...}], "ms": ...}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
    },
    USAGE,
  );
  if (parsed.values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const image = await readImageArg(oneImageArg('ocr', parsed.positionals, USAGE));
  const pool = new OcrPool({ workers: 1 });
  try {
    const result = await pool.recognize(image);
    process.stdout.write(parsed.values.json ? JSON.stringify(result) + '\n' : result.text + '\n');
    return 0;
  } finally {
    await pool.close();
  }
}
