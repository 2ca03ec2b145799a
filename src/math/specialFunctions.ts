/**
 * Special functions in float64 for the estimators and the samplers' closed-form mutual
 * information: digamma (KSG), log-gamma (Student-t entropies), the error function and the normal
 * CDF (an MI-preserving transform). Each is accurate to about 1e-14 relative on its domain, so
 * the formulas built from them are limited by their own arithmetic, not by these.
 */
import { InputError } from '../errors';

const HALF_LN_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Below this argument the asymptotic series are not used directly: the recurrences move the
 * argument up first. At 15 the first omitted term of either series is below 1e-16.
 */
const ASYMPTOTIC_FROM = 15;

/** The digamma function ψ(x) = Γ′(x) / Γ(x) for real x (poles at 0, −1, −2, … give NaN). */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0.5) {
    // Reflection: ψ(1 − x) − ψ(x) = π cot(πx); used only below ½ so 1 − x stays positive.
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  let shift = 0;
  let z = x;
  while (z < ASYMPTOTIC_FROM) {
    shift -= 1 / z;
    z += 1;
  }
  const inverseSquare = 1 / (z * z);
  // ψ(z) ~ ln z − 1/(2z) − Σ B_2k / (2k z^2k), Bernoulli numbers B_2 … B_12.
  const series =
    inverseSquare *
    (1 / 12 - inverseSquare * (1 / 120 - inverseSquare * (1 / 252 - inverseSquare * (1 / 240 - inverseSquare * (1 / 132 - inverseSquare * (691 / 32760))))));
  return shift + Math.log(z) - 0.5 / z - series;
}

/** ln |Γ(x)| for real x (poles at 0, −1, −2, … give Infinity). */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  let logShift = 0;
  let z = x;
  // Γ(z) = Γ(z + m) / (z (z + 1) … (z + m − 1)); the product is kept in a number and its log
  // taken once, which is exact enough and far cheaper than m logarithms.
  let product = 1;
  while (z < ASYMPTOTIC_FROM) {
    product *= z;
    z += 1;
  }
  logShift = Math.log(product);
  const inverse = 1 / z;
  const inverseSquare = inverse * inverse;
  // Stirling: ln Γ(z) ~ (z − ½) ln z − z + ½ ln 2π + Σ B_2k / (2k (2k − 1) z^(2k−1)).
  const series =
    inverse *
    (1 / 12 - inverseSquare * (1 / 360 - inverseSquare * (1 / 1260 - inverseSquare * (1 / 1680 - inverseSquare * (1 / 1188 - inverseSquare * (691 / 360360))))));
  return (z - 0.5) * Math.log(z) - z + HALF_LN_TWO_PI + series - logShift;
}

/** The error function's complement erfc(x) = 1 − erf(x), accurate in both tails. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) return 1 - erfSeries(x);
  if (x > 27) return 0;
  // Continued fraction erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated
  // by the modified Lentz method; it converges quickly for x ≥ 3.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 3) return erfSeries(x);
  return x > 0 ? 1 - erfc(x) : erfc(-x) - 1;
}

/** Maclaurin series of erf; for |x| < 3 its largest term is below e⁹, so about 4 digits of 16 are lost at worst. */
function erfSeries(x: number): number {
  const square = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -square / n;
    const contribution = term / (2 * n + 1);
    sum += contribution;
    if (Math.abs(contribution) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** The standard normal CDF Φ(x), computed through erfc so the lower tail keeps its relative accuracy. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** The standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * ψ(m) for m = 0 … n as a table (entry 0 is NaN: the pole), for estimators that need it for every
 * integer count up to the sample size.
 */
export function digammaTable(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new InputError(`expected a whole number, got ${n}`, { field: 'n' });
  const table = new Float64Array(n + 1);
  table[0] = NaN;
  for (let m = 1; m <= n; m++) table[m] = digamma(m);
  return table;
}
