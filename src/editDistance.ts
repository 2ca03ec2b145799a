/** Levenshtein distance (insertions, deletions, substitutions each cost 1), in O(|a|·|b|). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * What `word` was probably meant to be: the one candidate it abbreviates (`boot` → `bootstrap`),
 * else the candidate closest by edit distance when close enough to be a typo (1 edit for words of
 * up to 3 letters, else a third of the length rounded up, at most 3; a swap of two letters is 2).
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const extending = candidates.filter((candidate) => word.length >= 3 && candidate.startsWith(word));
  if (extending.length === 1) return extending[0];
  const allowed = word.length <= 3 ? 1 : Math.min(3, Math.ceil(word.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** " (did you mean 'X'?)" or nothing. */
export function didYouMean(word: string, candidates: readonly string[], render: (candidate: string) => string = (candidate) => candidate): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean '${render(match)}'?)`;
}
