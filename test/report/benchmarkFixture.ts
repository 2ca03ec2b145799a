/**
 * A results.json shaped like the main job's (`npm start`: 1 ID + 42 OOD splits of the benchmark's
 * shift grid, EMI/EMID/bound, RJSD terms, ACCURACY and EMI_vs_ACCURACY), with the contracts the
 * job is gaining: `SHIFT` (derived here from the split names alone), `quality` and `provenance`.
 * The numbers are synthetic but behave like the job's: EMID and the bound grow with severity,
 * accuracy falls, and jsd_t of an image-only split is rounding noise around 0 (−4.44e-16).
 */
import { defaultShiftGrid, gridSplitShift } from '../../src/benchmark/splitGrid';
import type { EmbeddingSpace, ShiftDescription } from '../../src/interface';
import { kendallTauB, pearson, spearman } from '../../src/stats/correlation';

const SPECS = new Map(defaultShiftGrid().map((spec) => [spec.name, spec]));

/** A shift-grid split's shifts as the generator defines them. */
export function parseGridName(split: string): { image?: { name: string; severity: number }; text?: { name: string; severity: number } } {
  const spec = SPECS.get(split);
  if (!spec) throw new Error(`not a shift-grid split name: ${split}`);
  return { ...(spec.image ? { image: spec.image } : {}), ...(spec.text ? { text: spec.text } : {}) };
}

/** The SHIFT entry of a shift-grid split, as the generator records it. */
export function shiftEntry(split: string): ShiftDescription {
  return gridSplitShift(SPECS.get(split)!);
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
    // The shape the sweep writes (src/sweep/provenance.ts), with the job's settings.
    const space: EmbeddingSpace = {
      embedder: 'builtin',
      text: { model: 'emishift-builtin-text-v1', pooling: 'sum of signed hashed character 1-4-grams and words' },
      image: { model: 'emishift-builtin-image-v1', pooling: 'colour, edge and layout statistics, seeded random projection' },
      dimension: 768,
      normalization: 'l2',
    };
    const allowed = options.allowSpaceMismatch ?? false;
    results.provenance = {
      emishift_version: '0.1.0',
      node_version: 'v20.20.2',
      invocation: { command: 'emishift run --config data/benchmark.json', config: { benchmark: { data: 'benchmark', modelEpochs: 30 }, out: '../out/benchmark' }, config_file: 'data/benchmark.json' },
      estimator: {
        name: 'club',
        network: { x_dim: 768, y_dim: 768, hidden_dim: 64 },
        engine: 'onnxruntime-node',
        space,
        training: { preset: 'small', settings: { epochs: 200, batchSize: 256, learningRate: 0.003, hiddenDim: 64, seed: 0, validationFraction: 0 }, pairs: 3870, digest: SHA, reused: false },
      },
      id_split: id,
      splits: Object.fromEntries(
        splits.map((split, i) => [split, { rows: 90, space, manifest_digest: `sha256:${SHA.slice(i % 8)}${SHA.slice(0, i % 8)}`, directory: `out/benchmark/embeddings/${split}`, shift: shiftEntry(split) }]),
      ),
      mixture: 'sample-weighted',
      entropy_scale: null,
      bootstrap: null,
      space_check: { allow_mismatch: allowed, unchecked: [], mismatches: allowed ? [{ split: ood[0], against: 'estimator', reason: 'text encoder other-model against emishift-builtin-text-v1' }] : [] },
      warnings: [],
    };
  }
  return results;
}
