/**
 * A results.json shaped like the main job's (`npm start`: 1 ID + 42 OOD splits of the benchmark's
 * shift grid, EMI/EMID/bound, RJSD terms, ACCURACY and EMI_vs_ACCURACY), with the contracts the
 * job is gaining: `SHIFT` (derived here from the split names alone), `quality` and `provenance`.
 * The numbers are synthetic but behave like the job's: EMID and the bound grow with severity,
 * accuracy falls, and jsd_t of an image-only split is rounding noise around 0 (−4.44e-16).
 */
import { defaultShiftGrid } from '../../src/benchmark/shiftGridSplits';
import { IMAGE_SHIFT_NAMES } from '../../src/shifts/image';
import { TEXT_SHIFT_NAMES } from '../../src/shifts/text';
import { kendallTauB, pearson, spearman } from '../../src/stats/correlation';

interface Parsed {
  image?: { name: string; severity: number };
  text?: { name: string; severity: number };
}

/** `shift_frost_3_synonym_replacement_4` → frost 3 + synonym_replacement 4, from the names alone. */
export function parseGridName(split: string): Parsed {
  if (split === 'shift_none') return {};
  const images = IMAGE_SHIFT_NAMES.join('|');
  const texts = TEXT_SHIFT_NAMES.join('|');
  const match = new RegExp(`^shift_(?:(${images})_(\\d+))?_?(?:(${texts})_(\\d+))?$`).exec(split);
  if (!match || (!match[1] && !match[3])) throw new Error(`not a shift-grid split name: ${split}`);
  const parsed: Parsed = {};
  if (match[1]) parsed.image = { name: match[1], severity: Number(match[2]) };
  if (match[3]) parsed.text = { name: match[3], severity: Number(match[4]) };
  return parsed;
}

const LABELS: Record<string, string> = {
  defocus_blur: 'defocus blur',
  frost: 'frost',
  gaussian_noise: 'Gaussian noise',
  contrast: 'contrast',
  synonym_replacement: 'synonym replacement',
  keyboard_typos: 'keyboard typos',
  word_order_noise: 'word-order noise',
};
const UNITS: Record<string, string> = {
  defocus_blur: 'ImageNet-C level',
  frost: 'ImageNet-C level',
  gaussian_noise: 'ImageNet-C level',
  contrast: 'ImageNet-C level',
  synonym_replacement: 'tenths of the words replaced',
  keyboard_typos: 'typo level',
  word_order_noise: 'swap level',
};

/** The SHIFT entry of a shift-grid split, as the generator knows it. */
export function shiftEntry(split: string): { family: string; label: string; modality: string; severity: number | null; unit: string | null } {
  const { image, text } = parseGridName(split);
  if (!image && !text) return { family: 'none', label: 'no shift', modality: 'none', severity: null, unit: null };
  if (image && text) return { family: `${image.name}+${text.name}`, label: `${LABELS[image.name]} + ${LABELS[text.name]}`, modality: 'joint', severity: null, unit: null };
  const single = (image ?? text)!;
  return { family: single.name, label: LABELS[single.name], modality: image ? 'image' : 'text', severity: single.severity, unit: UNITS[single.name] };
}

/** Deterministic jitter in [-1, 1] from a name, so the fixture is the same on every run. */
function jitter(name: string, salt: number): number {
  let hash = 2166136261 ^ salt;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return ((hash >>> 0) / 2 ** 32) * 2 - 1;
}

export interface FixtureOptions {
  /** Include the SHIFT map (default true). */
  shift?: boolean;
  /** Include quality: { key: 'ACCURACY', … } (default true; the ACCURACY map is always there). */
  quality?: boolean;
  /** Include a provenance block (default true). */
  provenance?: boolean;
  /** Record that a space mismatch was allowed. */
  allowSpaceMismatch?: boolean;
}

export const SHA = 'a3f1c9e07b52d4e8916f0c2b7d5a3e1f9c8b7a6d5e4f3a2b1c0d9e8f7a6b5c4d';

