import { defineCommand } from '../command';
import { requireOption } from '../args';
import { formatTable, printJson } from '../output';
import { BOUND_OPTIONS, baselineOptionTable, baselineOptions, bootstrapOptionTable, bootstrapOptions, boundOptions, comparisonContext, describeIntervals, describePermutations, chooseEstimator, permutationOptionTable, permutationOptions, SPACE_OPTIONS, withSpaceHint } from './shared';

export const pairCommand = defineCommand({
  name: 'pair',
  summary: 'EMI, EMID and the EMID upper bound for one source (ID) / target (OOD) pair',
  usage: [
    'Usage: emishift pair --source DIR --target DIR (--club FILE | --estimator NAME [--k K] [--epochs E])',
    '                     [--mixture sample-weighted|equal] [--entropy-scale H]',
    '                     [--bootstrap N [--confidence C] [--seed S] [--interval basic|percentile|bca]]',
    '                     [--permutations N [--paired]] [--baselines [--baseline-permutations N]] [--seed S]',
    '                     [--allow-space-mismatch] [--json]',
    '',
    'DIR holds t.npy, yhat.npy, y.npy and optionally v.npy (n × d float32, rows aligned).',
  ],
  options: {
    source: { type: 'string', value: 'DIR', help: 'the source (ID) split folder' },
    target: { type: 'string', value: 'DIR', help: 'the target (OOD) split folder' },
    ...BOUND_OPTIONS,
    ...bootstrapOptionTable(),
    ...permutationOptionTable(['(adds emid_pvalue, jsd_v_pvalue, jsd_t_pvalue, emid_ub_pvalue)']),
    ...SPACE_OPTIONS,
    ...baselineOptionTable(['(adds mmd2_M, mmd2_M_pvalue, mmd2_sigma_M, domain_auc_M, mean_cos_dist_M for M = v, t, yhat)']),
    json: {
      type: 'boolean',
      help: [
        'print one JSON object (with --bootstrap, also emi_source_ci, emi_target_ci, emid_ci, emid_ub_ci',
        "and interval_method; `provenance`: emishift version, command, estimator file and SHA-256,",
        "each split's embedding space)",
      ],
    },
  },
  async run(options, { argv }) {
    const sourceDir = requireOption(options.source, 'source', 'pair');
    const targetDir = requireOption(options.target, 'target', 'pair');
    const { mixture, entropyScale } = boundOptions(options);
    const bootstrap = bootstrapOptions(options);
    const baselines = baselineOptions(options);
    const permutationTest = permutationOptions(options);
    const { readSplitFolder } = await import('../../data/splitDirectory');
    const { comparePair } = await import('../../sweep/sweep');
    const { toPairJson } = await import('../../sweep/resultsJson');
    const { describeEstimator } = await import('../../sweep/provenance');
    const source = readSplitFolder(sourceDir);
    const target = readSplitFolder(targetDir);
    const { estimator } = await chooseEstimator('pair', options, () => [source, target]);
    const comparison = await withSpaceHint(() =>
      comparePair(source, target, estimator, { mixture, entropyScale, bootstrap, permutationTest, ...(baselines ? { baselines } : {}), locations: [sourceDir, targetDir], ...comparisonContext('pair', argv, options) }),
    );
    const values: Record<string, unknown> = toPairJson(comparison, bootstrap?.method);
    if (options.json) {
      printJson({ ...values, provenance: comparison.provenance });
      return;
    }
    const rows = Object.entries(values)
      .filter(([key]) => key !== 'interval_method')
      .map(([key, value]) => [key, value as number | [number, number]]);
    process.stdout.write(`${formatTable(['quantity', 'value'], rows)}\n`);
    process.stdout.write(`${describeEstimator(comparison.provenance.estimator)}\n`);
    if (permutationTest) process.stdout.write(`${describePermutations(permutationTest)}\n`);
    if (!bootstrap) return;
    process.stdout.write(`${describeIntervals(bootstrap)}\n`);
    for (const [key, interval] of Object.entries(values)) {
      const estimate = values[key.replace(/_ci$/, '')];
      if (!key.endsWith('_ci') || !Array.isArray(interval) || typeof estimate !== 'number') continue;
      if (estimate < interval[0] || estimate > interval[1]) {
        process.stdout.write(
          `note: ${key.replace(/_ci$/, '')} lies outside its interval: its bootstrap bias exceeds its spread, so a bias-corrected interval excludes the estimate (see --interval in 'emishift pair --help')\n`,
        );
      }
    }
  },
});
