/** Options several commands share (each declared once, with its usage line) and the small steps that read them. */
import { InputError } from '../../errors';
import { MIXTURE_WEIGHTINGS, type MixtureWeighting } from '../../bound/rjsd';
import { isNonNegative, isPositiveInteger, numberOption, requireOption } from '../args';
import type { OptionTable } from '../command';
import { SIGNIFICANCE_RULE } from '../../stats/significance';
import { DEFAULT_INTERVAL_METHOD, INTERVAL_METHODS, type BootstrapOptions, type IntervalMethod } from '../../stats/bootstrap';

/** The RJSD mixture named by --mixture (default sample-weighted). */
export function mixtureOption(value: string | undefined): MixtureWeighting {
  if (value === undefined) return 'sample-weighted';
  if (!(MIXTURE_WEIGHTINGS as readonly string[]).includes(value)) {
    throw new InputError(`expected ${MIXTURE_WEIGHTINGS.join(' or ')}, got '${value}'`, { field: '--mixture' });
  }
  return value as MixtureWeighting;
}

/** The options `pair` and `sweep` share: the estimator (CLUB's file, or another by name), the mixture and the entropy scale. */
export const BOUND_OPTIONS = {
  club: { type: 'string', value: 'FILE', help: "CLUB weights: the authors' PyTorch .pt checkpoint or a .safetensors file from `emishift train`" },
  estimator: {
    type: 'string',
    value: 'NAME',
    sets: ['estimator'],
    help: [
      'the MI estimator: club (default; its weights from --club) or gaussian, ksg, ksg2, infonce, nwj,',
      'mine, smile, club-mean, club-sample, l1out; one that trains is fitted once on the pooled',
      '(z, z_y) pairs of the splits, as the paper trains CLUB (see `emishift estimate --help`)',
    ],
  },
  k: { type: 'string', value: 'K', help: 'with --estimator ksg or ksg2: neighbours (default 3)', sets: ['k'] },
  epochs: { type: 'string', value: 'E', help: 'with a trained --estimator other than club: most training epochs', sets: ['epochs'] },
  mixture: { type: 'string', value: 'M', help: "RJSD mixture: sample-weighted (the reference's, default) or equal", sets: ['mixture'] },
  'entropy-scale': { type: 'string', value: 'H', help: 'Ĥ for the full bound (adds emid_ub_full)', sets: ['entropyScale'] },
} as const satisfies OptionTable;

/** The values of the mixture and entropy-scale options. */
export function boundOptions(options: { mixture?: string; 'entropy-scale'?: string }) {
  return {
    mixture: mixtureOption(options.mixture),
    entropyScale: numberOption(options['entropy-scale'], 'entropy-scale', isNonNegative, 'a number ≥ 0'),
  };
}

/** The estimator of `pair` or `sweep`: CLUB from its file, or a registered one (its file and engine kept for the results). */
export type ChosenEstimator =
  | { kind: 'club file'; estimator: import('../../estimators/club').ClubEstimator; clubFile: string }
  | { kind: 'registered'; estimator: import('../../interface').MutualInformationEstimator; name: string };

/**
 * The estimator the options choose. `club` (the default) loads `--club FILE`, as the paper's
 * weights are applied; any other is created by name with `--k`/`--epochs`, and one that trains
 * is fitted on the pooled reference pairs of `readSets()` (read only then).
 */
export async function chooseEstimator(
  command: string,
  options: { club?: string; estimator?: string; k?: string; epochs?: string },
  readSets: () => readonly import('../../interface').EmbeddingSet[],
): Promise<ChosenEstimator> {
  const name = options.estimator ?? 'club';
  const k = numberOption(options.k, 'k', isPositiveInteger, 'a positive integer');
  const epochs = numberOption(options.epochs, 'epochs', isPositiveInteger, 'a positive integer');
  if (name === 'club') {
    const { ClubEstimator } = await import('../../estimators/club');
    if (k !== undefined || epochs !== undefined) throw new InputError('CLUB is read from --club: --k and --epochs go with another --estimator', { field: k !== undefined ? '--k' : '--epochs' });
    const clubFile = requireOption(options.club, 'club', command);
    return { kind: 'club file', estimator: ClubEstimator.load(clubFile), clubFile };
  }
  if (options.club !== undefined) throw new InputError(`goes with --estimator club, not ${name}`, { field: '--club' });
  const { createEmiEstimator } = await import('../../emi/emiEstimator');
  const { estimator } = await createEmiEstimator(name, { k, epochs }, readSets());
  return { kind: 'registered', estimator, name };
}

export const SPACE_OPTIONS = {
  'allow-space-mismatch': {
    type: 'boolean',
    help: [
      "run even when a split's embedding space (its manifest) differs from the estimator's",
      "or the ID split's; the results record it. Without it that is an error (exit 2).",
    ],
  },
} as const satisfies OptionTable;

