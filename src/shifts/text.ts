/**
 * Synthetic question shifts: keyboard typos, synonym replacement (EDA's "sr", Wei & Zou 2019)
 * and local word-order noise. Deterministic from the seed, severity 0 is the identity.
 *
 * Randomness is drawn per character or per word in a fixed order that does not depend on the
 * severity, and severity only moves a threshold. So for one seed the edits at a low severity are
 * a subset of those at a higher one, and a severity sweep measures a strictly growing shift
 * rather than unrelated random draws.
 */
import { InputError } from '../errors';
import { createRng } from '../random';
import { synonymsOf } from './thesaurus';

/** The text shifts applyTextShift knows. */
export const TEXT_SHIFT_NAMES = ['keyboard_typos', 'synonym_replacement', 'word_order_noise'] as const;
/** One of `TEXT_SHIFT_NAMES`, also the shift's family token in split names and manifests. */
export type TextShiftName = (typeof TEXT_SHIFT_NAMES)[number];

/**
 * Highest severity per shift. Synonym replacement follows EDA's naming, where sr_k replaces a
 * fraction k/10 of the words (the paper's sr_4 and sr_7 are severities 4 and 7).
 */
export const TEXT_SHIFT_MAX_SEVERITY: Readonly<Record<TextShiftName, number>> = {
  keyboard_typos: 5,
  synonym_replacement: 10,
  word_order_noise: 5,
};

function checkText(text: string, shift: string): void {
  if (typeof text !== 'string') throw new InputError(`${shift} needs a string, got ${typeof text}`);
}

function checkSeverity(severity: number, shift: TextShiftName): void {
  const max = TEXT_SHIFT_MAX_SEVERITY[shift];
  if (!Number.isInteger(severity) || severity < 0 || severity > max) {
    throw new InputError(`${shift} severity must be an integer from 0 to ${max}, got ${severity}`);
  }
}

function checkSeed(seed: number, shift: string): void {
  if (!Number.isFinite(seed)) throw new InputError(`${shift} needs a finite numeric seed, got ${seed}`);
}

const KEYBOARD_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

function buildNeighbours(): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  for (let r = 0; r < KEYBOARD_ROWS.length; r++) {
    const row = KEYBOARD_ROWS[r];
    for (let i = 0; i < row.length; i++) {
      const keys: string[] = [];
      const add = (rowIndex: number, col: number): void => {
        const key = KEYBOARD_ROWS[rowIndex]?.[col];
        if (key !== undefined && col >= 0) keys.push(key);
      };
      add(r, i - 1);
      add(r, i + 1);
      // Each row sits about half a key right of the one above, so a key touches the keys at
      // the same and the next column above, and at the previous and the same column below.
      add(r - 1, i);
      add(r - 1, i + 1);
      add(r + 1, i - 1);
      add(r + 1, i);
      map.set(row[i], Object.freeze(keys));
    }
  }
  return map;
}

/** Lower-case key → the keys physically touching it on a US QWERTY keyboard. */
export const KEYBOARD_NEIGHBOURS: ReadonlyMap<string, readonly string[]> = buildNeighbours();

export type TypoOperation = 'replace' | 'insert' | 'delete';

export interface KeyboardTypoOptions {
  /** Edits to choose from; default all three. Replacement is three times as likely as each other. */
  operations?: readonly TypoOperation[] | undefined;
}

/** Probability that a letter or digit is mistyped, per severity. */
const TYPO_RATE = [0, 0.03, 0.06, 0.09, 0.12, 0.15];
const TYPO_WEIGHT: Record<TypoOperation, number> = { replace: 3, insert: 1, delete: 1 };

function neighbourOf(char: string, pick: number): string | undefined {
  const keys = KEYBOARD_NEIGHBOURS.get(char.toLowerCase());
  if (keys === undefined) return undefined;
  const key = keys[Math.floor(pick * keys.length)];
  return char !== char.toLowerCase() ? key.toUpperCase() : key;
}

/**
 * Keyboard typos: each letter or digit is, with a probability growing with severity, replaced by
 * a neighbouring key, joined by a neighbouring key typed just after it, or dropped. Case is kept.
 */
export function keyboardTypos(text: string, severity: number, seed: number, options: KeyboardTypoOptions = {}): string {
  checkText(text, 'keyboard_typos');
  checkSeverity(severity, 'keyboard_typos');
  checkSeed(seed, 'keyboard_typos');
  const operations = options.operations ?? ['replace', 'insert', 'delete'];
  if (operations.length === 0 || operations.some((op) => !(op in TYPO_WEIGHT))) {
    throw new InputError(`keyboard_typos operations must be a non-empty subset of replace, insert, delete`);
  }
  if (severity === 0) return text;
  const rate = TYPO_RATE[severity];
  const totalWeight = operations.reduce((sum, op) => sum + TYPO_WEIGHT[op], 0);
  const rng = createRng(seed);
  const out: string[] = [];
  for (const char of text) {
    const hit = rng.next();
    const opPick = rng.next() * totalWeight;
    const keyPick = rng.next();
    const neighbour = neighbourOf(char, keyPick);
    if (neighbour === undefined || hit >= rate) {
      out.push(char);
      continue;
    }
    let op = operations[0];
    let acc = 0;
    for (const candidate of operations) {
      acc += TYPO_WEIGHT[candidate];
      if (opPick < acc) {
        op = candidate;
        break;
      }
    }
    if (op === 'replace') out.push(neighbour);
    else if (op === 'insert') out.push(char, neighbour);
    // delete pushes nothing
  }
  return out.join('');
}

