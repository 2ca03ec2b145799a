/**
 * One-dimensional tasks of bmi's list whose MI has a closed form: additive uniform noise and
 * the bimodal pair (a binormal pair pushed through a Gaussian-mixture quantile function).
 */
import { InputError } from '../errors';
import type { PairedSample, RandomSource, Sampler } from '../interface';
import { erfc } from '../math/specialFunctions';
import { assertRowCount } from './multivariateNormal';

/**
 * I(X; X + N) for X ~ U(0, 1), N ~ U(−ε, ε): h(Y|X) = ln 2ε and h(Y) integrates the trapezoidal
 * density of Y, giving ε − ln 2ε for ε ≤ ½ and 1/(4ε) above (the two agree at ½).
 */
export function additiveUniformMutualInformation(epsilon: number): number {
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new InputError(`expected a positive noise half-width, got ${epsilon}`, { field: 'epsilon' });
  return epsilon <= 0.5 ? epsilon - Math.log(2 * epsilon) : 1 / (4 * epsilon);
}

/** X ~ U(0, 1) and Y = X + N with N ~ U(−ε, ε) independent of X (bmi's `1v1-additive-ε`). */
export function additiveUniformSampler(epsilon: number): Sampler {
  const mutualInformation = additiveUniformMutualInformation(epsilon);
  return {
    name: `1v1-additive-${epsilon}`,
    xDim: 1,
    yDim: 1,
    sample(rows: number, rng: RandomSource): PairedSample {
      assertRowCount(rows);
      const x = new Float64Array(rows);
      const y = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        x[i] = rng.next();
        y[i] = x[i] + epsilon * (2 * rng.next() - 1);
      }
      return { x: { rows, cols: 1, data: x }, y: { rows, cols: 1, data: y } };
    },
    mutualInformation: () => mutualInformation,
  };
}

/** The mixture ½ N(−1, 0.5²) + ½ N(1, 0.5²): its two modes are ±1 (the components are 4σ apart). */
const MODES = [-1, 1] as const;
const MODE_SD = 0.5;

/** Upper tail 1 − F(t) of the bimodal mixture, through erfc so it keeps relative accuracy far out. */
function mixtureUpperTail(t: number): number {
  return 0.5 * (0.5 * erfc((t - MODES[0]) / (MODE_SD * Math.SQRT2)) + 0.5 * erfc((t - MODES[1]) / (MODE_SD * Math.SQRT2)));
}

/**
 * The bimodal mixture's value t with upper tail `tail` (= 1 − F(t)): F⁻¹(1 − tail), by bisection
 * on a bracket wide enough for any tail above 1e-300, to the last bit.
 */
function mixtureQuantileOfUpperTail(tail: number): number {
  let low = -40;
  let high = 40;
  for (let step = 0; step < 200; step++) {
    const middle = 0.5 * (low + high);
    if (middle === low || middle === high) break;
    if (mixtureUpperTail(middle) > tail) low = middle;
    else high = middle;
  }
  return 0.5 * (low + high);
}

/**
 * The Gaussian-to-bimodal marginal map m = F⁻¹ ∘ Φ (Φ the standard normal CDF, F the mixture's):
 * strictly increasing, so MI is unchanged. Each tail is computed from its own side (Φ(−|z|)
 * through erfc) so no precision is lost where Φ rounds to 1.
 */
export function bimodalMarginal(z: number): number {
  // The mixture is symmetric, so F⁻¹(Φ(z)) = −F⁻¹(Φ(−z)); work with the smaller tail.
  const tail = 0.5 * erfc(Math.abs(z) / Math.SQRT2);
  const value = mixtureQuantileOfUpperTail(tail);
  return z >= 0 ? value : -value;
}

/** Upper tail of the mixture, exported for the tests of the marginal map. */
export function bimodalUpperTail(t: number): number {
  return mixtureUpperTail(t);
}

/**
 * (X, Y) binormal with correlation ρ, both pushed through `bimodalMarginal`: bimodal marginals,
 * MI = −½ ln(1 − ρ²) (bmi's `1v1-bimodal-ρ`).
 */
export function bimodalSampler(correlation: number): Sampler {
  if (!(Math.abs(correlation) < 1)) throw new InputError(`correlation must be in (−1, 1), got ${correlation}`, { field: 'correlation' });
  const noise = Math.sqrt(1 - correlation * correlation);
  const mutualInformation = -0.5 * Math.log(1 - correlation * correlation);
  return {
    name: `1v1-bimodal-${correlation}`,
    xDim: 1,
    yDim: 1,
    sample(rows: number, rng: RandomSource): PairedSample {
      assertRowCount(rows);
      const x = new Float64Array(rows);
      const y = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        const a = rng.normal();
        const b = correlation * a + noise * rng.normal();
        x[i] = bimodalMarginal(a);
        y[i] = bimodalMarginal(b);
      }
      return { x: { rows, cols: 1, data: x }, y: { rows, cols: 1, data: y } };
    },
    mutualInformation: () => mutualInformation,
  };
}