/** The settings that make a comparison traceable: warnings on stderr, the command line in the provenance. */
export function comparisonContext(command: string, argv: readonly string[], options: { 'allow-space-mismatch'?: boolean }) {
  return {
    allowSpaceMismatch: Boolean(options['allow-space-mismatch']),
    warn: (message: string) => process.stderr.write(`emishift ${command}: warning: ${message}\n`),
    invocation: { command: ['emishift', command, ...argv].join(' ') },
  };
}

/** Runs a comparison, turning a space mismatch into a message that names the flag overriding it. */
export async function withSpaceHint<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const { SpaceMismatchError } = await import('../../errors');
    if (error instanceof SpaceMismatchError) throw new SpaceMismatchError(`${error.message}; pass --allow-space-mismatch to run anyway`);
    throw error;
  }
}

/** --bootstrap N [--confidence C] [--seed S] [--interval M]: interval settings, or undefined when N is absent. */
export function bootstrapOptions(options: { bootstrap?: string; confidence?: string; seed?: string; interval?: string; permutations?: string; baselines?: boolean; rows?: string }): Required<BootstrapOptions> | undefined {
  const method = options.interval ?? DEFAULT_INTERVAL_METHOD;
  if (!(INTERVAL_METHODS as readonly string[]).includes(method)) throw new InputError(`expected ${INTERVAL_METHODS.join(', ')}, got '${method}'`, { field: '--interval' });
  const resamples = numberOption(options.bootstrap, 'bootstrap', isPositiveInteger, 'a positive number of resamples');
  const confidence = numberOption(options.confidence, 'confidence', (n) => n > 0 && n < 1, 'a number strictly between 0 and 1');
  const seed = numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
  if (resamples === undefined) {
    // --seed also seeds --permutations' partitions, the baselines and the --rows subsets, so it may come without --bootstrap then.
    if (confidence !== undefined || (seed !== undefined && options.permutations === undefined && !options.baselines && options.rows === undefined) || options.interval !== undefined) {
      throw new InputError('--confidence, --seed and --interval go with --bootstrap N', { field: '--bootstrap' });
    }
    return undefined;
  }
  return { resamples, confidence: confidence ?? 0.95, seed: seed ?? 0, method: method as IntervalMethod };
}

/** --permutations N; `more` adds lines to its help (what a command's output gains). */
export function permutationOptionTable(more: readonly string[] = []) {
  return {
    permutations: {
      type: 'string',
      value: 'N',
      sets: ['permutations'],
      help: [
        'permutation p-values from N random reassignments of the pooled rows to the two splits (sizes',
        'kept, the same fitted estimator; --seed S seeds them, default 0): one-sided, p = (1 + #{T_perm >=',
        'T_obs}) / (1 + N), for EMID (H1: EMI(ID) > EMI(OOD)), jsd_v, jsd_t and the bound',
        ...more,
      ],
    },
    paired: {
      type: 'boolean',
      sets: ['design'],
      help: [
        'with --permutations: swap row i of the ID split with row i of the OOD split instead of reassigning',
        'pooled rows; for OOD splits that are shifted copies of the ID split (same queries, same row order,',
        'shared reference answers), where pooled permutations put shared rows twice on one side',
      ],
    },
  } as const satisfies OptionTable;
}

/** --permutations N [--seed S] [--paired]: the permutation settings, or undefined when N is absent. */
export function permutationOptions(options: { permutations?: string; seed?: string; paired?: boolean }): { permutations: number; seed: number; design: 'pooled' | 'paired' } | undefined {
  const permutations = numberOption(options.permutations, 'permutations', isPositiveInteger, 'a whole number of permutations ≥ 1');
  if (permutations === undefined) {
    if (options.paired) throw new InputError('--paired goes with --permutations N', { field: '--paired' });
    return undefined;
  }
  const seed = numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
  return { permutations, seed: seed ?? 0, design: options.paired ? 'paired' : 'pooled' };
}

/** One line saying how the p-values in an output were made. */
export function describePermutations(settings: { permutations: number; seed: number; design: 'pooled' | 'paired' }): string {
  const what = settings.design === 'paired' ? 'permutations of paired rows (row i of each split swapped or not)' : 'permutations of split membership (sizes kept';
  return `p-values: ${settings.permutations} ${what}${settings.design === 'paired' ? ' (' : ', '}the same fitted estimator), seed ${settings.seed}; one-sided (greater); significant at α = 0.05: ${SIGNIFICANCE_RULE.replace('α', '0.05')}`;
}

/** One line saying how the intervals in an output were made. */
export function describeIntervals(bootstrap: Required<BootstrapOptions>): string {
  const names: Record<IntervalMethod, string> = { basic: 'basic (bias-corrected)', percentile: 'percentile', bca: 'BCa' };
  return `intervals: ${Math.round(bootstrap.confidence * 1000) / 10}% ${names[bootstrap.method]} bootstrap, ${bootstrap.resamples} resamples, seed ${bootstrap.seed}`;
}

const BOOTSTRAP_HELP = [
  "bootstrap intervals from N resamples of each split's rows (EMI, EMID, the bound;",
  "sweep: also the correlations, resampling OOD splits); the bound's costs up to",
  '7 eigenproblems per resample',
];