/** The fixture; see the module comment. */
export function benchmarkResults(options: FixtureOptions = {}): Record<string, unknown> {
  const splits = defaultShiftGrid().map((spec) => spec.name);
  const [id, ...ood] = splits;
  const strength = (split: string) => {
    const { image, text } = parseGridName(split);
    return (image ? 0.05 * image.severity : 0) + (text ? (text.name === 'synonym_replacement' ? 0.09 * text.severity : text.name === 'keyboard_typos' ? 0.12 * text.severity : 0.002 * text.severity) : 0);
  };
  const emid = Object.fromEntries(ood.map((split) => [split, Math.max(0.001, strength(split) + 0.02 * jitter(split, 1))]));
  const jsdV = Object.fromEntries(ood.map((split) => [split, parseGridName(split).image ? 0.02 * parseGridName(split).image!.severity + 0.005 * jitter(split, 2) : 0]));
  const jsdT = Object.fromEntries(
    ood.map((split) => {
      const { text } = parseGridName(split);
      // Identical question sets give an RJSD of 0 up to float rounding, of either sign.
      return [split, text ? 0.03 * text.severity + 0.004 * jitter(split, 3) : jitter(split, 4) > 0 ? 2.22e-16 : -4.44e-16];
    }),
  );
  const jsdPy = Object.fromEntries(ood.map((split) => [split, 0.0087]));
  const jsdQy = Object.fromEntries(ood.map((split) => [split, 0.0087 + 0.01 * strength(split) + 0.002 * Math.abs(jitter(split, 5))]));
  const bound = Object.fromEntries(ood.map((split) => [split, Math.sqrt(Math.max(0, jsdV[split])) + Math.sqrt(Math.max(0, jsdT[split])) + jsdPy[split] ** 0.25 + jsdQy[split] ** 0.25]));
  const idEmi = -0.0944;
  const emi = { [id]: idEmi, ...Object.fromEntries(ood.map((split) => [split, idEmi - emid[split]])) };
  // Accuracy: k correct of 90, falling with the shift.
  const accuracy = Object.fromEntries(splits.map((split) => [split, Math.max(0, Math.round(90 * (0.8 - 0.9 * (split === id ? 0 : strength(split)) + 0.03 * jitter(split, 6)))) / 90]));
  const names = Object.keys(emi);
  const r = pearson(ood.map((split) => emid[split]), ood.map((split) => bound[split]));
  const rho = spearman(names.map((split) => emi[split]), names.map((split) => accuracy[split]));
  const tau = kendallTauB(names.map((split) => emi[split]), names.map((split) => accuracy[split]));
  const results: Record<string, unknown> = {
    club_engine: 'onnxruntime-node',
    id_split: id,
    mixture: 'sample-weighted',
    EMI: emi,
    EMID: emid,
    EMID_UB: bound,
    JSD_V: jsdV,
    JSD_T: jsdT,
    JSD_PY: jsdPy,
    JSD_QY: jsdQy,
    PearsonR: r.r,
    PearsonPval: r.pValue,
    ACCURACY: accuracy,
    EMI_vs_ACCURACY: { n: names.length, spearman_rho: rho.rho, spearman_pval: rho.pValue, kendall_tau: tau.tau, kendall_pval: tau.pValue },
  };
  if (options.shift ?? true) results.SHIFT = Object.fromEntries(splits.map((split) => [split, shiftEntry(split)]));
  if (options.quality ?? true) results.quality = { key: 'ACCURACY', label: 'accuracy', higher_is_better: true };
  if (options.provenance ?? true) {
    results.provenance = {
      // Deliberately not in reading order: the report orders the keys itself.
      bootstrap: null,
      mixture: 'sample-weighted',
      estimator: { kind: 'trained', preset: 'job', training: { epochs: 20, batch_size: 256, learning_rate: 0.001, hidden_dim: 250, seed: 0 }, file: 'out/benchmark/club.safetensors', sha256: SHA },
      emishift_version: '0.1.0',
      config: { file: 'data/benchmark.json', benchmark: { data: 'benchmark', modelEpochs: 30 } },
      splits: Object.fromEntries(splits.map((split, i) => [split, { embedder: 'builtin', model: 'builtin-text-v1', dimension: 512, pooling: 'mean', normalised: true, manifest_sha256: SHA.slice(i % 8) + SHA.slice(0, i % 8) }])),
      entropy_scale: null,
      allow_space_mismatch: options.allowSpaceMismatch ?? false,
    };
  }
  return results;
}
