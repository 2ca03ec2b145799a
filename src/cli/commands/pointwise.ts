import { InputError } from '../../errors';
import { defineCommand } from '../command';
import { requireOption } from '../args';
import { formatTable, printJson, writeFileAtomic } from '../output';
import { SPACE_OPTIONS, withSpaceHint } from './shared';

/** CLUB from --club, or a refusal naming --estimator when the estimator has no per-row terms. */
export async function pointwiseClub(command: string, options: { club?: string; estimator?: string }) {
  const name = options.estimator ?? 'club';
  const { ClubEstimator, estimatorEntry, pointwiseEstimatorNames } = await import('../../estimators');
  const entry = estimatorEntry(name, '--estimator');
  if (!entry.pointwise) {
    throw new InputError(`${name} gives no pointwise values: its estimate is not a mean of per-row terms (estimators with pointwise values: ${pointwiseEstimatorNames().join(', ')})`, { field: '--estimator' });
  }
  return ClubEstimator.load(requireOption(options.club, 'club', command));
}

export const pointwiseCommand = defineCommand({
  name: 'pointwise',
  summary: "pointwise EMI: each query's part of a split's EMI (model − reference), the most hurt first",
  usage: [
    'Usage: emishift pointwise --split DIR --club FILE [--estimator club] [--out FILE.csv|FILE.jsonl] [--json]',
    '',
    "Per query i: mi_model_i and mi_ref_i, its terms of CLUB's Î(z; z_ŷ) and Î(z; z_y) (one pass",
    'over z), and emi_i = mi_model_i − mi_ref_i; their mean is the split EMI. question_id comes from',
    "the split's manifest when it has one. Without --json: the ten lowest emi_i (the queries a shift",
    'hurts most) and the mean.',
  ],
  options: {
    split: { type: 'string', value: 'DIR', help: 'the split folder (t.npy, yhat.npy, y.npy, optionally v.npy and manifest.json)' },
    club: { type: 'string', value: 'FILE', help: "CLUB weights: the authors' .pt checkpoint or a .safetensors file from `emishift train`" },
    estimator: { type: 'string', value: 'NAME', sets: ['estimator'], help: 'the estimator (default club; only an estimator whose estimate is a mean of per-row terms has pointwise values)' },
    out: { type: 'string', value: 'FILE', help: 'also write every row to FILE: .csv (row,question_id,emi,mi_model,mi_ref) or .jsonl (one object per row), atomically' },
    json: { type: 'boolean', help: 'print { "emi", "mi_model", "mi_ref", "rows": [{ row, question_id?, emi, mi_model, mi_ref }], "provenance" }' },
    ...SPACE_OPTIONS,
  },
  async run(options, { argv }) {
    const splitDir = requireOption(options.split, 'split', 'pointwise');
    const out = options.out;
    if (out !== undefined && !/\.(csv|jsonl)$/i.test(out)) throw new InputError(`expected a file ending in .csv or .jsonl, got '${out}'`, { field: '--out' });
    const { readSplitFolder } = await import('../../data/splitDirectory');
    const { pointwiseEmi, toPointwiseJson, pointwiseCsv, pointwiseJsonl, mostHurtQueries } = await import('../../emi/pointwiseEmi');
    const set = readSplitFolder(splitDir);
    const estimator = await pointwiseClub('pointwise', options);
    const result = await withSpaceHint(() => pointwiseEmi(set, estimator, { allowSpaceMismatch: Boolean(options['allow-space-mismatch']) }));
    for (const mismatch of result.spaceMismatches ?? []) process.stderr.write(`emishift pointwise: warning: ${mismatch} (allowed by --allow-space-mismatch)\n`);
    if (out !== undefined) writeFileAtomic(out, /\.csv$/i.test(out) ? pointwiseCsv(result) : pointwiseJsonl(result));
    if (options.json) {
      printJson(toPointwiseJson(result, { command: ['emishift', 'pointwise', ...argv].join(' ') }));
      return;
    }
    const worst = mostHurtQueries(result, 10);
    const hasIds = worst.some((row) => row.question_id !== undefined);
    const header = ['row', ...(hasIds ? ['question_id'] : []), 'emi', 'mi_model', 'mi_ref'];
    const rows = worst.map((row) => [row.row, ...(hasIds ? [String(row.question_id ?? '')] : []), row.emi, row.mi_model, row.mi_ref]);
    process.stdout.write(`EMI ${result.emi} = mean of ${result.rows.length} queries' emi (mi_model ${result.miModel}, mi_ref ${result.miReference})\n`);
    process.stdout.write(`the ${worst.length} lowest emi (the queries the model's answers serve worst):\n${formatTable(header, rows)}\n`);
    if (out !== undefined) process.stdout.write(`all ${result.rows.length} rows: ${out}\n`);
  },
});
