import { defineCommand } from '../command';
import { requireOption } from '../args';
import { formatCoefficient, formatPValue, formatTable, printJson } from '../output';
import { commandProgress } from '../progress';
import { PROGRESS_OPTION } from './shared';
import type { ConfigRunResult } from '../../pipeline/runFromConfig';

export const runCommand = defineCommand({
  name: 'run',
  summary: 'the whole job from split files: embed, train CLUB, EMI/EMID/bound, correlations, results JSON and HTML report',
  usage: [
    'Usage: emishift run --config FILE [--json] [--progress]',
    '',
    'FILE is JSON: { "id": "<ID split name>", "out": "out/job", "splits": [ { "file": "...", "responses": "...",',
    '"name": "...", "format": "...", "imageRoot": "..." }, ... ], "club": { "preset": "small", "epochs": 300, ... } }, or',
    '{ "benchmark": { "data": "<shipped benchmark folder>" | "seed": S, "trainQueries": N, "splitQueries": N,',
    '"modelEpochs": N, "splits": [names of the default grid\'s splits to run] } }, where seed and the counts, when',
    'given, beat the shipped folder\'s settings.json (the ID split always runs). Paths are',
    'relative to the config file. Each split is loaded (as `embed --split`: a file, hf:<dataset>/<split> or a URL),',
    'embedded (with the built-in embedder unless "embedder" says otherwise), CLUB is trained on the pooled',
    '(query, reference answer) pairs with a named preset (small by default, or paper: the same presets as',
    '`train --preset`; other keys override it), and every split is compared with the ID split. Optional keys:',
    '  "embedder"      "builtin" (default), "pretrained" (USE-lite + MobileNetV2 from their npm packages, offline),',
    '                  "transformers" or "openai", or an object with "kind" and its settings:',
    '                  { "kind": "transformers", "textModel", "imageModel", "modelRoot", "maxLength" } or',
    '                  { "kind": "openai", "baseUrl", "model", "batchSize", "concurrency", "dimension" }, as',
    '                  `embed --embedder` (the API key comes from EMISHIFT_EMBEDDINGS_API_KEY or OPENAI_API_KEY,',
    '                  never from the config, which the results record)',
    '  "mixture"       "sample-weighted" (default) or "equal";  "entropyScale": Ĥ for the full bound',
    '  "bootstrap"     { "resamples": N, "confidence": C, "seed": S, "method": "basic"|"percentile"|"bca" }:',
    '                  intervals as `sweep --bootstrap`',
    'A split\'s "imageRoot" is the folder the image paths of a JSONL/CSV question file are relative to and stay',
    'inside (as `embed --image-root`; default: the file\'s folder, then <folder>/<file stem>/images/).',
    'On the benchmark, "pretrained" also switches the answering model to the one that reads the pretrained',
    'image and question embeddings (data/benchmark/answering-model-pretrained.json); otherwise it reads pixels.',
    'An unknown key is an error. Writes OUT/embeddings/, OUT/embedding-cache/ (each distinct image and text',
    'embedded once), OUT/club.safetensors, OUT/results.json and OUT/report.html; a rerun reuses what has not changed.',
  ],
  options: {
    config: { type: 'string', value: 'FILE', help: 'the job config (JSON, above)' },
    json: { type: 'boolean', help: 'print the summary (outputs, reuse, correlations) as JSON' },
    ...PROGRESS_OPTION,
  },
  async run(options, { argv }) {
    const configFile = requireOption(options.config, 'config', 'run');
    const { readJobConfig } = await import('../../pipeline/jobConfig');
    const { runFromConfig, summarizeJob } = await import('../../pipeline/runFromConfig');
    const config = readJobConfig(configFile);
    const result = await runFromConfig(config, {
      configFile,
      invocation: { command: ['emishift', 'run', ...argv].join(' ') },
      warn: (message) => process.stderr.write(`emishift run: warning: ${message}\n`),
      onProgress: commandProgress('run', options.progress),
    });
    const summary = summarizeJob(result);
    if (options.json) {
      printJson(summary);
      return;
    }
    printTable(result);
    const { describeEstimator } = await import('../../sweep/provenance');
    process.stdout.write(`${describeEstimator(result.sweep.provenance.estimator)}\n`);
    process.stdout.write(`results: ${summary.results}\nreport: ${summary.report}\n`);
  },
});

/** The per-split table and the correlation lines. */
function printTable(result: ConfigRunResult): void {
  const accuracy = result.kind === 'benchmark' ? result.accuracy : undefined;
  const header = accuracy ? ['OOD split', 'accuracy', 'EMI', 'EMID', 'EMID_UB'] : ['OOD split', 'EMID', 'EMID_UB'];
  const rows = result.sweep.comparisons.map((c) => (accuracy ? [c.target, accuracy[c.target], c.targetEmi.emi, c.emid, c.emidUpperBound] : [c.target, c.emid, c.emidUpperBound]));
  process.stdout.write(`${formatTable(header, rows)}\n\n`);
  if (accuracy) process.stdout.write(`ID split accuracy ${accuracy[result.sweep.idSplit].toFixed(3)}, EMI ${result.sweep.emi[result.sweep.idSplit].emi.toFixed(4)}\n`);
  // Only the embedding model is named: the pixel model's printout stays as it was.
  if (result.kind === 'benchmark' && result.answeringModel !== 'pixels') {
    process.stdout.write(`answering model: on the frozen pretrained image and question embeddings (${result.modelReused ? 'loaded from' : 'trained into'} ${result.answeringModelFile})\n`);
  }
  const emiAccuracy = result.results.EMI_vs_ACCURACY as { spearman_rho: number; spearman_pval: number; n: number } | undefined;
  const r = result.results.PearsonR;
  const p = result.results.PearsonPval;
  process.stdout.write(`EMID vs EMID_UB: Pearson r = ${r == null ? 'n/a' : formatCoefficient(r)} (p = ${p == null ? 'n/a' : formatPValue(p)})\n`);
  if (emiAccuracy) process.stdout.write(`EMI vs accuracy: Spearman rho = ${formatCoefficient(emiAccuracy.spearman_rho)} (p = ${formatPValue(emiAccuracy.spearman_pval)}, ${emiAccuracy.n} splits)\n`);
}
