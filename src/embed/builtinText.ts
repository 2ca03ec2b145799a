/**
 * The built-in text embedder: hashed character n-grams. It needs no model files and no network,
 * runs in microseconds per text, and gives the same vector for the same text on every machine,
 * which makes it the default for tests, demos and a first look at a dataset. It is a stand-in,
 * not a replacement for the paper's XLM-RoBERTa embeddings: it sees surface form (spelling,
 * script, shared words), not meaning, so numbers computed on it are not comparable to the
 * published ones.
 *
 * Definition (changing any of it changes `BUILTIN_TEXT_EMBEDDER_ID` and the pinned test values):
 * 1. Normalise: Unicode NFKC, `toLowerCase()` (locale-independent), whitespace runs collapsed to
 *    one space, trimmed.
 * 2. Split into words on whitespace. Each word, as a sequence of code points, is wrapped in the
 *    boundary markers 0x110000 (start) and 0x110001 (end): values just above the Unicode range,
 *    so no character of any text can be mistaken for a boundary.
 * 3. Features: every character n-gram of the wrapped word for n = 1..4 (a lone marker is not a
 *    feature), plus the whole wrapped word. Working on code points, not bytes or words, is what
 *    makes this multilingual: scripts without spaces (Chinese, Japanese) still yield n-grams, and
 *    no vocabulary can be missing a language.
 * 4. Hash: MurmurHash3 x86_32 of the feature's code points as 32-bit words (i.e. of its UTF-32LE
 *    encoding), seed `TEXT_HASH_SEED + n` for an n-gram and `TEXT_HASH_SEED + 0x100` for a whole
 *    word, so equal strings of different roles never share a hash.
 * 5. Signed feature hashing: bucket = (hash & 0x7fffffff) mod 768, sign = − if bit 31 is set.
 *    The random sign makes collisions cancel in expectation instead of piling up.
 * 6. Weight: sublinear term frequency 1 + ln(count), times 0.5 for 1-grams (single characters
 *    mostly identify the script, and would otherwise dominate short texts).
 * 7. L2-normalise. An empty (or all-whitespace) text is the single feature "empty" hashed with
 *    seed `TEXT_HASH_SEED + 0x200`, so it too has a fixed unit vector.
 */
import { InputError } from '../errors';
import type { Matrix } from '../interface';
import type { Embedder } from './embedder';

export const BUILTIN_TEXT_DIMENSION = 768;
/** Seed of the n-gram hash. Part of the embedder's definition: never change it silently. */
export const TEXT_HASH_SEED = 0x2502_0577;
export const BUILTIN_TEXT_EMBEDDER_ID = 'emishift-builtin-text-v1 (hashed char 1-4-grams + words, murmur3 seed 0x25020577, 768-d)';

const MAX_N = 4;
const WORD_SEED_OFFSET = 0x100;
const EMPTY_SEED_OFFSET = 0x200;
const UNIGRAM_WEIGHT = 0.5;
const WORD_START = 0x110000;
const WORD_END = 0x110001;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** MurmurHash3 x86_32 of `count` 32-bit words `words[start..start+count)`. */
export function murmur3Words(words: ArrayLike<number>, start: number, count: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < count; i++) {
    let k = words[start + i] >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = rotl32(k, 15);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= count * 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Step 1 of the definition: NFKC, lower case, single spaces. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * Counts of each hashed feature of one text, keyed by hash (a collision of two different
 * features on all 32 bits is rare enough to ignore), with the feature's weight factor.
 */
function featureCounts(text: string): Map<number, { count: number; weight: number }> {
  const counts = new Map<number, { count: number; weight: number }>();
  const add = (hash: number, weight: number): void => {
    const entry = counts.get(hash);
    if (entry) entry.count += 1;
    else counts.set(hash, { count: 1, weight });
  };
  const normalized = normalizeText(text);
  if (normalized === '') {
    add(murmur3Words([0x65, 0x6d, 0x70, 0x74, 0x79], 0, 5, TEXT_HASH_SEED + EMPTY_SEED_OFFSET), 1);
    return counts;
  }
  for (const word of normalized.split(' ')) {
    const points: number[] = [WORD_START];
    for (const char of word) points.push(char.codePointAt(0) as number);
    points.push(WORD_END);
    const length = points.length;
    add(murmur3Words(points, 0, length, TEXT_HASH_SEED + WORD_SEED_OFFSET), 1);
    for (let n = 1; n <= MAX_N; n++) {
      const seed = TEXT_HASH_SEED + n;
      const weight = n === 1 ? UNIGRAM_WEIGHT : 1;
      for (let i = 0; i + n <= length; i++) {
        if (n === 1 && (i === 0 || i === length - 1)) continue;
        add(murmur3Words(points, i, n, seed), weight);
      }
    }
  }
  return counts;
}

/** The built-in vector of one text (length `BUILTIN_TEXT_DIMENSION`, unit norm). */
export function embedTextBuiltin(text: string, out: Float32Array = new Float32Array(BUILTIN_TEXT_DIMENSION)): Float32Array {
  const accumulator = new Float64Array(BUILTIN_TEXT_DIMENSION);
  for (const [hash, { count, weight }] of featureCounts(text)) {
    const bucket = (hash & 0x7fffffff) % BUILTIN_TEXT_DIMENSION;
    const value = weight * (1 + Math.log(count));
    accumulator[bucket] += hash & 0x80000000 ? -value : value;
  }
  let norm = 0;
  for (let i = 0; i < accumulator.length; i++) norm += accumulator[i] * accumulator[i];
  norm = Math.sqrt(norm);
  // Signed hashing can cancel every feature of a tiny text exactly; a fixed unit vector keeps
  // the row usable rather than producing NaNs downstream.
  if (norm === 0) {
    out.fill(0);
    out[0] = 1;
    return out;
  }
  for (let i = 0; i < accumulator.length; i++) out[i] = accumulator[i] / norm;
  return out;
}

/** The built-in text embedder: deterministic, offline, 768-d hashed character n-grams and words (a stand-in, not a neural encoder). */
export class BuiltinTextEmbedder implements Embedder {
  readonly id = BUILTIN_TEXT_EMBEDDER_ID;
  readonly family = 'builtin';
  readonly encoder = { model: 'emishift-builtin-text-v1', pooling: 'sum of signed hashed character 1-4-grams and words' };
  readonly dimension = BUILTIN_TEXT_DIMENSION;

  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    const data = new Float32Array(texts.length * BUILTIN_TEXT_DIMENSION);
    texts.forEach((text, i) => {
      if (typeof text !== 'string') throw new InputError(`text ${i} is ${text === null ? 'null' : typeof text}, not a string`, { field: `texts[${i}]` });
      embedTextBuiltin(text, data.subarray(i * BUILTIN_TEXT_DIMENSION, (i + 1) * BUILTIN_TEXT_DIMENSION));
    });
    return { rows: texts.length, cols: BUILTIN_TEXT_DIMENSION, data };
  }
}
