/**
 * A restricted pickle interpreter: enough of protocols 2–4 to rebuild a PyTorch state dict, and
 * nothing that can run code. Globals are resolved only through the caller's allow-list, and are
 * refused the moment they are named (not when called), so a pickle cannot even reference
 * `os.system`. Calls (REDUCE) dispatch to the caller's TypeScript handlers; BUILD only records
 * attributes. Text-mode (protocol 0/1) opcodes and object-construction opcodes (INST, OBJ,
 * NEWOBJ, EXT*) are rejected because torch.save never emits them for a state dict.
 */
import { InputError } from '../../errors';

export type DictKey = string | number | bigint | boolean | null;

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleTuple
  | PickleList
  | PickleDict
  | PickleGlobal
  | PickleObject;

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

export class PickleList {
  readonly items: PickleValue[] = [];
}

export class PickleDict {
  readonly entries = new Map<DictKey, PickleValue>();
  /** Instance attributes set by BUILD (OrderedDict state dicts carry `_metadata` this way). */
  readonly attributes = new Map<string, PickleValue>();
  constructor(readonly ordered: boolean) {}
}

/** An opaque object produced by an allow-listed handler; `type` lets the caller recognise it. */
export class PickleObject<T = unknown> {
  readonly attributes = new Map<string, PickleValue>();
  constructor(
    readonly type: string,
    readonly payload: T,
  ) {}
}

export interface PickleCallContext {
  /** Throws an InputError located at the current opcode. */
  fail(message: string): never;
}

export interface GlobalHandler {
  /** Absent for globals that are only values (storage classes, dtypes). */
  call?(args: readonly PickleValue[], context: PickleCallContext): PickleValue;
}