/** --bootstrap, --confidence, --seed and --interval; `more` adds lines to --bootstrap's help (what a command's output gains). */
export function bootstrapOptionTable(more: readonly string[] = []) {
  return {
    bootstrap: { type: 'string', value: 'N', help: [...BOOTSTRAP_HELP, ...more], sets: ['resamples'] },
    confidence: { type: 'string', value: 'C', help: 'interval coverage (default 0.95)', sets: ['confidence'] },
    seed: { type: 'string', value: 'S', help: 'resampling seed (default 0)', sets: ['seed'] },
    interval: {
      type: 'string',
      value: 'M',
      sets: ['method'],
      help: [
        'how intervals are formed from the resamples:',
        'basic (default)  the percentile interval reflected about the estimate, which corrects',
        '                 for bias: the bound is biased upward on resamples (duplicated rows',
        '                 shrink the spectra); when that bias exceeds the spread, the interval',
        '                 lies below the estimate, and the estimate is dominated by sample size',
        'percentile       the resampled quantiles as they are (right only without bias)',
        'bca              bias-corrected and accelerated; adds a jackknife (one evaluation per',
        '                 row of each split: for the bound, n_ID + n_OOD bound evaluations per',
        '                 comparison); undefined (null) when every resample lies on one side',
      ],
    },
  } as const satisfies OptionTable;
}

/** The --progress option of every long command. */
export const PROGRESS_OPTION = {
  progress: { type: 'boolean', help: 'detailed progress on stderr (the default on a terminal; otherwise one line per stage)' },
} as const satisfies OptionTable;

/** Options every command that reads a benchmark split takes. */
export const SPLIT_OPTIONS = {
  split: {
    type: 'string',
    value: 'FILE',
    sets: ['split'],
    help: [
      'the split: .jsonl (combined), .csv, .parquet, or a LLaVA answer file with --format llava;',
      'hf:<dataset>/<split> or an http(s) URL downloads the parquet once into the cache',
      '(EMISHIFT_CACHE, default ~/.cache/emishift) and reads it from there afterwards',
    ],
  },
  format: { type: 'string', value: 'F', help: 'combined|jsonl|llava|parquet|csv (default: from the file extension)', sets: ['format'] },
  responses: { type: 'string', value: 'FILE', help: "the model's answers (LLaVA answer file), joined by question_id", sets: ['responses'] },
  name: { type: 'string', value: 'NAME', help: "the split's name (default: the file name; selects the easy/hard in-the-wild rows)", sets: ['name'] },
  'image-root': {
    type: 'string',
    value: 'DIR',
    sets: ['imageRoot'],
    help: [
      'JSONL/CSV question files whose image field is a path (LLaVA: question_id, image, text): the',
      "folder the paths are relative to and must stay inside (default: the file's folder, then",
      '<folder>/<file stem>/images/)',
    ],
  },
} as const satisfies OptionTable;

/** Loads the split named by --split (local file, hf:dataset/split, or URL) with its options. */
export async function readSplitArgument(
  command: string,
  options: { split?: string; format?: string; responses?: string; name?: string; 'image-root'?: string },
  more: Pick<import('../../data/splitReference').SplitReference, 'textFields' | 'referenceAnswers'> = {},
) {
  const split = requireOption(options.split, 'split', command);
  const { readSplitReference } = await import('../../data/splitReference');
  return readSplitReference({ split, format: options.format, responses: options.responses, name: options.name, imageRoot: options['image-root'], ...more });
}

/** --baselines [--baseline-permutations N]: drift baselines beside the bound's terms, seeded by --seed; `adds` says what the command's output gains. */
export function baselineOptionTable(adds: readonly string[]) {
  return {
    baselines: {
      type: 'boolean',
      help: [
        'drift baselines per modality (image z_v, question z_t, answer z_ŷ): unbiased MMD² with an',
        'RBF kernel of bandwidth the median pooled distance and its permutation p-value, a',
        "logistic domain classifier's 5-fold cross-validated ROC-AUC, the mean embeddings' cosine",
        'distance; seeded by --seed (default 0)',
        ...adds,
      ],
    },
    'baseline-permutations': { type: 'string', value: 'N', help: 'with --baselines: permutations for each MMD² p-value (default 1000)' },
  } as const satisfies OptionTable;
}

/** The drift baselines' options, or undefined without --baselines; --seed seeds them. */
export function baselineOptions(options: { baselines?: boolean; 'baseline-permutations'?: string; seed?: string }): { permutations: number; seed: number } | undefined {
  const permutations = numberOption(options['baseline-permutations'], 'baseline-permutations', isPositiveInteger, 'a whole number ≥ 1');
  if (!options.baselines) {
    if (permutations !== undefined) throw new InputError('goes with --baselines', { field: '--baseline-permutations' });
    return undefined;
  }
  const seed = numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
  return { permutations: permutations ?? 1000, seed: seed ?? 0 };
}

