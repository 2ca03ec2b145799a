/**
 * CLUB weights on disk.
 * - The project's own format is safetensors (read and written by io/safetensors.ts), with
 *   `__metadata__` marking it as an emishift CLUB file. It is readable from Python with the
 *   `safetensors` package, and this reader needs no unpickling.
 * - The authors' PyTorch checkpoint (`torch.save` zip of a state dict) is read directly.
 * Either way the keys and shapes must be exactly the CLUB network's; anything else is refused
 * with a message naming the offending keys.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../errors';
import type { EmbeddingSpace } from '../../interface';
import { PAPER_SPACE } from '../../data/embeddingSpace';
import { readInputFile } from '../../io/inputFile';
import { writeFileAtomic } from '../../io/atomicWrite';
import { encodeSafetensors, decodeSafetensors } from '../../io/safetensors';
import { firstNonFinite } from '../../linalg/matrix';
import { CLUB_TENSORS, type ClubParameters, type ClubShape } from './clubParameters';

const FORMAT = 'emishift-club';
const FLOAT_DTYPES = new Set(['F32', 'F64', 'float32', 'float64', 'float16', 'bfloat16']);
const FORMAT_VERSION = '1';
const NOT_A_CLUB_FILE = 'not a CLUB file: expected a safetensors (.safetensors) or PyTorch (.pt) checkpoint';

interface LoadedTensor {
  shape: number[];
  data: ArrayLike<number>;
  dtype: string;
}

/** Encodes parameters as safetensors bytes, with optional string metadata (training settings). */
export function encodeClubFile(params: ClubParameters, metadata: Record<string, string> = {}): Uint8Array {
  const tensors = CLUB_TENSORS.map((tensor) => ({ name: tensor.key, dtype: 'F32' as const, shape: tensor.shape(params), data: params[tensor.field] }));
  return encodeSafetensors(tensors, { ...metadata, format: FORMAT, format_version: FORMAT_VERSION });
}

/** Saves atomically: an interrupted save never replaces a good file with a partial one. */
export function saveClub(file: string, params: ClubParameters, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeClubFile(params, metadata));
}

/** Maps a state dict onto the CLUB network, refusing missing, extra or misshapen keys. */
export function clubParametersFromStateDict(tensors: Map<string, LoadedTensor>, file: string): ClubParameters {
  const missing = CLUB_TENSORS.filter((tensor) => !tensors.has(tensor.key)).map((tensor) => tensor.key);
  const known = new Set<string>(CLUB_TENSORS.map((tensor) => tensor.key));
  const extra = [...tensors.keys()].filter((key) => !known.has(key));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : ''].filter(Boolean);
    throw new InputError(`not a CLUB state dict: ${parts.join('; ')}`, { file });
  }
  const muW1 = tensors.get('p_mu.0.weight')!;
  const muW2 = tensors.get('p_mu.2.weight')!;
  if (muW1.shape.length !== 2 || muW2.shape.length !== 2) {
    throw new InputError(`p_mu.0.weight and p_mu.2.weight must be 2-D, got [${muW1.shape}] and [${muW2.shape}]`, { file });
  }
  const shape: ClubShape = { hiddenDim: muW1.shape[0], xDim: muW1.shape[1], yDim: muW2.shape[0] };
  const wrong = CLUB_TENSORS.filter((tensor) => {
    const expected = tensor.shape(shape);
    const actual = tensors.get(tensor.key)!.shape;
    return actual.length !== expected.length || actual.some((size, i) => size !== expected[i]);
  }).map((tensor) => `${tensor.key} is [${tensors.get(tensor.key)!.shape.join(', ')}], expected [${tensor.shape(shape).join(', ')}]`);
  if (wrong.length > 0) throw new InputError(`shapes do not fit a CLUB network: ${wrong.join('; ')}`, { file });
  const params: Record<string, unknown> = { ...shape };
  for (const tensor of CLUB_TENSORS) {
    const loaded = tensors.get(tensor.key)!;
    if (!FLOAT_DTYPES.has(loaded.dtype)) throw new InputError(`${tensor.key} has dtype ${loaded.dtype}, expected a floating-point tensor`, { file });
    const values = loaded.data instanceof Float32Array ? loaded.data : Float32Array.from(loaded.data);
    const bad = firstNonFinite(values);
    if (bad >= 0) throw new InputError(`${tensor.key} holds a non-finite value at index ${bad}`, { file });
    params[tensor.field] = values;
  }
  return params as unknown as ClubParameters;
}

/** SHA-256 of the authors' `CLUB_global.pt` (deeplearning-wisc/mllmshift-emi, `estimator_ckpt/`). */
export const AUTHORS_CHECKPOINT_SHA256 = '99ab062638de898356d087907b450d4cba755541eff49b877158c9b9b831b116';

/** What a CLUB file holds besides its weights. */
export interface ClubFileContents {
  parameters: ClubParameters;
  /** SHA-256 of the file's bytes (hex). */
  sha256: string;
  /** The safetensors `__metadata__` strings (empty for a `.pt` checkpoint). */
  metadata: Record<string, string>;
  /** The embedding space the weights were trained in, when the file records it or is the authors' checkpoint. */
  space?: EmbeddingSpace;
  /** Set when the file is a checkpoint emishift knows by its hash. */
  recognizedAs?: string;
}

function recordedSpace(metadata: Record<string, string>, file: string): EmbeddingSpace | undefined {
  if (metadata.embedding_space === undefined) return undefined;
  try {
    const space = JSON.parse(metadata.embedding_space) as EmbeddingSpace;
    if (typeof space?.text?.model === 'string' && typeof space.dimension === 'number') return space;
  } catch {
    // Reported below: a space that cannot be read is no space.
  }
  throw new InputError('the recorded embedding_space is not a valid embedding space', { file, field: '__metadata__.embedding_space' });
}

/** Reads a CLUB file (the project's safetensors or the authors' `.pt`) with its hash, metadata and space. */
export function loadClubFile(file: string): ClubFileContents {
  const bytes = readInputFile(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  // A zip archive (torch.save) starts with "PK"; safetensors starts with its header length.
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    // The torch reader (zip, unpickler) is loaded only for .pt files.
    const { decodeTorchStateDict } = require('../../io/torch/stateDict') as typeof import('../../io/torch/stateDict');
    const parameters = clubParametersFromStateDict(decodeTorchStateDict(bytes, file) as Map<string, LoadedTensor>, file);
    const authors = sha256 === AUTHORS_CHECKPOINT_SHA256;
    return {
      parameters,
      sha256,
      metadata: {},
      ...(authors ? { space: PAPER_SPACE, recognizedAs: "the authors' CLUB_global.pt (Oh et al., ICML 2025)" } : {}),
    };
  }
  const { tensors, metadata } = decodeSafetensors(bytes, file, { unrecognised: NOT_A_CLUB_FILE });
  if (metadata.format !== undefined && metadata.format !== FORMAT) {
    throw new InputError(`safetensors file of format '${metadata.format}', expected '${FORMAT}'`, { file });
  }
  const space = recordedSpace(metadata, file);
  return { parameters: clubParametersFromStateDict(tensors, file), sha256, metadata, ...(space ? { space } : {}) };
}

/** Loads CLUB weights from the project's safetensors file or the authors' `.pt` checkpoint. */
export function loadClub(file: string): ClubParameters {
  return loadClubFile(file).parameters;
}