const WORD = /[A-Za-z]+(?:['’-][A-Za-z]+)*/g;

interface WordSpan {
  start: number;
  end: number;
  word: string;
}

function wordSpans(text: string): WordSpan[] {
  const spans: WordSpan[] = [];
  for (const match of text.matchAll(WORD)) {
    const start = match.index ?? 0;
    spans.push({ start, end: start + match[0].length, word: match[0] });
  }
  return spans;
}

function replaceSpans(text: string, spans: readonly WordSpan[], words: readonly string[]): string {
  let out = '';
  let cursor = 0;
  for (let i = 0; i < spans.length; i++) {
    out += text.slice(cursor, spans[i].start) + words[i];
    cursor = spans[i].end;
  }
  return out + text.slice(cursor);
}

/** Gives `replacement` the capitalisation pattern of `original` (ALL CAPS, Capitalised or lower). */
export function matchCase(original: string, replacement: string): string {
  if (original.length > 1 && original === original.toUpperCase() && original !== original.toLowerCase()) {
    return replacement.toUpperCase();
  }
  if (original[0] !== original[0].toLowerCase()) return replacement[0].toUpperCase() + replacement.slice(1);
  return replacement;
}

/**
 * Synonym replacement: a fraction severity/10 of the words (rounded, at least one when any can
 * be replaced) is swapped for a synonym from the built-in thesaurus. Words the thesaurus lacks are
 * never touched, so at high severities fewer words than the fraction may change. Punctuation,
 * spacing and each word's capitalisation are kept.
 */
export function synonymReplacement(text: string, severity: number, seed: number): string {
  checkText(text, 'synonym_replacement');
  checkSeverity(severity, 'synonym_replacement');
  checkSeed(seed, 'synonym_replacement');
  if (severity === 0) return text;
  const spans = wordSpans(text);
  const rng = createRng(seed);
  const candidates: Array<{ index: number; priority: number; synonym: string }> = [];
  for (let i = 0; i < spans.length; i++) {
    const priority = rng.next();
    const pick = rng.next();
    const synonyms = synonymsOf(spans[i].word);
    if (synonyms.length > 0) {
      candidates.push({ index: i, priority, synonym: synonyms[Math.floor(pick * synonyms.length)] });
    }
  }
  if (candidates.length === 0) return text;
  const wanted = Math.max(1, Math.round((severity / 10) * spans.length));
  candidates.sort((a, b) => a.priority - b.priority);
  const words = spans.map((s) => s.word);
  for (const { index, synonym } of candidates.slice(0, wanted)) words[index] = matchCase(words[index], synonym);
  return replaceSpans(text, spans, words);
}

/** Fraction of the words taking part in a swap, per severity. */
const SWAP_RATE = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
/** How far apart two swapped words may be, so the question stays locally recognisable. */
const SWAP_REACH = 2;

/**
 * Word-order noise: swaps of words at most two positions apart, their number growing with
 * severity. Punctuation and spacing stay where they were; words move with their own case.
 * A higher severity performs the same first swaps as a lower one and then more.
 */
export function wordOrderNoise(text: string, severity: number, seed: number): string {
  checkText(text, 'word_order_noise');
  checkSeverity(severity, 'word_order_noise');
  checkSeed(seed, 'word_order_noise');
  if (severity === 0) return text;
  const spans = wordSpans(text);
  if (spans.length < 2) return text;
  const swaps = Math.max(1, Math.round((SWAP_RATE[severity] * spans.length) / 2));
  const words = spans.map((s) => s.word);
  const rng = createRng(seed);
  for (let k = 0; k < swaps; k++) {
    const i = rng.int(words.length);
    const offset = 1 + rng.int(SWAP_REACH);
    const j = i + offset < words.length ? i + offset : Math.max(0, i - offset);
    if (i === j) continue;
    [words[i], words[j]] = [words[j], words[i]];
  }
  return replaceSpans(text, spans, words);
}

/** Applies the named shift. */
export function applyTextShift(name: TextShiftName | string, text: string, severity: number, seed: number): string {
  switch (name) {
    case 'keyboard_typos':
      return keyboardTypos(text, severity, seed);
    case 'synonym_replacement':
      return synonymReplacement(text, severity, seed);
    case 'word_order_noise':
      return wordOrderNoise(text, severity, seed);
    default:
      throw new InputError(`unknown text shift '${name}'; expected one of ${TEXT_SHIFT_NAMES.join(', ')}`);
  }
}
