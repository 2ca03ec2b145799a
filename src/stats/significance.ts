/**
 * The one rule by which a p-value is called significant, shared by the report, the figures, the
 * CLI's p-value line and the monitor's alert: p < α, strictly below the level.
 *
 * Why strictly: the monitor's alert is specified as the adjusted p-value "falling below α", and
 * its resumable log holds alerts decided that way, so the rule the log was written with cannot
 * change under a resumed run; the report's marks are recomputed from stored p-values every time
 * and can follow it. Strict is still a valid level-α rule: for a valid p-value
 * P(p < α) ≤ P(p ≤ α) ≤ α under the null. On a permutation test's grid of p-values
 * (1 + k)/(1 + N) it costs at most one grid step of power (p = α exactly is not significant).
 */

/** The rule in words, for outputs that state it. */
export const SIGNIFICANCE_RULE = 'p < α';

/** Whether `pValue` is significant at level `alpha`: p < α (see the module comment). */
export function isSignificant(pValue: number, alpha: number): boolean {
  return pValue < alpha;
}
