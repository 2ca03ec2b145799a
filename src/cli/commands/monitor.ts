import { defineCommand } from '../command';
import { InputError } from '../../errors';
import { isPositiveInteger, numberOption, requireOption } from '../args';
import { formatPValue, formatTable, printJson } from '../output';
import { commandProgress } from '../progress';
import { BOUND_OPTIONS, PROGRESS_OPTION, boundOptions, chooseEstimator } from './shared';

const OPTIONS = {
  reference: { type: 'string', value: 'DIR', help: 'the reference split folder (what the stream is compared with)', sets: ['reference'] },
  stream: {
    type: 'string',
    value: 'PATH',
    sets: ['stream'],
    help: [
      'the stream: a split folder (rows in arrival order), or a file of rows to embed (.jsonl with',
      'question, model_answer, reference_answer and optionally image; .csv, .parquet), embedded in',
      "the reference's space with the embedder family its manifest names (or --embedder)",
    ],
  },
  window: { type: 'string', value: 'N', help: 'rows per window (at least 2, at most the stream\'s rows)', sets: ['window'] },
  step: { type: 'string', value: 'M', help: 'rows between window starts (default N: windows side by side)', sets: ['step'] },
  permutations: {
    type: 'string',
    value: 'K',
    sets: ['permutations'],
    help: [
      "permutation p-values per window for EMID, jsd_v, jsd_t and the bound (reference and window pooled),",
      'and the alert; without it no p-values and alert null',
    ],
  },
  seed: { type: 'string', value: 'S', help: "the permutations' seed (default 0)", sets: ['seed'] },
  alpha: { type: 'string', value: 'A', help: 'alert when the adjusted p-value is below A (default 0.05)', sets: ['alpha'] },
  adjust: {
    type: 'string',
    value: 'R',
    sets: ['adjust'],
    help: [
      "how a window's p-values become the one compared with A: bonferroni (default; the number of",
      'statistics × the smallest) or bh (the smallest Benjamini–Hochberg q-value, Simes). Decided per',
      "window: later windows never change an alert; the false-alert rate per clean window is at most A",
    ],
  },
  statistics: { type: 'string', value: 'LIST', help: 'the statistics tested, comma-separated (default emid,jsd_v,jsd_t,emid_ub; jsd_v only with images)', sets: ['statistics'] },
  ...BOUND_OPTIONS,
  embedder: { type: 'string', value: 'E', help: "with a file of rows: the embedder family (builtin, transformers, openai; default the reference's)", sets: ['embedder'] },
  out: {
    type: 'string',
    value: 'FILE',
    help: [
      'append one JSON line per finished window to FILE (a header line first, with the settings and',
      'provenance); a rerun resumes after the last finished window and appends nothing when all are',
      'done; a rerun with other settings is refused (exit 2)',
    ],
  },
  json: { type: 'boolean', help: 'print one JSON object: settings, reference, windows (the keys of the --out lines), provenance' },
  ...PROGRESS_OPTION,
} as const;

