import { defineCommand } from '../command';
import { InputError } from '../../errors';
import { isPositiveInteger, numberOption, requireOption } from '../args';
import { formatCoefficient, formatPValue, formatTable, printJson } from '../output';
import { commandProgress } from '../progress';
import type { ComparisonPValues } from '../../interface';
import { BOUND_OPTIONS, PROGRESS_OPTION, baselineOptionTable, baselineOptions, bootstrapOptions, bootstrapOptionTable, boundOptions, comparisonContext, describeIntervals, describePermutations, chooseEstimator, permutationOptionTable, permutationOptions, SPACE_OPTIONS, withSpaceHint } from './shared';

export const sweepCommand = defineCommand({
  name: 'sweep',
  summary: 'compare an ID split with every other split under a folder; results JSON in the reference format',
  usage: [
    'Usage: emishift sweep --root DIR --id NAME (--club FILE | --estimator NAME [--k K] [--epochs E]) [--out FILE]',
    '                      [--mixture sample-weighted|equal] [--entropy-scale H]',
    '                      [--modality V|T|J|ALL] [--rows N [--seed S]]',
    '                      [--bootstrap N [--confidence C] [--seed S] [--interval basic|percentile|bca]] [--threads N]',
    '                      [--permutations N [--seed S] [--paired]]',
    '                      [--allow-space-mismatch] [--json] [--progress]',
    '                      [--baselines [--baseline-permutations N] [--seed S]]',
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
    modality: {
      type: 'string',
      value: 'M',
      sets: ['modality'],
      help: [
        "compare only the OOD splits whose shift touches M (the reference's --shift_modality):",
        'V image-only shifts, T text-only, J joint, ALL every split; the shift is read from each',
        "split's manifest, else from the scenario catalog by name; a split with neither is selected",
        'by ALL only. Each decision and its reason: provenance.split_selection',
      ],
    },
    rows: {
      type: 'string',
      value: 'N',
      sets: ['rows'],
      help: [
        'compare a seeded subset of N rows of every split, the ID split included (the same rows',
        "across a split's matrices; with --seed S, default 0); each split's kept rows:",
        'provenance.splits[NAME].row_subset',
      ],
    },
    ...bootstrapOptionTable(['(adds EMI_CI, EMID_CI, EMID_UB_CI maps and PearsonR_CI, SpearmanRho_CI, KendallTau_CI)']),
    ...permutationOptionTable([
      '(adds EMID_PVAL, EMID_UB_PVAL, JSD_V_PVAL, JSD_T_PVAL maps, and EMID_QVAL: EMID p-values adjusted',
      'by Benjamini–Hochberg across the OOD splits; every split is tested on the same partitions)',
    ]),
    ...SPACE_OPTIONS,
    ...baselineOptionTable([
      '(adds per OOD split the maps MMD2_M, MMD2_M_PVAL, MMD2_SIGMA_M, DOMAIN_AUC_M, MEAN_COS_DIST_M',
      'for M = V (images), T (questions), YHAT (answers), settings in provenance.drift_baselines)',
    ]),
    json: { type: 'boolean', help: 'print the results JSON' },
    ...PROGRESS_OPTION,
  },
  async run(options, { argv }) {
    const root = requireOption(options.root, 'root', 'sweep');
    const id = requireOption(options.id, 'id', 'sweep');
    const { mixture, entropyScale } = boundOptions(options);
    const rowCount = numberOption(options.rows, 'rows', isPositiveInteger, 'a positive integer');
    const bootstrap = bootstrapOptions(options);
    const baselines = baselineOptions(options);
    const permutationTest = permutationOptions(options);
    const rowSubset = rowCount === undefined ? undefined : { rows: rowCount, seed: numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0') ?? 0 };
    const modality = options.modality;
    if (modality !== undefined) {
      const { SHIFT_MODALITY_SELECTIONS } = await import('../../sweep/selection');
      if (!(SHIFT_MODALITY_SELECTIONS as readonly string[]).includes(modality)) {
        throw new InputError(`expected ${SHIFT_MODALITY_SELECTIONS.join(', ')}, got '${modality}'`, { field: '--modality' });
      }
    }
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
        ...(baselines ? { baselines } : {}),
        permutationTest,
        out: options.out,
        metadata,
        inputFiles: chosen.kind === 'club file' ? [chosen.clubFile] : [],
        estimatorKey: chosen.kind === 'club file' ? null : { k: options.k ?? null, epochs: options.epochs ?? null },
        modality: modality as import('../../sweep/selection').ShiftModalitySelection | undefined,
        rowSubset,
        onProgress: commandProgress('sweep', options.progress, { stage: 'comparing with the ID split', unit: 'splits' }),
      }),
    );
    const json = toResultsJson(result, metadata);
    if (options.json) {
      printJson(json);
      return;
    }
    const selection = result.provenance.split_selection;
    if (selection) process.stdout.write(`${describeSelection(selection)}\n`);
    if (rowSubset) process.stdout.write(`rows: a seeded subset of ${rowSubset.rows} rows of every split (seed ${rowSubset.seed}); the rows kept are in provenance.splits[NAME].row_subset\n`);
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
    if (baselines) {
      const suffixes = [['image', 'v'], ['question', 't'], ['answer', 'yhat']] as const;
      const shown = suffixes.filter(([modality]) => result.comparisons.every((c) => c.baselines?.[modality] !== undefined));
      const header = ['OOD split', ...shown.flatMap(([, m]) => [`mmd2_${m}`, `p_${m}`, `auc_${m}`, `cos_${m}`])];
      const baselineRows = result.comparisons.map((c) => [c.target, ...shown.flatMap(([modality]) => {
        const drift = c.baselines![modality]!;
        return [drift.mmd2, drift.mmd2PValue, drift.classifierAuc, drift.meanCosineDistance];
      })]);
      process.stdout.write(`\ndrift baselines (${baselines.permutations} permutations, seed ${baselines.seed}; settings in the results' provenance):\n${formatTable(header, baselineRows)}\n`);
    }
    const { describeEstimator } = await import('../../sweep/provenance');
    process.stdout.write(`${describeEstimator(result.provenance.estimator)}\n`);
    if (bootstrap) process.stdout.write(`${describeIntervals(bootstrap)}; the intervals are in the results JSON (--json, --out)\n`);
    if (permutationTest) process.stdout.write(`${describePermutations(permutationTest)}; q: EMID's p-values adjusted by Benjamini–Hochberg across the OOD splits\n`);
    if (options.out) process.stdout.write(`results written to ${options.out}\n`);
  },
});

/** One line: what a modality selection kept, and how many of each kind it left out (each reason is in the provenance). */
function describeSelection(selection: import('../../interface').SplitSelectionRecord): string {
  const kept = selection.splits.filter((entry) => entry.selected);
  const left = selection.splits.filter((entry) => !entry.selected);
  const byKind = new Map<string, number>();
  for (const entry of left) byKind.set(entry.shift_modality ?? 'no shift recorded', (byKind.get(entry.shift_modality ?? 'no shift recorded') ?? 0) + 1);
  const leftOut = left.length === 0 ? 'none left out' : `left out ${left.length} (${[...byKind].map(([kind, count]) => `${kind}: ${count}`).join(', ')})`;
  return `--modality ${selection.modality} (${selection.meaning}): ${kept.length} of ${selection.splits.length} OOD splits compared, ${leftOut}; each reason is in provenance.split_selection`;
}
