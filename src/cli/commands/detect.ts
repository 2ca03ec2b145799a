import { InputError } from '../../errors';
import { defineCommand } from '../command';
import { isPositiveInteger, numberOption, requireOption } from '../args';
import { formatTable, printJson } from '../output';
import { BOUND_OPTIONS, chooseEstimator, SPACE_OPTIONS, withSpaceHint } from './shared';

export const detectCommand = defineCommand({
  name: 'detect',
  summary: 'does EMI separate an OOD split from the ID split? ROC-AUC, PR-AUC and the subset-pair test',
  usage: [
    'Usage: emishift detect --id DIR --ood DIR (--club FILE | --estimator NAME [--k K] [--epochs E])',
    '                       [--subsets K] [--subset-size M] [--seed S] [--alternative greater|less|two-sided]',
    '                       [--bootstrap N] [--confidence C] [--allow-space-mismatch] [--json]',
    '',
    'Per query (CLUB only): the score EMI(ID) − emi_i, OOD queries positive. Per subset: EMIDs of the',
    'ID split against K disjoint m-row subsets of the OOD split and, as the null, of the ID split;',
    "a Mann-Whitney U test between them (default alternative 'greater': the EMIDs against OOD subsets",
    'are larger, the shift costs the model relevance), and two sanity checks that must come out null',
    '(the test on randomly relabelled rows, and on a random score). AUCs with stratified bootstrap',
    'intervals; PR-AUC is average precision. One pass over the queries; every subset is a reduction.',
  ],
  options: {
    id: { type: 'string', value: 'DIR', help: 'the ID split folder (P)' },
    ood: { type: 'string', value: 'DIR', help: 'the OOD split folder (Q)' },
    club: BOUND_OPTIONS.club,
    estimator: BOUND_OPTIONS.estimator,
    k: BOUND_OPTIONS.k,
    epochs: BOUND_OPTIONS.epochs,
    subsets: { type: 'string', value: 'K', sets: ['subsets'], help: 'subsets drawn from each split (default: as many disjoint ones as fit, at most 20)' },
    'subset-size': { type: 'string', value: 'M', sets: ['subsetSize'], help: 'rows per subset (default: a tenth of the smaller split, at least 2); K × M ≤ rows of each split' },
    seed: { type: 'string', value: 'S', help: 'seeds the subsets, the relabelling, the random score and the bootstrap (default 0)' },
    alternative: { type: 'string', value: 'A', sets: ['alternative'], help: 'greater (default), less or two-sided, for "EMIDs against OOD subsets" versus the null' },
    bootstrap: { type: 'string', value: 'N', sets: ['resamples'], help: 'bootstrap resamples of the AUC intervals (default 1000)' },
    confidence: { type: 'string', value: 'C', sets: ['confidence'], help: 'interval coverage (default 0.95)' },
    ...SPACE_OPTIONS,
    json: { type: 'boolean', help: 'print one JSON object: pointwise, subsets, subset_pair_test (with its alternative and sanity checks), provenance' },
  },
  async run(options, { argv }) {
    const idDir = requireOption(options.id, 'id', 'detect');
    const oodDir = requireOption(options.ood, 'ood', 'detect');
    const subsets = numberOption(options.subsets, 'subsets', (n) => Number.isInteger(n) && n >= 2, 'a whole number ≥ 2');
    const subsetSize = numberOption(options['subset-size'], 'subset-size', (n) => Number.isInteger(n) && n >= 2, 'a whole number ≥ 2');
    const seed = numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
    const resamples = numberOption(options.bootstrap, 'bootstrap', isPositiveInteger, 'a positive number of resamples');
    const confidence = numberOption(options.confidence, 'confidence', (n) => n > 0 && n < 1, 'a number strictly between 0 and 1');
    const alternative = options.alternative ?? 'greater';
    const { ALTERNATIVES } = await import('../../stats/rankTests');
    if (!(ALTERNATIVES as readonly string[]).includes(alternative)) throw new InputError(`expected ${ALTERNATIVES.slice(0, -1).join(', ')} or ${ALTERNATIVES[ALTERNATIVES.length - 1]}, got '${alternative}'`, { field: '--alternative' });
    const { readSplitFolder } = await import('../../data/splitDirectory');
    const { detectShift, detectShiftBySubsets, toDetectionJson } = await import('../../emi/shiftDetection');
    const id = readSplitFolder(idDir);
    const ood = readSplitFolder(oodDir);
    const settings = {
      subsets,
      subsetSize,
      seed,
      alternative: alternative as import('../../stats/rankTests').Alternative,
      bootstrap: { resamples, confidence },
      allowSpaceMismatch: Boolean(options['allow-space-mismatch']),
    };
    const chosen = await chooseEstimator('detect', options, () => [id, ood]);
    const invocation = { command: ['emishift', 'detect', ...argv].join(' ') };
    let json: Record<string, unknown>;
    if (chosen.kind === 'club file') {
      const estimator = chosen.estimator;
      json = toDetectionJson(await withSpaceHint(() => detectShift(id, ood, estimator, settings)), invocation);
    } else {
      // Only CLUB has per-query terms; the subset-pair test needs estimates on subsets alone.
      const estimator = chosen.estimator;
      json = toDetectionJson(await withSpaceHint(() => detectShiftBySubsets(id, ood, estimator, settings)), invocation);
      json.pointwise_note = `${chosen.name} gives no pointwise values (its estimate is not a mean of per-row terms): per-query detection needs --estimator club`;
    }
    if (options.json) {
      printJson(json);
      return;
    }
    type Metrics = { roc_auc: number; roc_auc_ci: [number, number]; pr_auc: number; pr_auc_ci: [number, number]; pr_auc_chance: number; positives: number; negatives: number };
    const line = (unit: string, m: Metrics) => [unit, m.roc_auc, m.roc_auc_ci, m.pr_auc, m.pr_auc_ci, m.pr_auc_chance, `${m.positives} / ${m.negatives}`];
    const rows = [...(json.pointwise ? [line('query', json.pointwise as Metrics)] : []), line('subset', json.subsets as Metrics)];
    process.stdout.write(`${formatTable(['unit', 'roc_auc', 'roc_auc_ci', 'pr_auc', 'pr_auc_ci', 'pr_auc_chance', 'ood / id'], rows)}\n`);
    const test = json.subset_pair_test as { p_value: number; u: number; alternative: string; hypothesis: string; sanity: { shuffled_labels: { p_value: number }; random_score: { p_value: number } } };
    const subsetInfo = json.subsets as { k: number; m: number };
    process.stdout.write(`subset-pair test (K = ${subsetInfo.k} subsets of ${subsetInfo.m} rows per split): U = ${test.u}, p = ${test.p_value} (alternative ${test.alternative}: ${test.hypothesis})\n`);
    process.stdout.write(`sanity checks (should be null): shuffled labels p = ${test.sanity.shuffled_labels.p_value}, random score p = ${test.sanity.random_score.p_value}\n`);
    if (json.pointwise_note) process.stdout.write(`note: ${json.pointwise_note as string}\n`);
  },
});