export const monitorCommand = defineCommand({
  name: 'monitor',
  summary: 'compare windows of a stream with a reference split over time: EMID, the bound, p-values, alerts',
  usage: [
    'Usage: emishift monitor --reference DIR --stream PATH --window N [--step M] [--permutations K [--seed S]',
    '                        [--alpha A] [--adjust bonferroni|bh] [--statistics LIST]]',
    '                        (--club FILE | --estimator NAME [--k K] [--epochs E]) [--mixture M] [--entropy-scale H]',
    '                        [--embedder E] [--out FILE.jsonl] [--json] [--progress]',
    '',
    'Cuts the stream into windows of N rows every M rows (rows [start, start + N)) and compares each with',
    'the reference: EMI of the window, EMID = EMI(reference) − EMI(window), the EMID upper bound and its',
    'terms, and with --permutations their permutation p-values and an alert.',
  ],
  options: OPTIONS,
  async run(options, { argv }) {
    const referenceDir = requireOption(options.reference, 'reference', 'monitor');
    const streamPath = requireOption(options.stream, 'stream', 'monitor');
    const window = numberOption(requireOption(options.window, 'window', 'monitor'), 'window', (n) => Number.isInteger(n) && n >= 2, 'an integer ≥ 2 (rows per window; each side needs at least 2 rows)') as number;
    const step = numberOption(options.step, 'step', isPositiveInteger, 'a positive integer');
    const permutations = numberOption(options.permutations, 'permutations', isPositiveInteger, 'a positive integer (K ≥ 1)');
    const seed = numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
    const alpha = numberOption(options.alpha, 'alpha', (n) => n > 0 && n < 1, 'a number strictly between 0 and 1');
    if (permutations === undefined) {
      for (const flag of ['seed', 'alpha', 'adjust', 'statistics'] as const) {
        if (options[flag] !== undefined) throw new InputError(`goes with --permutations K (p-values and alerts need permutations)`, { field: `--${flag}` });
      }
    }
    const { mixture, entropyScale } = boundOptions(options);
    const { readSplitFolder } = await import('../../data/splitDirectory');
    const { readStream } = await import('../../monitor/streamInput');
    const { ALERT_ADJUSTMENTS } = await import('../../monitor/monitorStream');
    const adjust = options.adjust ?? 'bonferroni';
    if (!(ALERT_ADJUSTMENTS as readonly string[]).includes(adjust)) throw new InputError(`expected ${ALERT_ADJUSTMENTS.join(' or ')}, got '${adjust}'`, { field: '--adjust' });
    const statistics = options.statistics?.split(',').map((name) => name.trim()) as import('../../significance/permutationTest').PermutationStatistic[] | undefined;
    const reference = readSplitFolder(referenceDir);
    const stream = await readStream(streamPath, reference, { embedder: options.embedder });
    const { estimator } = await chooseEstimator('monitor', options, () => [reference]);
    const monitorOptions = {
      window,
      step,
      permutations,
      seed,
      alpha,
      adjust: adjust as import('../../monitor/monitorStream').AlertAdjustment,
      statistics,
      mixture,
      entropyScale,
      onProgress: commandProgress('monitor', options.progress, { stage: 'monitoring', unit: 'windows' }),
    };
    let result: import('../../monitor/monitorStream').MonitorResult;
    let resumed = 0;
    if (options.out !== undefined) {
      const { monitorToLog } = await import('../../monitor/monitorLog');
      const logged = await monitorToLog(reference, stream, estimator, { ...monitorOptions, out: options.out, streamLocation: streamPath, invocation: { command: ['emishift', 'monitor', ...argv].join(' ') } });
      result = logged;
      resumed = logged.resumed;
      if (logged.tornBytes !== undefined) process.stderr.write(`emishift monitor: ${options.out}: cut off a torn last line (${logged.tornBytes} bytes) left by an interrupted run\n`);
    } else {
      const { monitorStream } = await import('../../monitor/monitorStream');
      result = await monitorStream(reference, stream, estimator, monitorOptions);
    }
    for (const warning of result.provenance.warnings) process.stderr.write(`emishift monitor: warning: ${warning}\n`);
    const { toMonitorLine, toSettingsJson } = await import('../../monitor/monitorLog');
    if (options.json) {
      printJson({
        settings: toSettingsJson(result.settings),
        reference: { name: result.reference.name, rows: result.reference.rows, emi: result.reference.emi.emi, mi_model: result.reference.emi.miModel, mi_ref: result.reference.emi.miReference },
        stream: { location: streamPath, rows: result.streamRows },
        windows: result.windows.map(toMonitorLine),
        ...(options.out !== undefined ? { out: options.out, resumed_windows: resumed } : {}),
        provenance: result.provenance,
      });
      return;
    }
    const tested = result.settings.permutations !== null;
    const rows = result.windows.map((w) => [
      `${w.start}–${w.end - 1}`,
      w.emi.emi,
      w.emid,
      w.emidUpperBound,
      ...(tested ? [w.pValues?.emid !== undefined ? formatPValue(w.pValues.emid) : '–', formatPValue(w.adjustedPValue as number), w.alert ? 'ALERT' : ''] : []),
    ]);
    process.stdout.write(`${formatTable(['rows', 'EMI', 'EMID', 'EMID_UB', ...(tested ? ['p(EMID)', 'adjusted p', 'alert'] : [])], rows)}\n`);
    const { describeEstimator } = await import('../../sweep/provenance');
    process.stdout.write(`${describeEstimator(result.provenance.estimator)}\n`);
    process.stdout.write(tested ? `${result.provenance.alert_rule}; ${result.windows.filter((w) => w.alert).length} of ${result.windows.length} windows alert\n` : 'no p-values or alerts without --permutations\n');
    if (options.out !== undefined) process.stdout.write(`${result.windows.length - resumed} windows appended to ${options.out}${resumed > 0 ? ` (${resumed} resumed from it)` : ''}\n`);
  },
});
