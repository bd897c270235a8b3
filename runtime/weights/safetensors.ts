/**
 * safetensors (https://github.com/huggingface/safetensors), read and written in full:
 *
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   a UTF-8 JSON object: { "__metadata__"?: {string: string},
 *                                    "<name>": { "dtype": "F32", "shape": [2, 3],
 *                                                "data_offsets": [begin, end] }, ... }
 *             starting with '{', padded at the end with spaces
 *   the rest  the data section: every tensor's bytes, row-major, little-endian, at
 *             [begin, end) relative to the start of the data section
 *
 * The reader checks everything a malformed or hostile file could get wrong (header length,
 * JSON, dtypes, shapes, offsets in bounds, the data section covered exactly once, without
 * gaps or overlaps) and throws a WeightsError naming the tensor. The writer pads the header
 * to a multiple of 8 bytes (so every tensor starts 8-byte aligned) and orders the tensors
 * deterministically: by element size, largest first, then by name.
 *
 * Pure code, no Node APIs: runs in a browser too. File helpers live in safetensors-file.ts.
 */
import { WEIGHTS_CODES, WeightsError, type WeightsCode } from "./errors.ts";

/** The dtypes this implementation reads and writes. */
export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "U8" | "BOOL";

/**
 * The array each dtype is held in. F16 and BF16 are widened to Float32Array on reading and
 * rounded (to nearest, ties to even) on writing. BOOL is a Uint8Array of 0 and 1.
 */
export type TensorData = Float64Array | Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export type TensorMap = ReadonlyMap<string, Tensor>;

export interface Safetensors {
  /** The tensors, in the order of their data in the file. */
  readonly tensors: Map<string, Tensor>;
  /** The free-form string map `__metadata__` (empty when the file has none). */
  readonly metadata: Record<string, string>;
}

interface DTypeInfo {
  /** Bytes per element in the file. */
  readonly size: number;
  /** The array type of `Tensor.data`. */
  readonly array: "Float64Array" | "Float32Array" | "Int32Array" | "BigInt64Array" | "Uint8Array";
  /** A plain name for messages. */
  readonly plain: string;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  F64: { size: 8, array: "Float64Array", plain: "float64" },
  F32: { size: 4, array: "Float32Array", plain: "float32" },
  F16: { size: 2, array: "Float32Array", plain: "float16" },
  BF16: { size: 2, array: "Float32Array", plain: "bfloat16" },
  I64: { size: 8, array: "BigInt64Array", plain: "int64" },
  I32: { size: 4, array: "Int32Array", plain: "int32" },
  U8: { size: 1, array: "Uint8Array", plain: "uint8" },
  BOOL: { size: 1, array: "Uint8Array", plain: "bool" },
};

/** dtypes of the format this implementation does not handle, named in the error. */
const KNOWN_UNSUPPORTED = ["I8", "I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0"];

/** The safetensors specification caps the header at 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

/** The number of elements of a shape (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** A tensor from plain numbers (or bigints for I64), checking the length against the shape. */
export function tensor(
  dtype: DType,
  shape: readonly number[],
  values: ArrayLike<number> | ArrayLike<bigint>,
): Tensor {
  const n = numel(shape);
  if (values.length !== n) {
    throw new WeightsError(
      WEIGHTS_CODES.badTensor,
      `a ${dtype} tensor of shape ${formatShape(shape)} needs ${n} values, got ${values.length}`,
    );
  }
  const data = allocate(dtype, n);
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      data[i] = typeof v === "bigint" ? v : BigInt(v);
    }
  } else {
    for (let i = 0; i < n; i++) data[i] = Number(values[i]!);
  }
  return { dtype, shape: [...shape], data };
}

