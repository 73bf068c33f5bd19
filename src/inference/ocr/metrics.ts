/**
 * OCR error rates, as the benchmark and the quality tests count them: both texts lowercased, reduced to letters,
 * digits and single spaces; CER = character edit distance / reference length, WER = word edit distance / words.
 */

export function normalizeForScoring(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9\s]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Levenshtein distance between two sequences. */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

export interface ErrorCounts {
  charErrors: number;
  chars: number;
  wordErrors: number;
  words: number;
}

/** Edit counts of one reading against its reference (sum these over a set, then divide). */
export function errorCounts(reference: string, hypothesis: string): ErrorCounts {
  const ref = normalizeForScoring(reference);
  const hyp = normalizeForScoring(hypothesis);
  const refWords = ref ? ref.split(' ') : [];
  const hypWords = hyp ? hyp.split(' ') : [];
  return {
    charErrors: editDistance(ref, hyp),
    chars: ref.length,
    wordErrors: editDistance(refWords, hypWords),
    words: refWords.length,
  };
}

/** Character error rate (can exceed 1 when the reading adds junk). */
export function cer(reference: string, hypothesis: string): number {
  const c = errorCounts(reference, hypothesis);
  return c.chars === 0 ? (c.charErrors === 0 ? 0 : 1) : c.charErrors / c.chars;
}

/** Word error rate. */
export function wer(reference: string, hypothesis: string): number {
  const c = errorCounts(reference, hypothesis);
  return c.words === 0 ? (c.wordErrors === 0 ? 0 : 1) : c.wordErrors / c.words;
}
