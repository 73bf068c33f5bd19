/**
 * Meme captions for the benchmark: seeded English sentences of 5–25 words drawn from an everyday lexicon, split
 * into top/bottom lines the way image macros are written. The lexicon also seeds the benchmark vocabulary
 * (src/bench/vocab.ts), so a caption tokenizes the way bert-base-uncased tokenizes everyday English: about one
 * token per word, more for words the vocabulary does not hold whole.
 */

export const CAPTION_LEXICON: readonly string[] = (
  'when you the and my me your this that it is was not what why how who finally everyone nobody people friend ' +
  'mom dad boss teacher cat dog baby grandma neighbor coworker internet monday weekend coffee pizza homework money ' +
  'phone computer code bug party game movie night morning school work office meeting email sees tries finds says ' +
  'thinks wants needs forgets remembers realizes explains asks tells gets makes breaks first last only every just ' +
  'still never always again already really actually literally totally big small good bad new old happy sad angry ' +
  'tired hungry lazy crazy funny weird perfect broken time day year life world home car bus train door window ' +
  'kitchen fridge sandwich cake dinner lunch one two three ten but so then now here there after before without ' +
  'because me myself we us they them their our his her he she be been being have has had do does did will would ' +
  'can could should must may might shall going gonna wanna know think feel look see hear say tell call come go ' +
  'leave stay sleep wake eat drink cook clean buy sell pay win lose start stop try fail learn teach read write ' +
  'watch play sing dance run walk drive fly swim climb fall jump laugh cry smile yell hate love like want need ' +
  'hope wish pretend forget remember understand explain believe trust wait hurry finish begin change keep give take ' +
  'bring send show hide find lose open close turn move live die kill save help hurt fix break build burn wash ' +
  'very too much many more most less least enough some any all no none nothing something everything anything ' +
  'someone anyone nothing nowhere somewhere everywhere today tonight tomorrow yesterday week month minute hour ' +
  'second moment forever later soon early late year summer winter spring autumn holiday birthday christmas vacation ' +
  'family kids children parents brother sister uncle aunt cousin wife husband girlfriend boyfriend crush ex ' +
  'student teachers class exam test grade college job salary rent bills taxes bank wallet credit card price sale ' +
  'food water beer wine tea milk bread cheese burger fries chicken rice soup salad candy chocolate cookie snack ' +
  'house room bed couch chair table floor wall roof garden street city country town village road shop store mall ' +
  'gym doctor hospital police government president king queen people guy girl man woman men women boy boys girls ' +
  'friends neighbors strangers enemies team fans players gamers nerds memes meme joke jokes face head hands feet ' +
  'eyes brain heart stomach hair teeth voice body mind soul dream dreams nightmare problem problems solution idea ' +
  'plan mistake reason excuse truth lie lies story news video picture photo selfie post comment likes followers ' +
  'wifi battery charger laptop keyboard mouse screen update password account server database software ' +
  'hardware printer robot machine car bike plane ticket seat window traffic weather rain snow sun heat cold ' +
  'hot warm cool nice great awesome terrible awful horrible amazing boring scary cute ugly pretty smart stupid ' +
  'dumb rich poor young old fast slow loud quiet easy hard simple difficult wrong right true false real fake ' +
  'same different important serious honest strange normal special favorite whole half full empty clean dirty'
)
  .split(/\s+/)
  .filter((w, i, all) => w.length > 0 && all.indexOf(w) === i);

export interface BenchCaption {
  top: string;
  bottom?: string;
  /** The caption as one line (top then bottom). */
  text: string;
  words: number;
}

/** A seeded caption of `words` words (5–25 for realistic memes), split into top and bottom lines past 6 words. */
export function makeCaption(rand: () => number, words: number): BenchCaption {
  const ws = Array.from({ length: words }, () => CAPTION_LEXICON[Math.floor(rand() * CAPTION_LEXICON.length)]);
  if (words <= 6) return { top: ws.join(' '), text: ws.join(' '), words };
  const cut = Math.max(2, Math.min(words - 2, Math.round(words * (0.35 + rand() * 0.3))));
  const top = ws.slice(0, cut).join(' ');
  const bottom = ws.slice(cut).join(' ');
  return { top, bottom, text: `${top} ${bottom}`, words };
}
