/**
 * A bert-base-uncased-shaped WordPiece vocabulary of 30,522 entries, generated (the real vocab.txt cannot be
 * downloaded here). Layout as the real one: [PAD] at 0, [unused0..98] at 1–99, [UNK] [CLS] [SEP] [MASK] at 100–103,
 * then single characters, whole English words (the project's synthetic words and the benchmark's caption lexicon,
 * with their common inflections), "##" continuation pieces (single letters, suffixes, all letter pairs and triples)
 * and word-initial letter pairs and triples. The effect: everyday caption words are one token each, as in
 * bert-base-uncased, and words the vocabulary lacks (OCR slips, names) split into pieces of two or three letters,
 * so captions tokenize into realistic token counts and the model's compute per caption is the real one.
 */
import { WORDS } from '../synth/onnx/vocab.js';
import { CAPTION_LEXICON } from './captions.js';

export const BERT_BASE_VOCAB_SIZE = 30522;

const PUNCTUATION = [...`!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`];
const DIGITS = [...'0123456789'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const SUFFIXES = ['s', 'es', 'ed', 'ing', 'ly', 'er', 'ers', 'est', 'ness', 'ment', 'able', 'ful', 'less', 'tion', 'ion', "n't"];

function inflections(word: string): string[] {
  if (word.length < 3 || !/^[a-z]+$/.test(word)) return [word];
  const stem = word.endsWith('e') ? word.slice(0, -1) : word;
  return [word, `${word}s`, `${stem}ed`, `${stem}ing`];
}

/** The vocabulary in id order; `size` defaults to bert-base's 30,522. */
export function buildBertBaseVocab(size = BERT_BASE_VOCAB_SIZE): string[] {
  const out: string[] = ['[PAD]', ...Array.from({ length: 99 }, (_, i) => `[unused${i}]`), '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const seen = new Set(out);
  const add = (t: string): void => {
    if (out.length < size && !seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  for (const t of [...PUNCTUATION, ...DIGITS, ...LETTERS]) add(t);
  for (const w of [...WORDS, ...CAPTION_LEXICON]) for (const f of inflections(w.toLowerCase())) add(f);
  for (const s of SUFFIXES) add(`##${s}`);
  for (const c of [...LETTERS, ...DIGITS]) add(`##${c}`);
  const pairs = LETTERS.flatMap((a) => LETTERS.map((b) => a + b));
  for (const p of pairs) add(`##${p}`);
  for (const p of pairs) add(p);
  const triples = pairs.flatMap((p) => LETTERS.map((c) => p + c));
  // Interleave continuation and word-initial triples so both kinds exist whatever `size` cuts off.
  for (const t of triples) {
    add(`##${t}`);
    add(t);
  }
  for (let i = 99; out.length < size; i++) add(`[unused${i}]`);
  return out;
}
