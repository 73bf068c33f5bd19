/**
 * memeguard ocr <image|-> [--json]
 * Reads a meme's caption with the same pipeline the Engine uses when no caption is given.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MemeguardError } from '../errors.js';
import { DEFAULT_IMAGE_LIMITS } from '../inference/image/load.js';
import { OcrPool } from '../inference/ocr/pool.js';
import { logger } from '../log.js';

const USAGE = `usage: memeguard ocr <image|-> [--json]
  <image>   an image file (PNG, JPEG, WebP, GIF, AVIF), or - to read it from stdin
  --json    print {"text": ..., "lines": [{"text": ..., "confidence": ...}], "ms": ...}`;

async function readInput(arg: string): Promise<Uint8Array> {
  if (arg === '-') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total > DEFAULT_IMAGE_LIMITS.maxBytes) break;
    }
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(arg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    logger.warn('ocr input unreadable', { path: arg, reason: why });
    throw new MemeguardError('BAD_INPUT', `cannot read ${arg}: ${why}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new MemeguardError('USAGE', (e as Error).message.split('\n')[0], { hint: USAGE.split('\n')[0] });
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    throw new MemeguardError('USAGE', 'give exactly one image', { hint: USAGE.split('\n')[0] });
  }
  const image = await readInput(parsed.positionals[0]);
  const pool = new OcrPool({ workers: 1 });
  try {
    const result = await pool.recognize(image);
    process.stdout.write(parsed.values.json ? JSON.stringify(result) + '\n' : result.text + '\n');
    return 0;
  } finally {
    await pool.close();
  }
}
