/**
 * memeguard check <image|-> [--caption TEXT] [--models DIR] [--threshold X] [--json] [--no-explain]
 * Judge one meme: the verdict, each modality's score and the explanation.
 */
import { open } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MemeguardError } from '../errors.js';
import { createEngine } from '../inference/engine.js';
import { DEFAULT_IMAGE_LIMITS } from '../inference/image/load.js';
import type { Verdict } from '../inference/types.js';

const USAGE = `usage: memeguard check <image|-> [options]
  <image>            an image file, or - to read it from stdin
  --caption TEXT     the caption (default: read it from the image with OCR)
  --models DIR       the model pack (default: $MEMEGUARD_MODELS, else models/default)
  --threshold X      decide at X in [0, 1] instead of the pack's threshold
  --no-explain       skip the word-by-word explanation (one text batch less)
  --json             print one JSON object`;

/** parseArgs that turns its errors into USAGE errors (one line, exit 1). */
export function parseCli<T extends ParseArgsConfig>(config: T, usage: string) {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (e) {
    throw new MemeguardError('USAGE', (e as Error).message.split('\n')[0], { hint: usage.split('\n')[0] });
  }
}

/**
 * Read an image from a path or stdin ('-'). At most maxBytes + 1 bytes are read, so a huge file costs no memory
 * and is still refused by the image loader as too large.
 */
export async function readImageArg(arg: string, maxBytes = DEFAULT_IMAGE_LIMITS.maxBytes): Promise<Uint8Array> {
  const limit = maxBytes + 1;
  if (arg === '-') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      const b = chunk as Buffer;
      chunks.push(b);
      total += b.length;
      if (total >= limit) break;
    }
    return Buffer.concat(chunks).subarray(0, limit);
  }
  let fh;
  try {
    fh = await open(arg, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new MemeguardError('BAD_INPUT', `cannot read ${arg}: ${why}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new MemeguardError('BAD_INPUT', `${arg} is not a file`);
    const buf = Buffer.alloc(Math.min(st.size, limit));
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } catch (e) {
    if (e instanceof MemeguardError) throw e;
    throw new MemeguardError('BAD_INPUT', `cannot read ${arg}: ${(e as Error).message}`);
  } finally {
    await fh.close();
  }
}

function parseThreshold(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1) {
    throw new MemeguardError('USAGE', `--threshold must be a number from 0 to 1, got "${raw}"`);
  }
  return x;
}

function score(p: number | null, reason?: string): string {
  return p === null ? `-     (${reason ?? 'not scored'})` : p.toFixed(4);
}

/** The verdict for a person. */
export function formatVerdict(v: Verdict): string {
  const lines = [
    `${v.verdict === 'hateful' ? 'HATEFUL' : 'not hateful'}  score ${v.score.toFixed(4)}  threshold ${v.threshold}  fusion ${v.fusion}`,
    `caption (${v.caption.source}): ${v.caption.text ? JSON.stringify(v.caption.text.length > 200 ? v.caption.text.slice(0, 200) + '…' : v.caption.text) : '(none)'}`,
    `text:  ${score(v.text.score, v.text.reason)}`,
    `image: ${score(v.image.score, v.image.reason)}`,
    v.explanation.summary,
  ];
  if (v.explanation.words.length > 0) {
    const top = v.explanation.words.slice(0, 8).map((w) => `${w.word} ${w.effect >= 0 ? '+' : ''}${w.effect.toFixed(4)}`);
    lines.push(`words: ${top.join(', ')}`);
  }
  lines.push(
    `timings (ms, ${v.device}): ${Object.entries(v.timings_ms)
      .map(([k, ms]) => `${k} ${ms}`)
      .join(', ')}`,
  );
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  // A person at a terminal gets one line per problem; MEMEGUARD_LOG=info|warn|debug shows the structured log too.
  process.env.MEMEGUARD_LOG ??= 'error';
  const { values, positionals } = parseCli(
    {
      args: argv,
      allowPositionals: true,
      options: {
        caption: { type: 'string' },
        models: { type: 'string' },
        threshold: { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-explain': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    throw new MemeguardError('USAGE', positionals.length === 0 ? 'check needs an image (a file or -)' : 'check takes one image', {
      hint: USAGE.split('\n')[0],
    });
  }
  const threshold = parseThreshold(values.threshold as string | undefined);
  const image = await readImageArg(positionals[0]);
  const engine = await createEngine({ packDir: values.models as string | undefined });
  try {
    const v = await engine.analyze({
      image,
      caption: values.caption as string | undefined,
      threshold,
      explain: !values['no-explain'],
    });
    process.stdout.write((values.json ? JSON.stringify(v) : formatVerdict(v)) + '\n');
    return 0;
  } finally {
    await engine.close();
  }
}