/** A zero-filled array of the right type for `n` elements of `dtype`. */
export function allocate(dtype: DType, n: number): TensorData {
  switch (DTYPES[dtype].array) {
    case "Float64Array":
      return new Float64Array(n);
    case "Float32Array":
      return new Float32Array(n);
    case "Int32Array":
      return new Int32Array(n);
    case "BigInt64Array":
      return new BigInt64Array(n);
    case "Uint8Array":
      return new Uint8Array(n);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Parses a safetensors file. `source` names the file in error messages. The tensors' data
 * are copies: the input buffer can be reused.
 */
export function readSafetensors(bytes: Uint8Array, source = "safetensors data"): Safetensors {
  function fail(code: WeightsCode, message: string): never {
    throw new WeightsError(code, `${source}: ${message}`);
  }
  if (bytes.length < 8) {
    fail(
      WEIGHTS_CODES.badFile,
      `not a safetensors file: ${bytes.length} bytes, but the header length alone takes 8`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(
      WEIGHTS_CODES.badFile,
      `not a safetensors file (or a truncated one): the header length says ${headerLength} bytes, but only ${bytes.length - 8} follow`,
    );
  }
  const n = Number(headerLength);
  if (n > MAX_HEADER_BYTES) {
    fail(WEIGHTS_CODES.badFile, `header of ${n} bytes is larger than the 100 MB the format allows`);
  }
  if (n < 2 || bytes[8] !== 0x7b /* { */) {
    fail(WEIGHTS_CODES.badFile, "not a safetensors file: the header does not start with '{'");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail(WEIGHTS_CODES.badFile, "the header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(WEIGHTS_CODES.badFile, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail(WEIGHTS_CODES.badFile, "the header is not a JSON object");
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  interface Entry {
    name: string;
    dtype: DType;
    shape: number[];
    begin: number;
    end: number;
  }
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        fail(WEIGHTS_CODES.badEntry, `${METADATA_KEY} must be an object of strings`);
      }
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== "string") {
          fail(
            WEIGHTS_CODES.badEntry,
            `${METADATA_KEY}.${key} must be a string, got ${JSON.stringify(value)}`,
          );
        }
        metadata[key] = value as string;
      }
      continue;
    }
    const what = `tensor '${name}'`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      fail(WEIGHTS_CODES.badEntry, `${what}: expected {dtype, shape, data_offsets}`);
    }
    const info = raw as Record<string, unknown>;
    const dtype = info["dtype"];
    if (!isDType(dtype)) {
      const known = Object.keys(DTYPES).join(", ");
      fail(
        WEIGHTS_CODES.badEntry,
        typeof dtype === "string" && KNOWN_UNSUPPORTED.includes(dtype)
          ? `${what}: dtype ${dtype} is not supported (supported: ${known})`
          : `${what}: unknown dtype ${JSON.stringify(dtype)} (supported: ${known})`,
      );
    }
    const shape = info["shape"];
    if (
      !Array.isArray(shape) ||
      !shape.every((d): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)
    ) {
      fail(
        WEIGHTS_CODES.badEntry,
        `${what}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    const offsets = info["data_offsets"];
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o): o is number => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(
        WEIGHTS_CODES.badEntry,
        `${what}: data_offsets must be [begin, end] (non-negative integers), got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) {
      fail(
        WEIGHTS_CODES.badEntry,
        `${what}: data_offsets [${begin}, ${end}] end before they begin`,
      );
    }
    const d = dtype as DType;
    const count = numel(shape as number[]);
    const need = count * DTYPES[d].size;
    if (!Number.isSafeInteger(need)) {
      fail(WEIGHTS_CODES.badEntry, `${what}: shape ${formatShape(shape as number[])} is too large`);
    }
    if (end - begin !== need) {
      fail(
        WEIGHTS_CODES.badEntry,
        `${what}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${d} ${formatShape(shape as number[])} needs ${need}`,
      );
    }
    entries.push({ name, dtype: d, shape: [...(shape as number[])], begin, end });
  }

  // The data section must be covered exactly: sorted by offset, each tensor starts where the
  // previous one ended, and the last one ends at the end of the file.
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of ordered) {
    if (e.end > dataLength) {
      fail(
        WEIGHTS_CODES.badLayout,
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] are out of bounds: the data section has ${dataLength} bytes (file truncated?)`,
      );
    }
    if (e.begin < cursor) {
      fail(
        WEIGHTS_CODES.badLayout,
        `tensor '${e.name}': bytes [${e.begin}, ${e.end}) overlap tensor '${previous?.name}' at [${previous?.begin}, ${previous?.end})`,
      );
    }
    if (e.begin > cursor) {
      fail(
        WEIGHTS_CODES.badLayout,
        `bytes [${cursor}, ${e.begin}) of the data section belong to no tensor (a gap before '${e.name}')`,
      );
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) {
    fail(
      WEIGHTS_CODES.badLayout,
      `${dataLength - cursor} bytes after the last tensor belong to no tensor (the data section has ${dataLength} bytes, the tensors cover ${cursor})`,
    );
  }

  const tensors = new Map<string, Tensor>();
  for (const e of ordered) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const data = decode(e.dtype, raw, numel(e.shape));
    if (e.dtype === "BOOL") {
      const bad = (data as Uint8Array).findIndex((v) => v > 1);
      if (bad >= 0) {
        fail(
          WEIGHTS_CODES.badEntry,
          `tensor '${e.name}': BOOL element ${bad} is ${(data as Uint8Array)[bad]}, not 0 or 1`,
        );
      }
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies `raw` into a fresh, aligned buffer in host byte order. */
function aligned(raw: Uint8Array, size: number): ArrayBuffer {
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  if (!LITTLE_ENDIAN && size > 1) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return copy.buffer;
}

function decode(dtype: DType, raw: Uint8Array, n: number): TensorData {
  switch (dtype) {
    case "F64":
      return new Float64Array(aligned(raw, 8), 0, n);
    case "F32":
      return new Float32Array(aligned(raw, 4), 0, n);
    case "I64":
      return new BigInt64Array(aligned(raw, 8), 0, n);
    case "I32":
      return new Int32Array(aligned(raw, 4), 0, n);
    case "U8":
    case "BOOL":
      return new Uint8Array(aligned(raw, 1), 0, n);
    case "F16":
    case "BF16": {
      const out = new Float32Array(n);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const convert = dtype === "F16" ? f16ToNumber : bf16ToNumber;
      for (let i = 0; i < n; i++) out[i] = convert(view.getUint16(2 * i, true));
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export type TensorsInput = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

function entriesOf(tensors: TensorsInput): [string, Tensor][] {
  return tensors instanceof Map
    ? [...(tensors as ReadonlyMap<string, Tensor>).entries()]
    : Object.entries(tensors as Record<string, Tensor>);
}

/** Checks a tensor before it is written; returns a message or undefined. */
export function tensorProblem(name: string, t: Tensor): string | undefined {
  if (!isDType(t.dtype)) return `tensor '${name}': unknown dtype ${JSON.stringify(t.dtype)}`;
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return `tensor '${name}': shape must be non-negative integers, got ${JSON.stringify(t.shape)}`;
  }
  const want = DTYPES[t.dtype].array;
  const got = t.data?.constructor?.name;
  if (got !== want) {
    return `tensor '${name}': a ${t.dtype} tensor's data must be a ${want}, got ${got ?? typeof t.data}`;
  }
  const n = numel(t.shape);
  if (t.data.length !== n) {
    return `tensor '${name}': shape ${formatShape(t.shape)} has ${n} elements, but the data has ${t.data.length}`;
  }
  if (t.dtype === "BOOL") {
    const bad = (t.data as Uint8Array).findIndex((v) => v > 1);
    if (bad >= 0) return `tensor '${name}': BOOL element ${bad} is ${t.data[bad]}, not 0 or 1`;
  }
  return undefined;
}

