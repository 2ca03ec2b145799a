/**
 * Adjusting many p-values at once. Benjamini–Hochberg (1995): with the m p-values sorted,
 * p_(1) ≤ … ≤ p_(m), the adjusted value of p_(i) is min_{j ≥ i} min(1, m·p_(j)/j), so that
 * rejecting every hypothesis whose adjusted value is ≤ α controls the false discovery rate at α
 * for independent (or positively dependent) tests. The same values as R's
 * `p.adjust(p, "BH")` and scipy's `false_discovery_control(p, method='bh')`.
 */
import { InputError } from '../errors';

/** Benjamini–Hochberg adjusted p-values (q-values), in the order the p-values were given. */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  pValues.forEach((p, index) => {
    if (!(p >= 0 && p <= 1)) throw new InputError(`p-value ${index} is ${p}, expected a number in [0, 1]`, { field: 'pValues' });
  });
  // Ties keep their given order so that equal p-values get equal adjusted values either way.
  const order = pValues.map((_, index) => index).sort((a, b) => pValues[a] - pValues[b] || a - b);
  const adjusted = new Array<number>(m);
  let smallest = 1;
  for (let rank = m; rank >= 1; rank--) {
    const index = order[rank - 1];
    smallest = Math.min(smallest, (m * pValues[index]) / rank);
    adjusted[index] = smallest;
  }
  return adjusted;
}
