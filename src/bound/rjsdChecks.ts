/**
 * Properties any representation Jensen–Shannon divergence must have, checked on Gaussian samples
 * where the answer is known: 0 between a sample and itself, positive between two different ones,
 * symmetric, at most ln 2 with the equal mixture, and exactly ln 2 between samples on orthogonal
 * coordinates (they share no direction). A failing check means the RJSD (or the eigenvalue
 * solver under it) is broken, whatever the data.
 */
import { sampleGaussianRows } from '../samplers/gaussianRows';
import { MIXTURE_WEIGHTINGS, rjsd } from './rjsd';

/** One property: the value computed, what it should be, and whether it is. */
export interface RjsdCheck {
  check: string;
  /** Nats (or, for the symmetry rows, a difference of two values in nats). */
  value: number;
  expected: string;
  pass: boolean;
}

/** The size of the samples `rjsdPropertyChecks` draws and the rounding it allows. */
export interface RjsdCheckOptions {
  /** Rows per sample (default 300; the unequal-size check uses a third of it). */
  rows?: number | undefined;
  /** Dimension, even (default 16): the orthogonal samples use one half each. */
  dim?: number | undefined;
  /** Rounding allowance (default 1e-9). */
  tolerance?: number | undefined;
}

/**
 * Runs the checks on seeded samples: `a` and `b`, two draws of N(0, I) with `b` moved by 1.5
 * along one direction, and `u`, `w` on the first and the second half of the coordinates. Both
 * mixtures are checked where the property holds for both.
 */
export async function rjsdPropertyChecks(options: RjsdCheckOptions = {}): Promise<RjsdCheck[]> {
  const rows = options.rows ?? 300;
  const dim = options.dim ?? 16;
  const tolerance = options.tolerance ?? 1e-9;
  const half = Math.floor(dim / 2);
  const a = sampleGaussianRows(rows, dim, { seed: 11 });
  const b = sampleGaussianRows(rows, dim, { seed: 12, shift: 1.5 });
  const u = sampleGaussianRows(rows, dim, { seed: 13, support: [0, half] });
  const w = sampleGaussianRows(rows, dim, { seed: 14, support: [half, dim] });
  const fewer = sampleGaussianRows(Math.max(2, Math.floor(rows / 3)), dim, { seed: 15, shift: 1.5 });
  const LN2 = Math.log(2);
  const checks: RjsdCheck[] = [];
  const record = (check: string, value: number, expected: string, pass: boolean) => checks.push({ check, value, expected, pass });
  for (const mixture of MIXTURE_WEIGHTINGS) {
    const self = await rjsd(a, a, { mixture });
    record(`RJSD(a, a), ${mixture}`, self, '0', Math.abs(self) < tolerance);
    const ab = await rjsd(a, b, { mixture });
    const ba = await rjsd(b, a, { mixture });
    record(`RJSD(a, b), ${mixture}`, ab, '> 0', ab > 0);
    record(`RJSD(a, b) − RJSD(b, a), ${mixture}`, ab - ba, '0 (symmetric)', Math.abs(ab - ba) < tolerance);
  }
  const equalAb = await rjsd(a, b, { mixture: 'equal' });
  record('RJSD(a, b), equal mixture', equalAb, '≤ ln 2', equalAb <= LN2 + tolerance);
  const orthogonal = await rjsd(u, w, { mixture: 'equal' });
  record('RJSD(u, w), orthogonal supports, equal mixture', orthogonal, `= ln 2 = ${LN2.toFixed(6)}`, Math.abs(orthogonal - LN2) < tolerance);
  const unequal = await rjsd(a, fewer, { mixture: 'equal' });
  record(`RJSD(a, ${fewer.rows} rows), equal mixture, unequal sizes`, unequal, '≤ ln 2', unequal >= 0 && unequal <= LN2 + tolerance);
  return checks;
}
