/**
 * The synthetic WordPiece vocabulary: BERT's special tokens, punctuation, single letters (so that any Latin word
 * can be split into pieces), a few hundred real English words and common suffixes. Real BERT puts [PAD] at 0 and
 * [UNK]/[CLS]/[SEP]/[MASK] at 100–103; here they are 0–4 for tiny models, and bert-base ids when the vocabulary
 * is full-size (30522), with `[unusedN]` filling the rest.
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

const PUNCTUATION = [...`!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`];
const DIGITS = [...'0123456789'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];

export const WORDS = `the of and to a in is it you that he was for on are with as i his they be at one have this
from or had by not but what some we can out other were all there when up use your how said an each she which do
their time if will way about many then them write would like so these her long make thing see him two has look
more day could go come did number sound no most people my over know water than call first who may down side been
now find any new work part take get place made live where after back little only round man year came show every
good me give our under name very through just form sentence great think say help low line differ turn cause much
mean before move right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light kind off need
house picture try us again animal point mother world near build self earth father head stand own page should
country found answer school grow study still learn plant cover food sun four between state keep eye never last
let thought city tree cross farm hard start might story saw far sea draw left late run don while press close
night real life few north open seem together next white children begin got walk example ease paper group always
music those both mark often letter until mile river car feet care second book carry took science eat room friend
began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual
young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure door
product black short numeral class wind question happen complete ship area half rock order fire south problem
piece told knew pass since top whole king space heard best hour better true during hundred five remember step
early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several
love hate cat meme funny joke muslim jewish black women immigrant religion war gun kill attack terrorist
monkey trash dirty stupid ugly beautiful happy sad angry friends neighbors money vote free country flag`
  .split(/\s+/)
  .filter((w) => w.length > 0);

const SUFFIXES = ['##s', '##es', '##ed', '##ing', '##ly', '##er', '##est', '##ness', "##n't"];

/** Every entry in id order. Words are de-duplicated; `size` pads with [unusedN] (or throws if too small). */
export function buildVocab(size?: number): string[] {
  const fullBert = size !== undefined && size >= 1000;
  const head: string[] = fullBert
    ? ['[PAD]', ...Array.from({ length: 99 }, (_, i) => `[unused${i}]`), '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    : [...SPECIAL_TOKENS];
  const seen = new Set(head);
  const out = [...head];
  const add = (t: string) => {
    if (!seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  for (const t of [...PUNCTUATION, ...DIGITS, ...LETTERS, ...WORDS, ...SUFFIXES, ...LETTERS.map((l) => `##${l}`)]) add(t);
  if (size !== undefined) {
    if (out.length > size) throw new Error(`a vocabulary of ${size} cannot hold the ${out.length} base tokens`);
    for (let i = 99; out.length < size; i++) add(`[unused${i}]`);
  }
  return out;
}
