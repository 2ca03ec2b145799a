/**
 * Reads a `torch.save` state dict (ZIP serialization, torch >= 1.6) without Python.
 *
 * Storages are referenced from the pickle by persistent id and stored raw under
 * `<prefix>/data/<key>`; each tensor is a (storage, offset, size, stride) view of one, and several
 * tensors may view the same storage. Every tensor is copied out contiguous in C order, so callers
 * never see strides or sharing.
 */
import { InputError } from '../../errors';
import {
  describePickleValue,
  GlobalHandler,
  PickleCallContext,
  PickleDict,
  PickleGlobal,
  PickleObject,
  PickleTuple,
  PickleValue,
  unpickle,
} from './pickle';
import { ZipArchive } from './zip';
import { float16ToNumber } from '../float16';

export type TorchDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TorchTensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface TorchTensor {
  /** Dimensions in C order; `[]` for a scalar. */
  shape: number[];
  /**
   * The dtype as stored. float16 and bfloat16 are widened to a Float32Array (exactly: every
   * half-precision value is representable in float32); bool comes out as 0/1 in a Uint8Array.
   */
  dtype: TorchDType;
  /** Contiguous, C order, owned by the caller (never a view into the archive). */
  data: TorchTensorData;
}

interface DTypeInfo {
  readonly dtype: TorchDType;
  readonly bytes: number;
}

const STORAGE_DTYPES: Readonly<Record<string, DTypeInfo>> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
  // torch 2.x pickles untyped storages as raw bytes.
  UntypedStorage: { dtype: 'uint8', bytes: 1 },
};

// Values only (they may appear as arguments, e.g. in _rebuild_tensor_v2 metadata), never called.
const TORCH_DTYPE_NAMES = new Set([
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16',
  'int64', 'long', 'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool',
]);

// Storage classes we cannot decode are still inert values, so they are admitted by name and
// rejected with a dtype message when a tensor actually needs their bytes.
const STORAGE_CLASS_NAME = /^[A-Z][A-Za-z0-9]*Storage$/;

const ALLOWED_GLOBALS_DESCRIPTION =
  'collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, ' +
  'torch._utils._rebuild_parameter_with_state, torch.<Type>Storage classes and torch dtypes';

const STORAGE_TYPE = 'torch.storage';
const TENSOR_TYPE = 'torch.Tensor';

interface StorageRef {
  readonly className: string;
  readonly key: string;
  readonly location: string;
  readonly numel: number;
}

interface TensorRef {
  readonly storage: StorageRef;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

function isTensorObject(value: PickleValue): value is PickleObject<TensorRef> {
  return value instanceof PickleObject && value.type === TENSOR_TYPE;
}

function isStorageObject(value: PickleValue): value is PickleObject<StorageRef> {
  return value instanceof PickleObject && value.type === STORAGE_TYPE;
}

function nonNegativeInt(value: PickleValue, what: string, context: PickleCallContext): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    context.fail(`${what} must be a non-negative integer, got ${describePickleValue(value)}`);
  }
  return value as number;
}

function intTuple(value: PickleValue, what: string, context: PickleCallContext): number[] {
  if (!(value instanceof PickleTuple)) context.fail(`${what} must be a tuple, got ${describePickleValue(value)}`);
  return (value as PickleTuple).items.map((item, i) => nonNegativeInt(item, `${what}[${i}]`, context));
}

const orderedDictHandler: GlobalHandler = {
  call(args, context) {
    // torch builds state dicts as OrderedDict() and fills them with SETITEMS.
    if (args.length !== 0) context.fail(`collections.OrderedDict is only supported with no arguments, got ${args.length}`);
    return new PickleDict(true);
  },
};

const rebuildTensorHandler: GlobalHandler = {
  call(args, context) {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (args.length !== 6 && args.length !== 7) {
      context.fail(`torch._utils._rebuild_tensor_v2 expects 6 or 7 arguments, got ${args.length}`);
    }
    const [storage, offset, size, stride] = args;
    if (!isStorageObject(storage)) context.fail(`tensor storage must be a persistent storage id, got ${describePickleValue(storage)}`);
    const shape = intTuple(size, 'tensor size', context);
    const strides = intTuple(stride, 'tensor stride', context);
    if (shape.length !== strides.length) {
      context.fail(`tensor size [${shape.join(', ')}] and stride [${strides.join(', ')}] have different lengths`);
    }
    const ref: TensorRef = {
      storage: (storage as PickleObject<StorageRef>).payload,
      offset: nonNegativeInt(offset, 'tensor storage_offset', context),
      size: shape,
      stride: strides,
    };
    return new PickleObject<TensorRef>(TENSOR_TYPE, ref);
  },
};

