import type { Command } from '../main';
import { InputError } from '../../errors';
import { isPositiveInteger, numberOption, parseCommandArgs, requireOption } from '../args';
import { printJson } from '../output';
import { stderrProgress } from '../progress';
import { SPLIT_OPTIONS, SPLIT_USAGE, loadSplitArgument } from './shared';

const EMBEDDERS = ['builtin', 'transformers', 'openai'] as const;

const OPTIONS = {
  ...SPLIT_OPTIONS,
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

export const embedCommand: Command = {
  summary: 'embed a split into t.npy, yhat.npy, y.npy (and v.npy) plus a manifest, as sweep reads them',
  usage: [
    'Usage: emishift embed --split FILE --out DIR [--format combined|llava|parquet|csv] [--responses FILE]',
    '                      [--embedder builtin|transformers|openai] [--batch-size N] [--dimension D] [--force] [--json]',
    '',
    'Writes DIR/t.npy (questions), yhat.npy (model answers), y.npy (reference answers), v.npy (images, when the',
    'split has them) and manifest.json. Matrices whose inputs and embedder are unchanged are reused; an',
    'interrupted run resumes from its last saved batch.',
    ...SPLIT_USAGE,
    'Embedders:',
    '  builtin       offline and deterministic (hashed character n-grams; colour/edge/layout image statistics),',
    '                768-d: a stand-in for the paper\'s encoders, not a replacement (default)',
    '  transformers  the paper\'s encoders from local model directories: XLM-RoBERTa-base (embedding-layer output)',
    '                --text-model DIR (default $EMISHIFT_XLMR_DIR) and CLIP ViT-B/32 --image-model DIR',
    '                (default $EMISHIFT_CLIP_DIR); nothing is downloaded',
    '  openai        a served model over /v1/embeddings (vLLM, TEI, Ollama): --base-url, --model, --api-key',
    '                (defaults EMISHIFT_EMBEDDINGS_BASE_URL, _MODEL, _API_KEY); text only',
    '  --dimension D    refuse an embedder whose dimension is not D (e.g. 768 for the public CLUB checkpoint)',
    '  --force          re-embed every column',
  ].join('\n'),
  async run(argv) {
    const options = parseCommandArgs('embed', argv, OPTIONS);
    const out = requireOption(options.out, 'out', 'embed');
    const kind = options.embedder ?? 'builtin';
    if (!(EMBEDDERS as readonly string[]).includes(kind)) throw new InputError(`expected ${EMBEDDERS.join(', ')}, got '${kind}'`, { field: '--embedder' });
    const batchSize = numberOption(options['batch-size'], 'batch-size', isPositiveInteger, 'a positive integer');
    const expectedDimension = numberOption(options.dimension, 'dimension', isPositiveInteger, 'a positive integer');
    const started = performance.now();
    const table = await loadSplitArgument('embed', options);
    const { createEmbedder, embedSplit } = await import('../../embed/index');
    const embedders =
      kind === 'transformers'
        ? createEmbedder('transformers', { textModel: options['text-model'], imageModel: options['image-model'] })
        : kind === 'openai'
          ? createEmbedder('openai', { baseUrl: options['base-url'], model: options.model, apiKey: options['api-key'] })
          : createEmbedder('builtin');
    if (table.rows.some((row) => row.image) && !embedders.image) {
      process.stderr.write(`emishift embed: the ${kind} embedder has no image model: writing a text-only split (no v.npy)\n`);
    }
    const result = await embedSplit(table, out, {
      textEmbedder: embedders.text,
      imageEmbedder: embedders.image,
      batchSize,
      expectedDimension,
      force: options.force,
      onProgress: stderrProgress('embed', Boolean(options.progress) || Boolean(process.stderr.isTTY)),
    });
    const summary = {
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
    if (options.json) printJson(summary);
    else
      process.stdout.write(
        `${table.name}: ${summary.rows} rows, ${summary.dimension}-d (${summary.embedder.text}${summary.images ? `, ${summary.embedder.image}` : ''}) → ${summary.out}` +
          ` [embedded ${result.embedded.join(', ') || 'nothing'}; reused ${result.reused.join(', ') || 'nothing'}] in ${summary.seconds} s\n`,
      );
  },
};
