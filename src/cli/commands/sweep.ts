import { defineCommand } from '../command';
import { isPositiveInteger, numberOption, requireOption } from '../args';
import { formatCoefficient, formatPValue, formatTable, printJson } from '../output';
import { commandProgress } from '../progress';
import type { ComparisonPValues } from '../../interface';
import {
  BOUND_OPTIONS,
  PROGRESS_OPTION,
  bootstrapOptionTable,
  bootstrapOptions,
  boundOptions,
  comparisonContext,
  describeIntervals,
  describePermutations,
  chooseEstimator,
  permutationOptionTable,
  permutationOptions,
  SPACE_OPTIONS,
  withSpaceHint,
} from './shared';

export const sweepCommand = defineCommand({
  name: 'sweep',
  summary: 'compare an ID split with every other split under a folder; results JSON in the reference format',
  usage: [
    'Usage: emishift sweep --root DIR --id NAME (--club FILE | --estimator NAME [--k K] [--epochs E]) [--out FILE]',
    '                      [--mixture sample-weighted|equal] [--entropy-scale H]',
    '                      [--bootstrap N [--confidence C] [--seed S] [--interval basic|percentile|bca]] [--threads N]',
    '                      [--permutations N [--seed S] [--paired]]',
    '                      [--allow-space-mismatch] [--json] [--progress]',
    '',
    'Every subfolder of DIR is a split (t.npy, yhat.npy, y.npy, optionally v.npy); NAME is the ID split.',
    'Writes (with --out) and prints the results: EMI, EMID, EMID_UB maps, PearsonR/PearsonPval,',
    'the four RJSD term maps (JSD_V, JSD_T, JSD_PY, JSD_QY) and Spearman/Kendall correlations.',
  ],
  options: {
    root: { type: 'string', value: 'DIR', help: 'the folder of split folders' },
    id: { type: 'string', value: 'NAME', help: 'the ID split (a subfolder of DIR)' },
    ...BOUND_OPTIONS,
    out: {
      type: 'string',
      value: 'FILE',
      help: [
        'write the results JSON to FILE; finished comparisons are checkpointed to FILE.partial.jsonl,',
        'and an interrupted sweep rerun with the same inputs resumes from there',
      ],
    },
    threads: { type: 'string', value: 'N', help: 'threads for large eigenproblems (default: all cores)', sets: ['threads'] },
    ...bootstrapOptionTable(['(adds EMI_CI, EMID_CI, EMID_UB_CI maps and PearsonR_CI, SpearmanRho_CI, KendallTau_CI)']),
    ...permutationOptionTable([
      '(adds EMID_PVAL, EMID_UB_PVAL, JSD_V_PVAL, JSD_T_PVAL maps, and EMID_QVAL: EMID p-values adjusted',
      'by Benjamini–Hochberg across the OOD splits; every split is tested on the same partitions)',
    ]),
    ...SPACE_OPTIONS,
    json: { type: 'boolean', help: 'print the results JSON' },
    ...PROGRESS_OPTION,
  },
  async run(options, { argv }) {
    const root = requireOption(options.root, 'root', 'sweep');
    const id = requireOption(options.id, 'id', 'sweep');
    const { mixture, entropyScale } = boundOptions(options);
    const bootstrap = bootstrapOptions(options);
    const permutationTest = permutationOptions(options);
    const threads = numberOption(options.threads, 'threads', isPositiveInteger, 'a positive integer');
    const { sweepSplitFolders } = await import('../../sweep/sweepFolder');
    const { toResultsJson } = await import('../../sweep/resultsJson');
    const { readSplitFolders } = await import('../../data/splitDirectory');
    const chosen = await chooseEstimator('sweep', options, () => readSplitFolders(root));
    const { estimator } = chosen;
    const metadata =
      chosen.kind === 'club file' ? { split_root: root, club: chosen.clubFile, club_engine: chosen.estimator.resolvedEngine() } : { split_root: root, estimator: chosen.name };
    const result = await withSpaceHint(() =>
      sweepSplitFolders(root, id, estimator, {
        ...comparisonContext('sweep', argv, options),
        mixture,
        entropyScale,
        threads,
        bootstrap,
        permutationTest,
        out: options.out,
        metadata,
        inputFiles: chosen.kind === 'club file' ? [chosen.clubFile] : [],
        estimatorKey: chosen.kind === 'club file' ? null : { k: options.k ?? null, epochs: options.epochs ?? null },
        onProgress: commandProgress('sweep', options.progress, { stage: 'comparing with the ID split', unit: 'splits' }),
      }),
    );
    const json = toResultsJson(result, metadata);
    if (options.json) {
      printJson(json);
      return;
    }
    if (permutationTest) {
      const rows = result.comparisons.map((c) => {
        const p = c.pValues as ComparisonPValues;
        return [c.target, c.emid, formatPValue(p.emid), formatPValue(p.emidQValue as number), c.emidUpperBound, formatPValue(p.emidUpperBound), c.terms.jsdV, c.terms.jsdT, c.terms.jsdQy];
      });
      process.stdout.write(`${formatTable(['OOD split', 'EMID', 'p', 'q', 'EMID_UB', 'p (UB)', 'jsd_v', 'jsd_t', 'jsd_qy'], rows)}\n`);
    } else {
      const rows = result.comparisons.map((c) => [c.target, c.emid, c.emidUpperBound, c.terms.jsdV, c.terms.jsdT, c.terms.jsdQy]);
      process.stdout.write(`${formatTable(['OOD split', 'EMID', 'EMID_UB', 'jsd_v', 'jsd_t', 'jsd_qy'], rows)}\n`);
    }
    if (result.correlation) {
      const { pearson, spearman, kendall, n } = result.correlation;
      process.stdout.write(
        `\nEMID vs EMID_UB over ${n} OOD splits: Pearson r = ${formatCoefficient(pearson.r)} (p = ${formatPValue(pearson.pValue)}), ` +
          `Spearman rho = ${formatCoefficient(spearman.rho)} (p = ${formatPValue(spearman.pValue)}), Kendall tau-b = ${formatCoefficient(kendall.tau)} (p = ${formatPValue(kendall.pValue)})\n`,
      );
    }
    const { describeEstimator } = await import('../../sweep/provenance');
    process.stdout.write(`${describeEstimator(result.provenance.estimator)}\n`);
    if (bootstrap) process.stdout.write(`${describeIntervals(bootstrap)}; the intervals are in the results JSON (--json, --out)\n`);
    if (permutationTest) process.stdout.write(`${describePermutations(permutationTest)}; q: EMID's p-values adjusted by Benjamini–Hochberg across the OOD splits\n`);
    if (options.out) process.stdout.write(`results written to ${options.out}\n`);
  },
});
