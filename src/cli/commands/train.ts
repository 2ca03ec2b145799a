import { defineCommand } from '../command';
import { isNonNegative, isPositive, isPositiveInteger, numberOption, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { InputError } from '../../errors';
import { PROGRESS_OPTION } from './shared';
import type { EmbeddingSet, Matrix } from '../../interface';

const ENGINES = ['auto', 'native', 'tfjs'] as const;

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a CLUB estimator on paired rows (x_i, y_i) and save it as .safetensors',
  usage: [
    'Usage: emishift train (--x FILE.npy --y FILE.npy | --root DIR) --out FILE [--preset paper|small] [--epochs E] [--batch-size B] [--lr LR]',
    '                      [--seed S] [--hidden H] [--validation-fraction F [--patience P]] [--init FILE] [--engine auto|native|tfjs]',
    '                      [--threads N] [--json] [--progress]',
    '',
    'Trains q(y|x) with Adam on the negative log-likelihood and saves the weights to FILE.',
  ],
  options: {
    x: { type: 'string', value: 'FILE.npy', help: 'the rows x_i (n × d float32), paired with --y' },
    y: { type: 'string', value: 'FILE.npy', help: 'the rows y_i, row i paired with row i of --x' },
    root: {
      type: 'string',
      value: 'DIR',
      help: [
        'instead of --x/--y: pool (z, z_y) pairs from every split folder under DIR, as the reference does',
        '(z = (z_v + z_t) / 2, or z_t for text-only splits; z_y the reference answers); the embedding space',
        "of the split folders' manifests is recorded in FILE, so later comparisons can check that they use",
        'embeddings of that space',
      ],
    },
    out: { type: 'string', value: 'FILE', help: 'where the weights go (.safetensors)' },
    preset: {
      type: 'string',
      value: 'P',
      help: [
        'the settings (the same presets as `run --config` and ClubEstimator.fit): paper (default: 50 epochs,',
        'batch 2048, lr 1e-3, seed 0, 250 hidden units, the published network) or small (200 epochs, batch 256,',
        'lr 3e-3, seed 0, 64 hidden units, for a few thousand pairs); the options below override it',
      ],
    },
    epochs: { type: 'string', value: 'E', help: 'passes over the pairs', sets: ['epochs'] },
    'batch-size': { type: 'string', value: 'B', help: 'pairs per Adam step', sets: ['batchSize'] },
    lr: { type: 'string', value: 'LR', help: 'learning rate', sets: ['learningRate'] },
    seed: { type: 'string', value: 'S', help: 'initialisation and shuffling seed', sets: ['seed'] },
    hidden: { type: 'string', value: 'H', help: 'hidden units of the network', sets: ['hiddenDim'] },
    'validation-fraction': { type: 'string', value: 'F', help: 'share of pairs held out; the best held-out epoch is kept', sets: ['validationFraction'] },
    patience: { type: 'string', value: 'P', help: 'with --validation-fraction: stop after P epochs without a lower held-out loss', sets: ['patience'] },
    init: { type: 'string', value: 'FILE', help: 'continue from saved weights (.pt or .safetensors; Adam restarts from zero moments)', sets: ['initial'] },
    engine: {
      type: 'string',
      value: 'ENGINE',
      sets: ['engine'],
      help: [
        'native = ONNX Runtime kernels on all cores (auto, the default, picks it when installed);',
        'tfjs = TensorFlow.js (tfjs-node when installed, else WASM)',
      ],
    },
    threads: { type: 'string', value: 'N', help: 'threads for the native engine (default: all cores)', sets: ['threads'] },
    json: { type: 'boolean', help: 'print the summary (engine, rows, settings, losses, throughput) as JSON' },
    ...PROGRESS_OPTION,
  },
  async run(options) {
    if (options.root !== undefined && (options.x !== undefined || options.y !== undefined)) {
      throw new InputError('give either --root or --x and --y, not both');
    }
    const out = requireOption(options.out, 'out', 'train');
    const engine = options.engine ?? 'auto';
    if (!(ENGINES as readonly string[]).includes(engine)) throw new InputError(`expected ${ENGINES.join(', ')}, got '${engine}'`, { field: '--engine' });
    const overrides = {
      epochs: numberOption(options.epochs, 'epochs', isPositiveInteger, 'a positive integer'),
      batchSize: numberOption(options['batch-size'], 'batch-size', isPositiveInteger, 'a positive integer'),
      learningRate: numberOption(options.lr, 'lr', isPositive, 'a positive number'),
      seed: numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
      hiddenDim: numberOption(options.hidden, 'hidden', isPositiveInteger, 'a positive integer'),
      validationFraction: numberOption(options['validation-fraction'], 'validation-fraction', (n) => isNonNegative(n) && n < 1, 'a number in [0, 1)'),
      patience: numberOption(options.patience, 'patience', isPositiveInteger, 'a positive integer'),
    };
    const threads = numberOption(options.threads, 'threads', isPositiveInteger, 'a positive integer');
    const { CLUB_PRESET_NAMES, isClubPresetName } = await import('../../estimators');
    const preset = options.preset ?? 'paper';
    if (!isClubPresetName(preset)) throw new InputError(`expected ${CLUB_PRESET_NAMES.join(' or ')}, got '${preset}'`, { field: '--preset' });
    const { loadClub, ClubEstimator } = await import('../../estimators');
    const initial = options.init !== undefined ? loadClub(options.init) : undefined;
    let data: EmbeddingSet[] | { x: Matrix; y: Matrix };
    let dims: { x: number; y: number };
    if (options.root !== undefined) {
      const { readSplitFolders } = await import('../../data/splitDirectory');
      const sets = readSplitFolders(options.root);
      data = sets;
      dims = { x: sets[0].text.cols, y: sets[0].reference.cols };
    } else {
      const { readPairedNpyMatrices } = await import('../../io/npy');
      data = readPairedNpyMatrices(requireOption(options.x, 'x', 'train'), requireOption(options.y, 'y', 'train'));
      dims = { x: data.x.cols, y: data.y.cols };
    }
    if (initial && (initial.xDim !== dims.x || initial.yDim !== dims.y)) {
      throw new InputError(`weights are for ${initial.xDim} → ${initial.yDim}, the training pairs are ${dims.x} → ${dims.y}`, { file: options.init });
    }
    const estimator = await ClubEstimator.fit(data, preset, {
      overrides,
      initial,
      trainEngine: engine as (typeof ENGINES)[number],
      threads,
      onProgress: commandProgress('train', options.progress, { stage: 'training CLUB', unit: 'epochs' }),
    });
    const result = estimator.training!;
    const settings = estimator.origin.training!.settings as Record<string, number>;
    const space = estimator.origin.space;
    if (!space) {
      process.stderr.write(
        `emishift train: warning: the training pairs come from ${options.root !== undefined ? 'split folders without a manifest naming their embedding space' : '--x/--y files'}: ` +
          `${out} records no embedding space, so comparisons cannot check that they use embeddings of the same space\n`,
      );
    }
    estimator.save(out, { trained_by: 'emishift train' });
    const summary = {
      out,
      engine: result.engine,
      rows: result.trainRows + result.validationRows,
      train_rows: result.trainRows,
      validation_rows: result.validationRows,
      x_dim: dims.x,
      y_dim: dims.y,
      hidden_dim: result.parameters.hiddenDim,
      preset,
      embedding_space: space ?? null,
      epochs: result.history.length,
      batch_size: settings.batchSize,
      learning_rate: settings.learningRate,
      seed: settings.seed,
      best_epoch: result.bestEpoch,
      stopped_early: result.stoppedEarly,
      final_train_loss: result.finalTrainLoss,
      ...(result.finalValidationLoss !== undefined ? { best_validation_loss: result.finalValidationLoss } : {}),
      samples_per_second: result.samplesPerSecond,
      seconds: result.seconds,
    };
    if (options.json) {
      printJson(summary);
      return;
    }
    process.stdout.write(
      `trained CLUB on ${summary.rows} pairs (preset ${preset}) with ${result.engine}: final loss ${result.finalTrainLoss.toFixed(4)}, ` +
        `${Math.round(result.samplesPerSecond)} samples/s; saved to ${out}\n`,
    );
  },
});