/**
 * Serialises tensors (a Map or a plain object) and optional string metadata. The output is
 * deterministic: the same tensors give the same bytes whatever order they were given in.
 */
export function writeSafetensors(
  tensors: TensorsInput,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const list = entriesOf(tensors);
  const problems: string[] = [];
  for (const [name, t] of list) {
    if (name === METADATA_KEY) problems.push(`a tensor cannot be named ${METADATA_KEY}`);
    else {
      const p = tensorProblem(name, t);
      if (p) problems.push(p);
    }
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      problems.push(`metadata '${key}' must be a string, got ${typeof value}`);
    }
  }
  if (problems.length > 0) {
    throw new WeightsError(
      WEIGHTS_CODES.badTensor,
      problems.length === 1
        ? `cannot write safetensors: ${problems[0]}`
        : `cannot write safetensors (${problems.length} problems):\n  ${problems.join("\n  ")}`,
      problems,
    );
  }
  // Largest elements first keeps every tensor aligned to its element size; then by name.
  list.sort(
    ([a, ta], [b, tb]) =>
      DTYPES[tb.dtype].size - DTYPES[ta.dtype].size || (a < b ? -1 : a > b ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length > 0) {
    const sorted: Record<string, string> = {};
    for (const k of metaKeys) sorted[k] = metadata[k]!;
    header[METADATA_KEY] = sorted;
  }
  let offset = 0;
  for (const [name, t] of list) {
    const bytes = numel(t.shape) * DTYPES[t.dtype].size;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, t] of list) {
    const bytes = encode(t);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function encode(t: Tensor): Uint8Array {
  const size = DTYPES[t.dtype].size;
  if (t.dtype === "F16" || t.dtype === "BF16") {
    const out = new Uint8Array(t.data.length * 2);
    const view = new DataView(out.buffer);
    const convert = t.dtype === "F16" ? numberToF16 : numberToBf16;
    const data = t.data as Float32Array;
    for (let i = 0; i < data.length; i++) view.setUint16(2 * i, convert(data[i]!), true);
    return out;
  }
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (LITTLE_ENDIAN || size === 1) return raw;
  const copy = raw.slice();
  for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Half precision

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits to a number. */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** A number to IEEE binary16 bits, rounding to nearest, ties to even (via float32). */
export function numberToF16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const middle = 1 << (shift - 1);
    if (rest > middle || (rest === middle && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry rounds up to infinity
  return sign | half;
}

/** bfloat16 bits (the top half of a float32) to a number. */
export function bf16ToNumber(b: number): number {
  u32[0] = b << 16;
  return f32[0]!;
}

/** A number to bfloat16 bits, rounding to nearest, ties to even (via float32). */
export function numberToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