function rebuildParameterHandler(name: string, arity: number): GlobalHandler {
  return {
    call(args, context) {
      if (args.length !== arity) context.fail(`torch._utils.${name} expects ${arity} arguments, got ${args.length}`);
      // A Parameter's data is the tensor itself; requires_grad and hooks don't matter for inference.
      if (!isTensorObject(args[0])) context.fail(`torch._utils.${name} expects a tensor, got ${describePickleValue(args[0])}`);
      return args[0];
    },
  };
}

const INERT: GlobalHandler = {};

function resolveGlobal(module: string, name: string): GlobalHandler | undefined {
  if (module === 'collections' && name === 'OrderedDict') return orderedDictHandler;
  if (module === 'torch._utils') {
    if (name === '_rebuild_tensor_v2') return rebuildTensorHandler;
    if (name === '_rebuild_parameter') return rebuildParameterHandler(name, 3);
    if (name === '_rebuild_parameter_with_state') return rebuildParameterHandler(name, 4);
    return undefined;
  }
  if (module === 'torch' && (STORAGE_CLASS_NAME.test(name) || TORCH_DTYPE_NAMES.has(name))) return INERT;
  return undefined;
}

function persistentLoad(pid: PickleValue, context: PickleCallContext): PickleValue {
  // ('storage', storage_class, key, location, numel)
  if (!(pid instanceof PickleTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
    context.fail(`persistent id must be ('storage', class, key, location, numel), got ${describePickleValue(pid)}`);
  }
  const [, storageClass, key, location, numel] = (pid as PickleTuple).items;
  if (!(storageClass instanceof PickleGlobal) || !STORAGE_CLASS_NAME.test(storageClass.name)) {
    context.fail(`persistent id names ${describePickleValue(storageClass)} where a torch storage class belongs`);
  }
  if (typeof key !== 'string') context.fail(`storage key must be a string, got ${describePickleValue(key)}`);
  if (typeof location !== 'string') context.fail(`storage location must be a string, got ${describePickleValue(location)}`);
  const ref: StorageRef = {
    className: (storageClass as PickleGlobal).qualifiedName,
    key: key as string,
    location: location as string,
    numel: nonNegativeInt(numel, 'storage numel', context),
  };
  return new PickleObject<StorageRef>(STORAGE_TYPE, ref);
}

function findPrefix(archive: ZipArchive, fileName: string): string {
  // torch names the single top-level folder after the file it saved to; it can be anything.
  const candidates = archive.entries.map((e) => e.name).filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (candidates.length === 1) return candidates[0].slice(0, -'/data.pkl'.length);
  if (candidates.length > 1) {
    throw new InputError(`several data.pkl records (${candidates.join(', ')}); expected one torch.save state dict`, { file: fileName });
  }
  const names = archive.entries.map((e) => e.name);
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} entries)` : '');
  throw new InputError(
    `not a torch.save checkpoint: the ZIP archive has no <prefix>/data.pkl (entries: ${shown || 'none'})`,
    { file: fileName },
  );
}

function readLittleEndianFlag(archive: ZipArchive, prefix: string, fileName: string): boolean {
  const name = `${prefix}/byteorder`;
  // Archives from before torch recorded a byte order were written on little-endian hosts.
  if (!archive.has(name)) return true;
  const text = Buffer.from(archive.read(name)).toString('latin1').trim();
  if (text === 'little') return true;
  if (text === 'big') return false;
  throw new InputError(`byteorder record is '${text}', expected 'little' or 'big'`, { file: fileName, field: name });
}

/** Storage element indices of a strided view, in C order. */
function gatherIndices(shape: readonly number[], stride: readonly number[], offset: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (count === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    out[0] = offset;
    return out;
  }
  const inner = shape[rank - 1];
  const innerStride = stride[rank - 1];
  const counter = new Array<number>(rank - 1).fill(0);
  let base = offset;
  let o = 0;
  for (;;) {
    for (let j = 0; j < inner; j++) out[o++] = base + j * innerStride;
    let d = rank - 2;
    for (; d >= 0; d--) {
      counter[d]++;
      base += stride[d];
      if (counter[d] < shape[d]) break;
      base -= stride[d] * shape[d];
      counter[d] = 0;
    }
    if (d < 0) return out;
  }
}

function decode(info: DTypeInfo, view: DataView, indices: Float64Array, littleEndian: boolean): TorchTensorData {
  const n = indices.length;
  const le = littleEndian;
  switch (info.dtype) {
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(indices[i] * 4, le);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(indices[i] * 8, le);
      return out;
    }
    case 'float16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16ToNumber(view.getUint16(indices[i] * 2, le));
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the top half of a float32.
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(indices[i] * 2, le) << 16;
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getBigInt64(indices[i] * 8, le);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(indices[i] * 4, le);
      return out;
    }
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(indices[i] * 2, le);
      return out;
    }
    case 'int8': {
      const out = new Int8Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt8(indices[i]);
      return out;
    }
    case 'uint8':
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getUint8(indices[i]);
      return out;
    }
  }
}

// Typed arrays cannot hold more; a stride-0 view over a tiny storage could otherwise claim any size.
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Parses a `torch.save` (ZIP format) state dict into contiguous C-order tensors, keyed in the
 * archive's order. Throws InputError naming `fileName` for anything that is not a readable
 * state dict, including any pickle global outside the small torch allow-list.
 */
export function decodeTorchStateDict(bytes: Uint8Array, fileName: string): Map<string, TorchTensor> {
  const archive = ZipArchive.open(bytes, fileName);
  const prefix = findPrefix(archive, fileName);
  const pickleName = `${prefix}/data.pkl`;
  if (archive.entries.some((e) => e.name.startsWith(`${prefix}/code/`))) {
    throw new InputError('this is a TorchScript archive (torch.jit.save), not a torch.save state dict', { file: fileName });
  }
  const littleEndian = readLittleEndianFlag(archive, prefix, fileName);

  const root = unpickle(archive.read(pickleName), {
    fileName,
    entryName: pickleName,
    resolveGlobal,
    allowedGlobalsDescription: ALLOWED_GLOBALS_DESCRIPTION,
    persistentLoad,
  });
  if (!(root instanceof PickleDict)) {
    throw new InputError(`data.pkl holds ${describePickleValue(root)}, expected a state dict (OrderedDict of tensors)`, {
      file: fileName,
      field: pickleName,
    });
  }

  const storages = new Map<string, DataView>();
  const loadStorage = (ref: StorageRef, info: DTypeInfo, key: string): DataView => {
    const name = `${prefix}/data/${ref.key}`;
    let view = storages.get(ref.key);
    if (!view) {
      if (!archive.has(name)) {
        throw new InputError(`missing storage entry '${name}' (referenced by tensor '${key}')`, { file: fileName });
      }
      const raw = archive.read(name);
      view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      storages.set(ref.key, view);
    }
    // Checked per use: tensors sharing a storage each carry their own copy of its declared size.
    const needed = ref.numel * info.bytes;
    if (view.byteLength < needed) {
      throw new InputError(
        `storage '${name}' has ${view.byteLength} bytes but declares ${ref.numel} ${info.dtype} elements (${needed} bytes)`,
        { file: fileName, field: key },
      );
    }
    return view;
  };

  const result = new Map<string, TorchTensor>();
  for (const [key, value] of root.entries) {
    if (typeof key !== 'string') {
      throw new InputError(`state-dict key ${String(key)} is not a string`, { file: fileName, field: pickleName });
    }
    const fail = (message: string): never => {
      throw new InputError(message, { file: fileName, field: key });
    };
    if (!isTensorObject(value)) {
      const hint = value instanceof PickleDict ? ' (a nested dict: is this a training checkpoint rather than a bare state dict?)' : '';
      fail(`value is ${describePickleValue(value)}, expected a tensor${hint}`);
    }
    const tensor = (value as PickleObject<TensorRef>).payload;
    const storage = tensor.storage;
    const storageName = storage.className.slice('torch.'.length);
    const info = STORAGE_DTYPES[storageName];
    if (!info) {
      fail(`unsupported storage dtype ${storage.className} (supported: ${Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`).join(', ')})`);
    }
    const shape = [...tensor.size];
    let count = 1;
    for (const dim of shape) count *= dim;
    if (count > MAX_ELEMENTS) fail(`tensor of shape [${shape.join(', ')}] has ${count} elements, more than this reader supports`);
    if (count > 0) {
      let last = tensor.offset;
      shape.forEach((dim, i) => (last += (dim - 1) * tensor.stride[i]));
      if (last >= storage.numel) {
        fail(
          `storage '${storage.key}' is too short: shape [${shape.join(', ')}] with stride [${tensor.stride.join(', ')}] and ` +
            `storage_offset ${tensor.offset} reaches element ${last}, but the storage holds ${storage.numel}`,
        );
      }
    }
    const view = loadStorage(storage, info, key);
    const indices = gatherIndices(shape, tensor.stride, tensor.offset, count);
    result.set(key, { shape, dtype: info.dtype, data: decode(info, view, indices, littleEndian) });
  }
  return result;
}
