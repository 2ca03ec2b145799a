/**
 * Whether a split's text is in the language a text encoder was trained for, for encoders that
 * know only one (USE-lite: English). Two cheap checks over all of a split's texts (questions,
 * model answers, reference answers) together:
 * 1. Script: the share of letters (`\p{L}`) in the Latin script. Below one half the text is
 *    mostly another script (Han, Cyrillic, Arabic, Devanagari, Hangul, …; the most frequent one
 *    is named).
 * 2. Function words, for Latin-script text: the share of Latin-script words that are among 60
 *    of the most frequent English function words (the, is, of, what, …). English prose is
 *    30–50 % such words; question/answer splits with one-word answers stay above 15 %; French,
 *    Spanish, German, Italian, Portuguese, Dutch, Vietnamese or Indonesian text shares only a
 *    handful (a, in, to, de…: "de" is not in the list) and scores under 5 %. With fewer than 20
 *    Latin-script words the check abstains.
 * What it misses: English written in another script (transliterated), code-mixed text that is
 * mostly English, and a Latin-script language that happens to share English function words
 * (Scots, pidgins); very short splits of single-word answers in another Latin-script language
 * (fewer than 20 words) pass. It detects a language, not whether the text is fluent English.
 */
import type { TextLanguageRecord } from '../interface';

export type { TextLanguageRecord } from '../interface';
/** The result of `textLanguageCheck` (what manifests and provenance record). */
export type TextLanguageCheck = TextLanguageRecord;

/** Below this share of Latin letters, text is mostly in another script. */
export const MIN_LATIN_SHARE = 0.5;
/** Below this share of English function words among Latin-script words, text is mostly another language. */
export const MIN_ENGLISH_WORD_SHARE = 0.05;
/** Fewer Latin-script words than this and the function-word check abstains. */
export const MIN_WORDS_FOR_WORD_CHECK = 20;

const ENGLISH_FUNCTION_WORDS = new Set(
  (
    'the a an and or but if of to in on at by for with from as into about than then ' +
    'is are was were be been being am do does did have has had will would can could should may might must ' +
    'what which who whom whose where when why how this that these those there here it its ' +
    'i you he she we they me him her us them my your our their not no yes'
  ).split(' '),
);

const SCRIPTS: readonly [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Bengali', /\p{Script=Bengali}/u],
  ['Thai', /\p{Script=Thai}/u],
];

const LETTER = /\p{L}/u;
const WORD = /[\p{L}\p{M}'’]+/gu;
const LATIN_WORD = /^\p{Script=Latin}/u;

function scriptOf(char: string): string {
  for (const [name, pattern] of SCRIPTS) if (pattern.test(char)) return name;
  return 'other';
}

/**
 * Checks texts against English (the only language this knows; see the module comment). The
 * record says what was measured and, when the text is mostly outside English, why.
 */
export function textLanguageCheck(texts: readonly string[], language = 'en'): TextLanguageCheck {
  if (language !== 'en') throw new Error(`the language check knows English ('en') only, not '${language}'`);
  const scripts = new Map<string, number>();
  let letters = 0;
  let latinWords = 0;
  let functionWords = 0;
  for (const text of texts) {
    for (const char of text) {
      if (!LETTER.test(char)) continue;
      letters++;
      const script = scriptOf(char);
      scripts.set(script, (scripts.get(script) ?? 0) + 1);
    }
    for (const word of text.toLowerCase().match(WORD) ?? []) {
      if (!LATIN_WORD.test(word)) continue;
      latinWords++;
      if (ENGLISH_FUNCTION_WORDS.has(word.replace(/['’].*$/u, ''))) functionWords++;
    }
  }
  const latinShare = letters === 0 ? 1 : (scripts.get('Latin') ?? 0) / letters;
  const englishWordShare = latinWords === 0 ? null : functionWords / latinWords;
  const dominant = [...scripts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  let reason: string | null = null;
  if (latinShare < MIN_LATIN_SHARE) {
    reason = `${((1 - latinShare) * 100).toFixed(0)} % of its letters are not Latin script (mostly ${dominant})`;
  } else if (latinWords >= MIN_WORDS_FOR_WORD_CHECK && englishWordShare !== null && englishWordShare < MIN_ENGLISH_WORD_SHARE) {
    reason = `only ${(englishWordShare * 100).toFixed(1)} % of its words are common English function words (English text has over 15 %)`;
  }
  return {
    language,
    method: 'script share and English function-word share',
    texts: texts.length,
    letters,
    latin_share: Number(latinShare.toFixed(4)),
    english_word_share: englishWordShare === null ? null : Number(englishWordShare.toFixed(4)),
    dominant_script: dominant,
    mostly_outside: reason !== null,
    reason,
  };
}
