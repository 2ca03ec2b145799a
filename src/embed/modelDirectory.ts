/**
 * Local model folders for the transformers embedders (XLM-R in xlmRoberta.ts, CLIP in
 * clipVision.ts): finding a model given as a path, a name under a model root or a hub id in the
 * Hugging Face cache, naming it for embedder ids, reading its JSON files, and loading
 * transformers.js (`@huggingface/transformers`, ONNX Runtime underneath) locked to local files:
 * nothing is ever downloaded (`env.allowRemoteModels = false`, `local_files_only: true`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type * as TransformersModule from '@huggingface/transformers';
import { InputError } from '../errors';
import { loadOptionalPeer } from '../optionalPeers';
import { disableOnnxRuntimeTelemetry } from '../backend/onnx/runtime';

/** The transformers.js module. */
export type Transformers = typeof TransformersModule;

let transformers: Transformers | undefined;

/**
 * Loads transformers.js on first use and locks it to local files. Kept lazy so that importing
 * emishift (or using the built-in embedders) never maps ONNX Runtime or sharp; it is an optional
 * peer of emishift, and a project without it gets an OptionalPeerError naming what to install.
 */
export function loadTransformers(): Transformers {
  if (transformers) return transformers;
  // transformers.js runs its models in onnxruntime-node, whose telemetry is switched off first.
  disableOnnxRuntimeTelemetry();
  transformers = loadOptionalPeer<Transformers>('@huggingface/transformers', 'the transformers embedder');
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  return transformers;
}

export interface ModelLocationOptions {
  /** A folder holding model directories by name (`<modelRoot>/<name>`), tried before the HF cache. */
  modelRoot?: string | undefined;
  /**
   * The Hugging Face hub cache (`.../huggingface/hub`). Default: `$HF_HUB_CACHE`, else
   * `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
   */
  hfCacheDir?: string | undefined;
}

function defaultHubCache(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  const home = process.env.HF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The absolute directory of a model given as a path, a name under `modelRoot`, or a hub id
 * (`org/name`) already present in the Hugging Face cache (`models--org--name/snapshots/<rev>`,
 * the revision `refs/main` points at, else the most recently modified snapshot).
 */
export function resolveModelDirectory(spec: string, options: ModelLocationOptions = {}): string {
  const tried: string[] = [];
  const candidate = (path: string): string | undefined => {
    tried.push(path);
    return isDirectory(path) ? resolve(path) : undefined;
  };
  const direct = candidate(spec);
  if (direct) return direct;
  if (options.modelRoot && !isAbsolute(spec)) {
    const underRoot = candidate(join(options.modelRoot, spec));
    if (underRoot) return underRoot;
  }
  if (/^[\w.-]+\/[\w.-]+$/.test(spec) || /^[\w.-]+$/.test(spec)) {
    const hub = options.hfCacheDir ?? defaultHubCache();
    const repo = join(hub, `models--${spec.replace('/', '--')}`);
    tried.push(repo);
    if (isDirectory(repo)) {
      const snapshots = join(repo, 'snapshots');
      let revision: string | undefined;
      try {
        revision = readFileSync(join(repo, 'refs', 'main'), 'utf8').trim();
      } catch {
        revision = undefined;
      }
      if (revision && isDirectory(join(snapshots, revision))) return resolve(join(snapshots, revision));
      const entries = isDirectory(snapshots) ? readdirSync(snapshots).filter((name) => isDirectory(join(snapshots, name))) : [];
      if (entries.length > 0) {
        entries.sort((a, b) => statSync(join(snapshots, b)).mtimeMs - statSync(join(snapshots, a)).mtimeMs);
        return resolve(join(snapshots, entries[0]));
      }
    }
  }
  throw new InputError(
    `model '${spec}' not found locally (tried ${tried.join(', ')}); emishift never downloads models: ` +
      'download it yourself (e.g. `huggingface-cli download <repo>`) and pass its directory',
    { field: 'model' },
  );
}

/** A short, stable name for a model directory, for embedder ids: `org/name@rev` for hub snapshots. */
export function describeModelDirectory(directory: string): string {
  const match = /models--([^/\\]+)[/\\]snapshots[/\\]([^/\\]+)/.exec(directory);
  if (match) return `${match[1].replace(/--/g, '/')}@${match[2].slice(0, 12)}`;
  return basename(directory);
}

/** A model folder's JSON file (config.json, an index, …) as an object; InputError naming the file when missing or invalid. */
export function readModelJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('file not found (a model directory needs config.json)', { file });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
}
