/**
 * The text model's tokenizer, from its own folder's tokenizer.json / tokenizer_config.json through
 * @huggingface/transformers, strictly offline (remote models disabled, local files only).
 *
 * Truncation follows the Python tokenizers: the text is cut to maxLength minus the special tokens, and the
 * template's [CLS] … [SEP] is kept whole (transformers.js's own truncation would cut the final [SEP]).
 * Batches are padded on the right to their longest item with the pad token and attention mask 0.
 */
import { AutoTokenizer, env } from '@huggingface/transformers';
import { MemeguardError } from '../../errors.js';
import { requireFile } from './folder.js';

type HfTokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;

export interface TokenizedBatch {
  /** Each text's ids, without padding. */
  ids: number[][];
  batch: number;
  sequence: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

/** No model files may be fetched at run time (DESIGN.md); `memeguard models pull` is the only way in. */
export function disableRemoteModels(): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = '/';
}

export class TextTokenizer {
  private constructor(
    private readonly tok: HfTokenizer,
    readonly maxLength: number,
    readonly padId: number,
    private readonly prefix: number,
    private readonly suffix: number,
  ) {}

  static async load(dir: string, maxLength: number): Promise<TextTokenizer> {
    await requireFile(dir, 'tokenizer.json', 'the tokenizer');
    await requireFile(dir, 'tokenizer_config.json', 'the tokenizer config');
    disableRemoteModels();
    let tok: HfTokenizer;
    try {
      tok = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    } catch (e) {
      throw new MemeguardError('MODEL_INVALID', `cannot load the tokenizer in ${dir}: ${(e as Error).message}`, {
        hint: 'run `memeguard models pull` to fetch the pack again',
        cause: e,
      });
    }
    // Where the template puts its special tokens around a single sequence ([CLS] $A [SEP]: 1 before, 1 after).
    const body = tok.encode('a', { add_special_tokens: false });
    const full = tok.encode('a', { add_special_tokens: true });
    let prefix = 0;
    while (prefix + body.length <= full.length && full.slice(prefix, prefix + body.length).join() !== body.join()) prefix++;
    if (prefix + body.length > full.length) prefix = 0;
    const suffix = full.length - prefix - body.length;
    if (maxLength <= prefix + suffix) {
      throw new MemeguardError('PACK_INVALID', `maxLength ${maxLength} leaves no room for text after ${prefix + suffix} special tokens`);
    }
    const padId = typeof tok.pad_token_id === 'number' ? tok.pad_token_id : 0;
    return new TextTokenizer(tok, maxLength, padId, prefix, suffix);
  }

  /** One text's ids with special tokens, truncated to maxLength. */
  encode(text: string): number[] {
    const full = this.tok.encode(text, { add_special_tokens: true });
    if (full.length <= this.maxLength) return full;
    const keep = this.maxLength - this.prefix - this.suffix;
    return [
      ...full.slice(0, this.prefix),
      ...full.slice(this.prefix, this.prefix + keep),
      ...full.slice(full.length - this.suffix),
    ];
  }

  /** Token strings of ids (for explanations and debugging). */
  tokens(ids: number[]): string[] {
    return ids.map((id) => this.tok.decode([id], { skip_special_tokens: false }));
  }

  batch(texts: string[]): TokenizedBatch {
    const ids = texts.map((t) => this.encode(t));
    const sequence = Math.max(1, ...ids.map((r) => r.length));
    const n = texts.length * sequence;
    const inputIds = new BigInt64Array(n).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(n);
    ids.forEach((row, b) =>
      row.forEach((id, s) => {
        inputIds[b * sequence + s] = BigInt(id);
        attentionMask[b * sequence + s] = 1n;
      }),
    );
    return { ids, batch: texts.length, sequence, inputIds, attentionMask, tokenTypeIds: new BigInt64Array(n) };
  }
}
