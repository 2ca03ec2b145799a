/**
 * A reference SentencePiece search for the tests: the tokenizer's Viterbi without its prefix
 * pruning (see src/embed/sentencePiece.ts for the rules both follow).
 */
import { normalizeForSentencePiece, UNKNOWN_PENALTY } from '../../src/embed/sentencePiece';

/**
 * The unpruned search the tokenizer's prefix pruning must agree with: every candidate up to the
 * longest piece looked up, relaxed in the same order with the same strict comparison, so the
 * two pick the same path even where scores tie.
 */
export function unprunedEncode(vocabulary: readonly (readonly [string, number])[], text: string): number[] {
  const pieces = new Map<string, { id: number; score: number }>();
  let lowest = Infinity;
  vocabulary.forEach(([piece, score], id) => {
    if (id < 6) return;
    lowest = Math.min(lowest, score);
    const known = pieces.get(piece);
    if (known === undefined || score > known.score) pieces.set(piece, { id, score });
  });
  const longest = Math.max(...[...pieces.keys()].map((piece) => [...piece].length));
  const normalized = normalizeForSentencePiece(text);
  if (normalized === '') return [];
  const symbols = [...`▁${normalized.replaceAll(' ', '▁')}`];
  const best = Array<number>(symbols.length + 1).fill(-Infinity);
  const step = Array<{ start: number; id: number }>(symbols.length + 1);
  best[0] = 0;
  const relax = (start: number, end: number, id: number, score: number) => {
    if (best[start] + score > best[end]) {
      best[end] = best[start] + score;
      step[end] = { start, id };
    }
  };
  for (let start = 0; start < symbols.length; start++) {
    if (best[start] === -Infinity) continue;
    let single = false;
    for (let length = 1; length <= longest && start + length <= symbols.length; length++) {
      const piece = pieces.get(symbols.slice(start, start + length).join(''));
      if (piece === undefined) continue;
      if (length === 1) single = true;
      relax(start, start + length, piece.id, piece.score);
    }
    if (!single) relax(start, start + 1, 0, lowest - UNKNOWN_PENALTY);
  }
  const ids: number[] = [];
  for (let end = symbols.length; end > 0; end = step[end].start) ids.unshift(step[end].id);
  return ids.filter((id, i) => !(id === 0 && i > 0 && ids[i - 1] === 0));
}

