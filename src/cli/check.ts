/**
 * memeguard check <image|-> [--caption TEXT] [--models DIR] [--threshold X] [--json] [--no-explain]
 * Judge one meme: the verdict, each modality's score and the explanation.
 */
import { createEngine } from '../inference/engine.js';
import type { Verdict } from '../inference/types.js';
import { MEME_OPTIONS, oneImageArg, parseCommandLine, probability } from './shared/args.js';
import { readImageArg } from './shared/read-image.js';

const USAGE = `usage: memeguard check <image|-> [options]
  <image>            an image file, or - to read it from stdin
  --caption TEXT     the caption (default: read it from the image with OCR)
  --models DIR       the model pack (default: $MEMEGUARD_MODELS, else models/default)
  --threshold X      decide at X in [0, 1] instead of the pack's threshold
  --no-explain       skip the word-by-word explanation (one text batch less)
  --json             print one JSON object`;

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
  const { values, positionals } = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: { ...MEME_OPTIONS, threshold: { type: 'string' }, 'no-explain': { type: 'boolean', default: false } } as const,
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const imageArg = oneImageArg('check', positionals, USAGE);
  const threshold = probability('threshold', values.threshold);
  const image = await readImageArg(imageArg);
  const engine = await createEngine({ packDir: values.models });
  try {
    const v = await engine.analyze({
      image,
      caption: values.caption,
      threshold,
      explain: !values['no-explain'],
    });
    process.stdout.write((values.json ? JSON.stringify(v) : formatVerdict(v)) + '\n');
    return 0;
  } finally {
    await engine.close();
  }
}
