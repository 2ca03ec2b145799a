import type { Command } from '../main';
import { InputError } from '../../errors';
import { isPositiveInteger, numberOption, parseCommandArgs, requireOption, type ParsedOptions } from '../args';
import { printJson } from '../output';
import { commandProgress, stderrProgress } from '../progress';
import { PROGRESS_USAGE, SPLIT_FLAGS, SPLIT_OPTIONS, SPLIT_USAGE, loadSplitArgument } from './shared';

const EMBEDDERS = ['builtin', 'transformers', 'openai'] as const;

/**
 * Files --split-dir takes as splits. Not `.json`: a folder of splits often holds a config, a
 * manifest or results as .json, and reading one as a split would stop the run.
 */
const SPLIT_DIR_EXTENSIONS = ['.jsonl', '.ndjson', '.csv', '.parquet', '.pq'];

/** Answer files a --responses folder is searched for. */
const ANSWER_EXTENSIONS = ['.jsonl', '.json', '.ndjson'];

const OPTIONS = {
  ...SPLIT_OPTIONS,
  'split-dir': { type: 'string' },
  out: { type: 'string' },
  embedder: { type: 'string' },
  'text-model': { type: 'string' },
  'image-model': { type: 'string' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'api-key': { type: 'string' },
  'batch-size': { type: 'string' },
  dimension: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
} as const;

type EmbedOptions = ParsedOptions<typeof OPTIONS>;

export const embedCommand: Command = {
  summary: 'embed a split (or a folder of splits) into t.npy, yhat.npy, y.npy (and v.npy) plus a manifest, as sweep reads them',
  usage: [
    'Usage: emishift embed --split FILE --out DIR [--format combined|llava|parquet|csv] [--responses FILE]',
    '       emishift embed --split-dir DIR --out ROOT [--format F] [--responses DIR]',
    '                      [--embedder builtin|transformers|openai] [--batch-size N] [--dimension D] [--force] [--json] [--progress]',
    '',
    'Writes DIR/t.npy (questions), yhat.npy (model answers), y.npy (reference answers), v.npy (images, when the',
    'split has them) and manifest.json. Matrices whose inputs and embedder are unchanged are reused; an',
    'interrupted run resumes from its last saved batch.',
    ...SPLIT_USAGE,
    '  --split-dir DIR  every split file in DIR (.jsonl, .ndjson, .csv, .parquet, .pq; not .json), each into',
    '                   ROOT/<split name>/ (sweep --root ROOT reads them), with one embedder for all; --responses',
    '                   is then a folder whose answer file for split S is S.jsonl (or .json, .ndjson)',
    'Embedders:',
    '  builtin       offline and deterministic (hashed character n-grams; colour/edge/layout image statistics),',
    '                768-d: a stand-in for the paper\'s encoders, not a replacement (default)',
    '  transformers  the paper\'s encoders from local model directories: XLM-RoBERTa-base (embedding-layer output)',
    '                --text-model DIR (default $EMISHIFT_XLMR_DIR) and CLIP ViT-B/32 --image-model DIR',
    '                (default $EMISHIFT_CLIP_DIR); nothing is downloaded',
    '  openai        a served model over /v1/embeddings (vLLM, TEI, Ollama): --base-url, --model, --api-key',
    '                (defaults EMISHIFT_EMBEDDINGS_BASE_URL, _MODEL, _API_KEY); text only',
    '  --batch-size N   rows per embedder call and per saved checkpoint (default 32)',
    '  --dimension D    refuse an embedder whose dimension is not D (e.g. 768 for the public CLUB checkpoint)',
    '  --force          re-embed every column',
    '  --json           print the summary as JSON (an array with --split-dir)',
    PROGRESS_USAGE,
  ].join('\n'),
  flags: {
    ...SPLIT_FLAGS,
    textModel: '--text-model',
    imageModel: '--image-model',
    baseUrl: '--base-url',
    model: '--model',
    apiKey: '--api-key',
    batchSize: '--batch-size',
    expectedDimension: '--dimension',
    dimension: '--dimension',
    embedder: '--embedder',
  },
  options: OPTIONS,
  async run(argv) {
    const options = parseCommandArgs('embed', argv, OPTIONS);
    const out = requireOption(options.out, 'out', 'embed');
    if (options['split-dir'] !== undefined && options.split !== undefined) throw new InputError('give either --split or --split-dir, not both');
    if (options['split-dir'] !== undefined && options.name !== undefined) throw new InputError('--name names one split; with --split-dir each split is named by its file', { field: '--name' });
    if (options['split-dir'] === undefined && options.split === undefined) throw new InputError("missing required option --split or --split-dir (see 'emishift embed --help')");
    const kind = options.embedder ?? 'builtin';
    if (!(EMBEDDERS as readonly string[]).includes(kind)) throw new InputError(`expected ${EMBEDDERS.join(', ')}, got '${kind}'`, { field: '--embedder' });
    const batchSize = numberOption(options['batch-size'], 'batch-size', isPositiveInteger, 'a positive integer');
    const expectedDimension = numberOption(options.dimension, 'dimension', isPositiveInteger, 'a positive integer');
    const detailed = Boolean(options.progress) || Boolean(process.stderr.isTTY);
    const splits = options['split-dir'] !== undefined ? await listSplitFiles(options['split-dir'], options.responses) : undefined;
    // Load the (first) split before the embedder, so a bad split fails before a model is loaded.
    const first = await loadSplitArgument('embed', splits ? { split: splits[0].file, format: options.format, responses: splits[0].responses } : options);
    const embedders = await createEmbedders(kind, options);
    const settings = { embedders, kind, batchSize, expectedDimension, force: options.force };
    if (!splits) {
      const summary = await embedOne(first, out, settings, commandProgress('embed', options.progress, { stage: `embedding ${first.name}`, unit: 'embeddings' }));
      if (options.json) printJson(summary);
      else process.stdout.write(`${summaryLine(summary)}\n`);
      return;
    }
    const { join } = await import('node:path');
    const stages = detailed ? () => {} : commandProgress('embed', false, { stage: 'embedding', unit: 'splits' });
    const summaries = [];
    stages({ done: 0, total: splits.length });
    for (const [index, split] of splits.entries()) {
      const table = index === 0 ? first : await loadSplitArgument('embed', { split: split.file, format: options.format, responses: split.responses });
      const summary = await embedOne(table, join(out, table.name), settings, stderrProgress('embed', detailed));
      summaries.push(summary);
      if (!options.json) process.stdout.write(`${summaryLine(summary)}\n`);
      stages({ done: index + 1, total: splits.length, label: table.name });
    }
    if (options.json) printJson(summaries);
  },
};

type EmbedderPair = import('../../embed/index').EmbedderPair;

/** The embedders the options ask for; a model error names the flag that chose the model. */
async function createEmbedders(kind: string, options: EmbedOptions): Promise<EmbedderPair> {
  const { createEmbedder } = await import('../../embed/index');
  if (kind === 'openai') return createEmbedder('openai', { baseUrl: options['base-url'], model: options.model, apiKey: options['api-key'] });
  if (kind !== 'transformers') return createEmbedder('builtin');
  try {
    return createEmbedder('transformers', { textModel: options['text-model'], imageModel: options['image-model'] });
  } catch (error) {
    // The library names the model directory it could not find ("model '<dir>' not found");
    // which flag (or variable) chose that directory only the CLI knows.
    if (error instanceof InputError && error.field === 'model') {
      const imageModel = options['image-model'] ?? process.env.EMISHIFT_CLIP_DIR;
      const flag = imageModel !== undefined && error.message.includes(`'${imageModel}'`) ? '--image-model' : '--text-model';
      throw new InputError(error.message.slice('model: '.length), { field: flag });
    }
    throw error;
  }
}

interface EmbedSettings {
  embedders: EmbedderPair;
  kind: string;
  batchSize?: number;
  expectedDimension?: number;
  force?: boolean;
}

async function embedOne(table: import('../../data/splitRow').SplitTable, out: string, settings: EmbedSettings, onProgress: import('../../interface').ProgressCallback) {
  const { embedSplit } = await import('../../embed/index');
  const started = performance.now();
  if (table.rows.some((row) => row.image) && !settings.embedders.image) {
    process.stderr.write(`emishift embed: ${table.name}: the ${settings.kind} embedder has no image model: writing a text-only split (no v.npy)\n`);
  }
  const result = await embedSplit(table, out, {
    textEmbedder: settings.embedders.text,
    imageEmbedder: settings.embedders.image,
    batchSize: settings.batchSize,
    expectedDimension: settings.expectedDimension,
    force: settings.force,
    onProgress,
  });
  return {
    split: table.name,
    out: result.directory,
    rows: result.manifest.rows,
    dimension: result.manifest.dimension,
    embedder: result.manifest.embedders,
    images: result.manifest.embedders.image !== null,
    embedded: result.embedded,
    reused: result.reused,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
}

function summaryLine(summary: Awaited<ReturnType<typeof embedOne>>): string {
  return (
    `${summary.split}: ${summary.rows} rows, ${summary.dimension}-d (${summary.embedder.text}${summary.images ? `, ${summary.embedder.image}` : ''}) → ${summary.out}` +
    ` [embedded ${summary.embedded.join(', ') || 'nothing'}; reused ${summary.reused.join(', ') || 'nothing'}] in ${summary.seconds} s`
  );
}

/**
 * The split files of `directory` (sorted by name) and, with a responses folder, each one's
 * answer file. Every problem is found before anything is embedded: an empty folder, two files
 * giving one split name, a split without an answer file.
 */
async function listSplitFiles(directory: string, responses: string | undefined): Promise<{ name: string; file: string; responses?: string }[]> {
  const { readdirSync, statSync } = await import('node:fs');
  const { extname, join } = await import('node:path');
  const { describeReadFailure } = await import('../../io/inputFile');
  const { splitNameFromFile } = await import('../../data/loaders');
  const filesOf = (folder: string, extensions: string[], what: string): string[] => {
    let names: string[];
    try {
      if (!statSync(folder).isDirectory()) throw new InputError(`expected a folder of ${what}`, { file: folder });
      names = readdirSync(folder);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(describeReadFailure(error), { file: folder });
    }
    return names.filter((name) => extensions.includes(extname(name).toLowerCase())).sort();
  };
  const files = filesOf(directory, SPLIT_DIR_EXTENSIONS, 'split files (--split-dir)');
  if (files.length === 0) throw new InputError(`no split files (${SPLIT_DIR_EXTENSIONS.join(', ')}) in the folder`, { file: directory });
  const byName = new Map<string, string>();
  for (const file of files) {
    const name = splitNameFromFile(file);
    const other = byName.get(name);
    if (other !== undefined) throw new InputError(`${other} and ${file} both give the split name '${name}'; keep one`, { file: directory });
    byName.set(name, file);
  }
  let answers: Map<string, string> | undefined;
  if (responses !== undefined) {
    answers = new Map();
    for (const file of filesOf(responses, ANSWER_EXTENSIONS, 'answer files (--responses with --split-dir)')) {
      const name = splitNameFromFile(file);
      if (answers.has(name)) throw new InputError(`${answers.get(name)} and ${file} are both answer files for split '${name}'; keep one`, { file: responses });
      answers.set(name, file);
    }
    const missing = [...byName.keys()].filter((name) => !answers!.has(name));
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length} in all)` : '');
      throw new InputError(`no answer file for split${missing.length === 1 ? '' : 's'} ${shown} (expected <split name>.jsonl)`, { file: responses });
    }
  }
  return [...byName.entries()].map(([name, file]) => ({
    name,
    file: join(directory, file),
    ...(answers ? { responses: join(responses as string, answers.get(name) as string) } : {}),
  }));
}