export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly handler: GlobalHandler,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface UnpickleOptions {
  /** The checkpoint file, for error messages. */
  fileName: string;
  /** The archive entry holding the pickle, for error messages. */
  entryName: string;
  /** Returns undefined for any global that is not allowed. */
  resolveGlobal(module: string, name: string): GlobalHandler | undefined;
  /** Human-readable allow-list, quoted when a global is refused. */
  allowedGlobalsDescription: string;
  persistentLoad?(pid: PickleValue, context: PickleCallContext): PickleValue;
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT',
  0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID',
  0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT',
  0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT',
  0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

export function opcodeName(code: number): string {
  return OPCODE_NAMES[code] ?? 'UNKNOWN';
}

const HIGHEST_PROTOCOL = 5;

export function describePickleValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return `number ${value}`;
  if (typeof value === 'string') return `string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (value instanceof Uint8Array) return `bytes (${value.length})`;
  if (value instanceof PickleTuple) return `tuple of ${value.items.length}`;
  if (value instanceof PickleList) return `list of ${value.items.length}`;
  if (value instanceof PickleDict) return `${value.ordered ? 'OrderedDict' : 'dict'} of ${value.entries.size}`;
  if (value instanceof PickleGlobal) return `global ${value.qualifiedName}`;
  return value.type;
}

function isDictKey(value: PickleValue): value is DictKey {
  return value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value);
}

/** Python ints that fit a double exactly become numbers, so `1` from LONG1 and BININT compare equal. */
function normaliseInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function littleEndianSigned(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return value;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  let opStart = 0;
  let op = 0;

  const failRaw = (message: string): never => {
    throw new InputError(message, { file: options.fileName, field: options.entryName });
  };
  const fail = (message: string): never => failRaw(`${message} (at ${opcodeName(op)}, byte offset ${opStart})`);
  const context: PickleCallContext = { fail };

  const need = (count: number): void => {
    if (count < 0 || pos + count > bytes.length) {
      fail(`truncated pickle: needs ${count} more bytes but only ${bytes.length - pos} remain`);
    }
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`length ${v} exceeds the pickle's ${bytes.length} bytes`);
    return Number(v);
  };
  const take = (count: number): Uint8Array => {
    need(count);
    const out = bytes.subarray(pos, pos + count);
    pos += count;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated pickle: missing newline');
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString('utf8');
    pos = end + 1;
    return text;
  };
  const decodeUtf8 = (raw: Uint8Array): string => {
    try {
      return utf8.decode(raw);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };

  const push = (value: PickleValue): void => {
    stack.push(value);
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) fail('stack underflow');
    const value = stack.pop() as StackItem;
    if (value === MARK) fail('unexpected MARK on the stack');
    return value as PickleValue;
  };
  const top = (): PickleValue => {
    const value = stack[stack.length - 1];
    if (stack.length === 0 || value === MARK) fail('stack underflow');
    return value as PickleValue;
  };
  const popToMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('no MARK on the stack');
    const items = stack.splice(at) as StackItem[];
    items.shift();
    return items as PickleValue[];
  };
  const memoGet = (index: number): PickleValue => {
    if (!memo.has(index)) fail(`memo slot ${index} is read before it is written`);
    return memo.get(index) as PickleValue;
  };
  const loadGlobal = (module: string, name: string): void => {
    const handler = options.resolveGlobal(module, name);
    if (!handler) {
      fail(`refusing to load global ${module}.${name}: only ${options.allowedGlobalsDescription} may appear in a state-dict pickle`);
    }
    push(new PickleGlobal(module, name, handler as GlobalHandler));
  };
  const setItem = (target: PickleValue, key: PickleValue, value: PickleValue): void => {
    if (!(target instanceof PickleDict)) fail(`cannot set an item on ${describePickleValue(target)}`);
    if (!isDictKey(key)) fail(`unsupported dict key type: ${describePickleValue(key)}`);
    (target as PickleDict).entries.set(key as DictKey, value);
  };
  const appendTo = (target: PickleValue, values: readonly PickleValue[]): void => {
    if (!(target instanceof PickleList)) fail(`cannot append to ${describePickleValue(target)}`);
    (target as PickleList).items.push(...values);
  };
  const setAttributes = (target: PickleDict | PickleObject, state: PickleValue): void => {
    if (state === null) return;
    if (!(state instanceof PickleDict)) fail(`BUILD state must be a dict, got ${describePickleValue(state)}`);
    for (const [key, value] of (state as PickleDict).entries) {
      if (typeof key !== 'string') fail(`BUILD attribute name must be a string, got ${String(key)}`);
      target.attributes.set(key as string, value);
    }
  };

  for (;;) {
    opStart = pos;
    if (pos >= bytes.length) failRaw(`truncated pickle: data ends at byte ${pos} without a STOP opcode`);
    op = bytes[pos++];
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (protocol > HIGHEST_PROTOCOL) fail(`unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95: // FRAME: framing is only a read-ahead hint, the opcodes inside are ordinary.
        u64();
        break;
      case 0x2e: {
        const result = pop();
        return result;
      }
      case 0x28:
        stack.push(MARK);
        break;
      case 0x30:
        if (stack.length > 0 && stack[stack.length - 1] === MARK) stack.pop();
        else pop();
        break;
      case 0x31:
        popToMark();
        break;
      case 0x32:
        push(top());
        break;
      case 0x4e:
        push(null);
        break;
      case 0x88:
        push(true);
        break;
      case 0x89:
        push(false);
        break;
      case 0x4a:
        push(i32());
        break;
      case 0x4b:
        push(u8());
        break;
      case 0x4d:
        push(u16());
        break;
      case 0x8a:
        push(normaliseInt(littleEndianSigned(take(u8()))));
        break;
      case 0x8b: {
        const length = i32();
        if (length < 0) fail('negative LONG4 length');
        push(normaliseInt(littleEndianSigned(take(length))));
        break;
      }
      case 0x47: {
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58:
        push(decodeUtf8(take(u32())));
        break;
      case 0x8c:
        push(decodeUtf8(take(u8())));
        break;
      case 0x8d:
        push(decodeUtf8(take(u64())));
        break;
      case 0x54: {
        // Python 2 `str`: torch.load decodes these byte-for-byte, which latin1 reproduces.
        const length = i32();
        if (length < 0) fail('negative BINSTRING length');
        push(Buffer.from(take(length)).toString('latin1'));
        break;
      }
      case 0x55:
        push(Buffer.from(take(u8())).toString('latin1'));
        break;
      case 0x42:
        push(Uint8Array.from(take(u32())));
        break;
      case 0x43:
        push(Uint8Array.from(take(u8())));
        break;
      case 0x8e:
        push(Uint8Array.from(take(u64())));
        break;
      case 0x29:
        push(new PickleTuple([]));
        break;
      case 0x74:
        push(new PickleTuple(popToMark()));
        break;
      case 0x85: {
        const a = pop();
        push(new PickleTuple([a]));
        break;
      }
      case 0x86: {
        const b = pop();
        const a = pop();
        push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x5d:
        push(new PickleList());
        break;
      case 0x6c: {
        const list = new PickleList();
        list.items.push(...popToMark());
        push(list);
        break;
      }
      case 0x7d:
        push(new PickleDict(false));
        break;
      case 0x64: {
        const items = popToMark();
        if (items.length % 2 !== 0) fail('DICT needs an even number of items');
        const dict = new PickleDict(false);
        for (let i = 0; i < items.length; i += 2) setItem(dict, items[i], items[i + 1]);
        push(dict);
        break;
      }
      case 0x71:
        memo.set(u8(), top());
        break;
      case 0x72:
        memo.set(u32(), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
        push(memoGet(u8()));
        break;
      case 0x6a:
        push(memoGet(u32()));
        break;
      case 0x73: {
        const value = pop();
        const key = pop();
        setItem(top(), key, value);
        break;
      }
      case 0x75: {
        const items = popToMark();
        if (items.length % 2 !== 0) fail('SETITEMS needs an even number of items');
        const target = top();
        for (let i = 0; i < items.length; i += 2) setItem(target, items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        const value = pop();
        appendTo(top(), [value]);
        break;
      }
      case 0x65: {
        const items = popToMark();
        appendTo(top(), items);
        break;
      }
      case 0x63: {
        const module = line();
        const name = line();
        loadGlobal(module, name);
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        loadGlobal(module as string, name as string);
        break;
      }
      case 0x52: {
        const args = pop();
        const callable = pop();
        if (!(args instanceof PickleTuple)) fail(`REDUCE arguments must be a tuple, got ${describePickleValue(args)}`);
        if (!(callable instanceof PickleGlobal)) fail(`REDUCE target is not callable: ${describePickleValue(callable)}`);
        const target = callable as PickleGlobal;
        if (!target.handler.call) fail(`${target.qualifiedName} may be referenced but not called`);
        push((target.handler.call as NonNullable<GlobalHandler['call']>)((args as PickleTuple).items, context));
        break;
      }
      case 0x62: {
        let state = pop();
        const target = top();
        if (!(target instanceof PickleDict || target instanceof PickleObject)) {
          fail(`BUILD is only supported on dicts and allow-listed objects, not on ${describePickleValue(target)}`);
        }
        // (state, slotstate) is how objects with __slots__ pickle; both halves are plain attributes.
        if (state instanceof PickleTuple && state.items.length === 2) {
          setAttributes(target as PickleDict | PickleObject, state.items[0]);
          state = state.items[1];
        }
        setAttributes(target as PickleDict | PickleObject, state);
        break;
      }
      case 0x51: {
        const pid = pop();
        if (!options.persistentLoad) fail('persistent ids are not allowed in this pickle');
        push((options.persistentLoad as NonNullable<UnpickleOptions['persistentLoad']>)(pid, context));
        break;
      }
      default:
        failRaw(
          `unsupported pickle opcode ${opcodeName(op)} (0x${op.toString(16).padStart(2, '0')}) at byte offset ${opStart}: ` +
            'a torch.save state dict does not need it',
        );
    }
  }
}
