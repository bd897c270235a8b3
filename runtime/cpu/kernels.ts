/**
 * A JavaScript kernel per kernel family of a plan (runtime/webgpu/plan.ts). Each reads the
 * same uniform words as its WGSL shader (layouts.ts) and is "compiled" once per dispatch:
 * `KERNELS[family](words, buffers)` decodes the words, binds the typed arrays and returns
 * the closure a run calls. Nothing is allocated per element or per run.
 *
 * Numbers. Storage is f32 (Float32Array) and i32 (Int32Array, stores wrap mod 2^32), so
 * every stored result is rounded once, as a float32 backend stores it. Where the order of
 * f32 rounding matters, the kernels round as the WGSL does: the matmul and the sum/mean
 * reductions keep an f32 accumulator (each product rounded, then each partial sum: no fused
 * multiply-add), in increasing k/j order, as the reference interpreter's float32 mode does.
 * Pointwise functions and the row-wise softmax, layernorm and sample are computed in float64
 * and rounded once, exactly like the reference (the WGSL approximates those in f32); the
 * sample op's probabilities and running sum are f32, as in both.
 */
import { activation } from "../reference/activations.ts";
import {
  CAST_MODES,
  FLOAT_BINARY_OPS,
  INT_BINARY_OPS,
  INT_COMPARE_OPS,
  LAYOUTS,
  MAX_BATCH_RANK,
  MAX_RANK,
  REDUCE_OPS,
  SOFTMAX_OPS,
  UNARY_OPS,
} from "./layouts.ts";
import {
  argmaxLanes,
  layernormRows,
  reduceLanes,
  sampleRows,
  softmaxLanes,
  topkRows,
  uniformFill,
} from "./rows.ts";

/** One plan buffer, viewed by every word type. */
export interface CpuBuffer {
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
}

/** A dispatch's uniform block, as u32 words and as f32. */
export interface Words {
  readonly u32: Uint32Array;
  readonly f32: Float32Array;
}

export type Step = () => void;
export type CpuKernel = (w: Words, b: readonly CpuBuffer[]) => Step;

/** A uniform value the kernel cannot run (an unknown op code, a rank too large). */
export class KernelWordsError extends Error {
  override readonly name = "KernelWordsError";
}

function list(w: Words, at: number, n: number): number[] {
  return Array.from(w.u32.subarray(at, at + n));
}

function opOf(w: Words, at: number, table: readonly string[], family: string): number {
  const op = w.u32[at]!;
  if (op >= table.length) throw new KernelWordsError(`${family}: op code ${op} is not defined`);
  return op;
}

function rankOf(w: Words, at: number, max: number, family: string): number {
  const rank = w.u32[at]!;
  if (rank < 1 || rank > max) throw new KernelWordsError(`${family}: rank ${rank} (1 to ${max})`);
  return rank;
}

function isNaN32(v: number): boolean {
  return v !== v;
}

// ---------------------------------------------------------------------------------------------
// Broadcasting: the result walked in rows of its last axis, each operand's offset kept by an
// odometer over the other axes (no division per element).

type Row = (offsets: Int32Array, y: number, len: number) => void;

/**
 * Calls `row` for each row of the last axis of `dims`: `offsets[k]` is operand k's offset at
 * the row's start (operand k steps by `strides[k][rank - 1]` along it), `y` the result's.
 */
function walk(dims: readonly number[], strides: readonly (readonly number[])[], row: Row): Step {
  const rank = dims.length;
  const len = dims[rank - 1]!;
  let rows = 1;
  for (let a = 0; a < rank - 1; a++) rows *= dims[a]!;
  const operands = strides.length;
  const offsets = new Int32Array(operands);
  const index = new Int32Array(rank);
  const flat = new Int32Array(operands * rank);
  strides.forEach((s, k) => s.forEach((v, a) => (flat[k * rank + a] = v)));
  return () => {
    if (len === 0 || rows === 0) return;
    offsets.fill(0);
    index.fill(0);
    let y = 0;
    for (let r = 0; r < rows; r++) {
      row(offsets, y, len);
      y += len;
      for (let a = rank - 2; a >= 0; a--) {
        const d = dims[a]!;
        if (++index[a]! < d) {
          for (let k = 0; k < operands; k++) offsets[k] = offsets[k]! + flat[k * rank + a]!;
          break;
        }
        index[a] = 0;
        for (let k = 0; k < operands; k++) offsets[k] = offsets[k]! - flat[k * rank + a]! * (d - 1);
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Elementwise

const mapF32: CpuKernel = (w, [x, y]) => {
  const L = LAYOUTS.map;
  const count = w.u32[L.count]!;
  const op = UNARY_OPS[opOf(w, L.op, UNARY_OPS, "map_f32")]!;
  const xs = x!.f32;
  const ys = y!.f32;
  if (op === "sigmoid") {
    return () => {
      for (let i = 0; i < count; i++) ys[i] = 1 / (1 + Math.exp(-xs[i]!));
    };
  }
  if (op === "tanh") {
    return () => {
      for (let i = 0; i < count; i++) ys[i] = Math.tanh(xs[i]!);
    };
  }
  const f = activation(op, w.f32[L.alpha]!);
  return () => {
    for (let i = 0; i < count; i++) ys[i] = f(xs[i]!);
  };
};

type Binary = (a: number, b: number) => number;

function floatBinary(op: (typeof FLOAT_BINARY_OPS)[number]): Binary {
  switch (op) {
    case "add":
      return (a, b) => a + b;
    case "sub":
      return (a, b) => a - b;
    case "mul":
      return (a, b) => a * b;
    case "div":
      return (a, b) => a / b;
    case "minimum":
      return (a, b) => (isNaN32(a) || isNaN32(b) ? NaN : a < b ? a : b);
    case "maximum":
      return (a, b) => (isNaN32(a) || isNaN32(b) ? NaN : a > b ? a : b);
    case "less":
      return (a, b) => (a < b ? 1 : 0);
    case "greater":
      return (a, b) => (a > b ? 1 : 0);
    case "equal":
      return (a, b) => (a === b ? 1 : 0);
  }
}

/** WGSL's i32 division: truncating, x / 0 = x, INT_MIN / -1 = INT_MIN (no trap). */
export function intBinary(op: (typeof INT_BINARY_OPS)[number]): Binary {
  switch (op) {
    case "add":
      return (a, b) => (a + b) | 0;
    case "sub":
      return (a, b) => (a - b) | 0;
    case "mul":
      return Math.imul;
    case "minimum":
      return (a, b) => (a < b ? a : b);
    case "maximum":
      return (a, b) => (a > b ? a : b);
    case "floordiv":
      return (a, b) => (b === 0 ? a : Math.floor(a / b) | 0);
    case "mod":
      return (a, b) => {
        if (b === 0) return 0;
        const r = a % b;
        return (r !== 0 && r < 0 !== b < 0 ? r + b : r) | 0;
      };
  }
}

/** zip families: y = f(a, b) with broadcasting; `f` per op, the common ones in their own loops. */
function zip(family: string, table: readonly string[], view: "f32" | "i32", out: "f32" | "i32") {
  return ((w, [xa, xb, y]) => {
    const L = LAYOUTS.zip;
    const op = table[opOf(w, L.op, table, family)]!;
    const rank = rankOf(w, L.rank, MAX_RANK, family);
    const dims = list(w, L.dims, rank);
    const a = xa![view];
    const b = xb![view];
    const ys = y![out];
    const sa = list(w, L.sa, rank);
    const sb = list(w, L.sb, rank);
    const ta = sa[rank - 1]!;
    const tb = sb[rank - 1]!;
    if (view === "f32" && (op === "add" || op === "mul" || op === "sub")) {
      const kind = op === "add" ? 0 : op === "mul" ? 1 : 2;
      return walk(dims, [sa, sb], (o, at, len) => {
        let ia = o[0]!;
        let ib = o[1]!;
        const end = at + len;
        if (kind === 0) for (let i = at; i < end; i++, ia += ta, ib += tb) ys[i] = a[ia]! + b[ib]!;
        else if (kind === 1)
          for (let i = at; i < end; i++, ia += ta, ib += tb) ys[i] = a[ia]! * b[ib]!;
        else for (let i = at; i < end; i++, ia += ta, ib += tb) ys[i] = a[ia]! - b[ib]!;
      });
    }
    const f =
      family === "zip_f32"
        ? floatBinary(op as (typeof FLOAT_BINARY_OPS)[number])
        : family === "zip_i32"
          ? intBinary(op as (typeof INT_BINARY_OPS)[number])
          : floatBinary(op as (typeof INT_COMPARE_OPS)[number]);
    return walk(dims, [sa, sb], (o, at, len) => {
      let ia = o[0]!;
      let ib = o[1]!;
      const end = at + len;
      for (let i = at; i < end; i++, ia += ta, ib += tb) ys[i] = f(a[ia]!, b[ib]!);
    });
  }) satisfies CpuKernel;
}

/** where(cond, a, b) on raw words: a where cond's bits (sign cleared) are nonzero (NaN too). */
const selectU32: CpuKernel = (w, [cond, xa, xb, y]) => {
  const L = LAYOUTS.select;
  const rank = rankOf(w, L.rank, MAX_RANK, "select_u32");
  const dims = list(w, L.dims, rank);
  const strides = [list(w, L.sc, rank), list(w, L.sa, rank), list(w, L.sb, rank)];
  const [tc, ta, tb] = strides.map((s) => s[rank - 1]!) as [number, number, number];
  const c = cond!.u32;
  const a = xa!.u32;
  const b = xb!.u32;
  const ys = y!.u32;
  return walk(dims, strides, (o, at, len) => {
    let ic = o[0]!;
    let ia = o[1]!;
    let ib = o[2]!;
    const end = at + len;
    for (let i = at; i < end; i++, ic += tc, ia += ta, ib += tb)
      ys[i] = (c[ic]! & 0x7fffffff) !== 0 ? a[ia]! : b[ib]!;
  });
};

/** float → int truncates toward zero, saturating (NaN → 0); int → float rounds to f32. */
const castU32: CpuKernel = (w, [x, y]) => {
  const L = LAYOUTS.cast;
  const count = w.u32[L.count]!;
  const mode = w.u32[L.mode]!;
  if (mode === CAST_MODES.floatToInt) {
    const xs = x!.f32;
    const ys = y!.i32;
    return () => {
      for (let i = 0; i < count; i++) {
        const v = xs[i]!;
        ys[i] = v !== v ? 0 : v >= 2147483647 ? 2147483647 : v <= -2147483648 ? -2147483648 : v;
      }
    };
  }
  if (mode !== CAST_MODES.intToFloat) throw new KernelWordsError(`cast_u32: mode ${mode}`);
  const xs = x!.i32;
  const ys = y!.f32;
  return () => {
    for (let i = 0; i < count; i++) ys[i] = xs[i]!;
  };
};

// ---------------------------------------------------------------------------------------------
// Matmul

/** Columns of y per block in the non-transposed loop: 4 rows of it stay in L1. */
const COLUMN_BLOCK = 256;

/**
 * y[p] = a[p] @ b[p] (or b[p]ᵀ) with batch broadcasting. Every element is an f32 dot product
 * in increasing k: acc = f32(acc + f32(a * b)). Without transposeB the loop is i-k-j over
 * blocks of 4 rows and COLUMN_BLOCK columns (y's rows are the accumulators, so b is read
 * contiguously and once per 4 rows); with it, 2 x 4 dot products at a time over contiguous
 * rows, 4 columns at a time across all rows of a (so b is read once).
 */
const matmulF32: CpuKernel = (w, [xa, xb, y]) => {
  const L = LAYOUTS.matmul;
  const [m, n, k] = [w.u32[L.m]!, w.u32[L.n]!, w.u32[L.k]!];
  const transposeB = w.u32[L.transposeB]! !== 0;
  const batches = w.u32[L.batches]!;
  const rank = w.u32[L.rank]!;
  if (rank > MAX_BATCH_RANK) throw new KernelWordsError(`matmul_f32: batch rank ${rank}`);
  const dims = list(w, L.dims, rank);
  const sa = list(w, L.sa, rank);
  const sb = list(w, L.sb, rank);
  const a = xa!.f32;
  const b = xb!.f32;
  const ys = y!.f32;
  const fround = Math.fround;

  const plain = (aOff: number, bOff: number, yOff: number) => {
    ys.fill(0, yOff, yOff + m * n);
    for (let j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
      const j1 = Math.min(n, j0 + COLUMN_BLOCK);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const a0 = aOff + i * k;
        const y0 = yOff + i * n;
        const y1 = y0 + n;
        const y2 = y1 + n;
        const y3 = y2 + n;
        for (let q = 0; q < k; q++) {
          const v0 = a[a0 + q]!;
          const v1 = a[a0 + k + q]!;
          const v2 = a[a0 + 2 * k + q]!;
          const v3 = a[a0 + 3 * k + q]!;
          const row = bOff + q * n;
          for (let j = j0; j < j1; j++) {
            const bv = b[row + j]!;
            ys[y0 + j] = ys[y0 + j]! + fround(v0 * bv);
            ys[y1 + j] = ys[y1 + j]! + fround(v1 * bv);
            ys[y2 + j] = ys[y2 + j]! + fround(v2 * bv);
            ys[y3 + j] = ys[y3 + j]! + fround(v3 * bv);
          }
        }
      }
      for (; i < m; i++) {
        const a0 = aOff + i * k;
        const y0 = yOff + i * n;
        for (let q = 0; q < k; q++) {
          const v0 = a[a0 + q]!;
          const row = bOff + q * n;
          for (let j = j0; j < j1; j++) ys[y0 + j] = ys[y0 + j]! + fround(v0 * b[row + j]!);
        }
      }
    }
  };

  // Blocks of 4 columns (4 rows of b, reused from L1 by every row of a) by 2 rows of a.
  const transposed = (aOff: number, bOff: number, yOff: number) => {
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = bOff + j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let i = 0;
      for (; i + 2 <= m; i += 2) {
        const r0 = aOff + i * k;
        const r1 = r0 + k;
        let c00 = 0;
        let c01 = 0;
        let c02 = 0;
        let c03 = 0;
        let c10 = 0;
        let c11 = 0;
        let c12 = 0;
        let c13 = 0;
        for (let q = 0; q < k; q++) {
          const u = a[r0 + q]!;
          const v = a[r1 + q]!;
          const w0 = b[b0 + q]!;
          const w1 = b[b1 + q]!;
          const w2 = b[b2 + q]!;
          const w3 = b[b3 + q]!;
          c00 = fround(c00 + fround(u * w0));
          c01 = fround(c01 + fround(u * w1));
          c02 = fround(c02 + fround(u * w2));
          c03 = fround(c03 + fround(u * w3));
          c10 = fround(c10 + fround(v * w0));
          c11 = fround(c11 + fround(v * w1));
          c12 = fround(c12 + fround(v * w2));
          c13 = fround(c13 + fround(v * w3));
        }
        const y0 = yOff + i * n + j;
        const y1 = y0 + n;
        ys[y0] = c00;
        ys[y0 + 1] = c01;
        ys[y0 + 2] = c02;
        ys[y0 + 3] = c03;
        ys[y1] = c10;
        ys[y1 + 1] = c11;
        ys[y1 + 2] = c12;
        ys[y1 + 3] = c13;
      }
      for (; i < m; i++) {
        const r0 = aOff + i * k;
        let c0 = 0;
        let c1 = 0;
        let c2 = 0;
        let c3 = 0;
        for (let q = 0; q < k; q++) {
          const u = a[r0 + q]!;
          c0 = fround(c0 + fround(u * b[b0 + q]!));
          c1 = fround(c1 + fround(u * b[b1 + q]!));
          c2 = fround(c2 + fround(u * b[b2 + q]!));
          c3 = fround(c3 + fround(u * b[b3 + q]!));
        }
        const y0 = yOff + i * n + j;
        ys[y0] = c0;
        ys[y0 + 1] = c1;
        ys[y0 + 2] = c2;
        ys[y0 + 3] = c3;
      }
    }
    for (; j < n; j++) {
      const b0 = bOff + j * k;
      for (let i = 0; i < m; i++) {
        const r0 = aOff + i * k;
        let c = 0;
        for (let q = 0; q < k; q++) c = fround(c + fround(a[r0 + q]! * b[b0 + q]!));
        ys[yOff + i * n + j] = c;
      }
    }
  };

  const one = transposeB ? transposed : plain;
  return () => {
    for (let p = 0; p < batches; p++) {
      let ma = 0;
      let mb = 0;
      let left = p;
      for (let ax = rank - 1; ax >= 0; ax--) {
        const d = dims[ax]!;
        const at = left % d;
        ma += at * sa[ax]!;
        mb += at * sb[ax]!;
        left = (left - at) / d;
      }
      one(ma * m * k, mb * k * n, p * m * n);
    }
  };
};

// ---------------------------------------------------------------------------------------------
// Reductions: lanes (o, l) of an outer x n x inner layout, each walking j in increasing order.

function lanes(w: Words) {
  const L = LAYOUTS.axis;
  const count = w.u32[L.count]!;
  const n = w.u32[L.n]!;
  const inner = w.u32[L.inner]!;
  const outer = inner === 0 ? 0 : Math.floor(count / inner);
  return { n, inner, outer, op: w.u32[L.op]! };
}

function reduce(dtype: "f32" | "i32"): CpuKernel {
  return (w, [x, y]) => {
    const { n, inner, outer, op } = lanes(w);
    if (op > REDUCE_OPS.max) throw new KernelWordsError(`reduce_${dtype}: op code ${op}`);
    const xs = x![dtype];
    const ys = y![dtype];
    return () => reduceLanes(xs, 0, ys, 0, outer, n, inner, op);
  };
}

function argmax(dtype: "f32" | "i32"): CpuKernel {
  return (w, [x, y]) => {
    const { n, inner, outer } = lanes(w);
    const xs = x![dtype];
    const ys = y!.i32;
    return () => argmaxLanes(xs, 0, ys, 0, outer, n, inner);
  };
}

function topk(dtype: "f32" | "i32"): CpuKernel {
  return (w, [x, y]) => {
    const L = LAYOUTS.topk;
    const [rows, n, k] = [w.u32[L.count]!, w.u32[L.n]!, w.u32[L.k]!];
    const xs = x![dtype];
    const ys = y!.i32;
    return () => topkRows(xs, 0, ys, 0, rows, n, k);
  };
}

const softmaxF32: CpuKernel = (w, [x, y]) => {
  const { n, inner, outer, op } = lanes(w);
  if (op > SOFTMAX_OPS.log_softmax) throw new KernelWordsError(`softmax_f32: op code ${op}`);
  const log = op === SOFTMAX_OPS.log_softmax;
  const xs = x!.f32;
  const ys = y!.f32;
  return () => softmaxLanes(xs, 0, ys, 0, outer, n, inner, log);
};

const layernormF32: CpuKernel = (w, [x, y]) => {
  const L = LAYOUTS.layernorm;
  const [rows, n, eps] = [w.u32[L.count]!, w.u32[L.n]!, w.f32[L.eps]!];
  const xs = x!.f32;
  const ys = y!.f32;
  return () => layernormRows(xs, 0, ys, 0, rows, n, eps);
};

// ---------------------------------------------------------------------------------------------
// Data movement, on raw words

/** y[o * outStride + outOffset + c] = x[o * inStride + inOffset + c], blocks of `chunk`. */
const copyU32: CpuKernel = (w, [x, y]) => {
  const L = LAYOUTS.copy;
  const count = w.u32[L.count]!;
  const chunk = w.u32[L.chunk]!;
  const [inStride, inOffset] = [w.u32[L.inStride]!, w.u32[L.inOffset]!];
  const [outStride, outOffset] = [w.u32[L.outStride]!, w.u32[L.outOffset]!];
  const xs = x!.u32;
  const ys = y!.u32;
  const outer = chunk === 0 ? 0 : Math.ceil(count / chunk);
  return () => {
    for (let o = 0; o < outer; o++) {
      const len = Math.min(chunk, count - o * chunk);
      const from = o * inStride + inOffset;
      const to = o * outStride + outOffset;
      if (len >= 32) ys.set(xs.subarray(from, from + len), to);
      else for (let c = 0; c < len; c++) ys[to + c] = xs[from + c]!;
    }
  };
};

/** y[i] = x at the strided position of result element i. */
const stridedU32: CpuKernel = (w, [x, y]) => {
  const L = LAYOUTS.strided;
  const rank = rankOf(w, L.rank, MAX_RANK, "strided_u32");
  const dims = list(w, L.dims, rank);
  const sx = list(w, L.sx, rank);
  const xs = x!.u32;
  const ys = y!.u32;
  const step = sx[rank - 1]!;
  return walk(dims, [sx], (o, at, len) => {
    let ix = o[0]!;
    const end = at + len;
    for (let i = at; i < end; i++, ix += step) ys[i] = xs[ix]!;
  });
};

/** Rows of a table picked by int indices; an index out of range gives zeros. */
const gatherU32: CpuKernel = (w, [table, indices, y]) => {
  const L = LAYOUTS.gather;
  const count = w.u32[L.count]!;
  const width = w.u32[L.width]!;
  const rows = w.u32[L.rows]!;
  const t = table!.u32;
  const ix = indices!.i32;
  const ys = y!.u32;
  const picks = width === 0 ? 0 : Math.ceil(count / width);
  return () => {
    for (let r = 0; r < picks; r++) {
      const index = ix[r]!;
      const to = r * width;
      const len = Math.min(width, count - to);
      if (index < 0 || index >= rows) ys.fill(0, to, to + len);
      else if (len >= 32) ys.set(t.subarray(index * width, index * width + len), to);
      else for (let c = 0; c < len; c++) ys[to + c] = t[index * width + c]!;
    }
  };
};

/** out[r, j] = x[r, indices[r, j]] over the last axis; an index out of range gives 0. */
const takeAlongU32: CpuKernel = (w, [x, indices, y]) => {
  const L = LAYOUTS.take;
  const count = w.u32[L.count]!;
  const n = w.u32[L.n]!;
  const m = w.u32[L.m]!;
  const xs = x!.u32;
  const ix = indices!.i32;
  const ys = y!.u32;
  return () => {
    for (let i = 0; i < count; i++) {
      const index = ix[i]!;
      ys[i] = index < 0 || index >= n ? 0 : xs[Math.floor(i / m) * n + index]!;
    }
  };
};

/** Each element's index along the axis, as int or float. */
const iotaU32: CpuKernel = (w, [y]) => {
  const L = LAYOUTS.iota;
  const count = w.u32[L.count]!;
  const n = w.u32[L.n]!;
  const inner = w.u32[L.inner]!;
  const ys = w.u32[L.float]! !== 0 ? y!.f32 : y!.i32;
  return () => {
    for (let i = 0; i < count; i++) ys[i] = Math.floor(i / inner) % n;
  };
};

/** A draw in [0, 1) per element (rows.ts uniformFill). */
const uniformF32: CpuKernel = (w, [step, y]) => {
  const L = LAYOUTS.uniform;
  const [count, seed] = [w.u32[L.count]!, w.u32[L.seed]!];
  const s = step!.i32;
  const ys = y!.f32;
  return () => uniformFill(ys, 0, count, seed, s[0]!);
};

/** One draw per row from softmax(logits / temperature) (rows.ts sampleRows). */
const sampleF32: CpuKernel = (w, [logits, step, y]) => {
  const L = LAYOUTS.sample;
  const [rows, v, seed] = [w.u32[L.count]!, w.u32[L.v]!, w.u32[L.seed]!];
  const t = w.f32[L.temperature]!;
  const xs = logits!.f32;
  const s = step!.i32;
  const ys = y!.i32;
  return () => sampleRows(xs, 0, ys, 0, rows, v, seed, t, s[0]!);
};

/** The kernel of every family the naive schedule emits, by the plan's shader name. */
export const KERNELS: Readonly<Record<string, CpuKernel>> = {
  map_f32: mapF32,
  zip_f32: zip("zip_f32", FLOAT_BINARY_OPS, "f32", "f32"),
  zip_i32: zip("zip_i32", INT_BINARY_OPS, "i32", "i32"),
  compare_i32: zip("compare_i32", INT_COMPARE_OPS, "i32", "f32"),
  select_u32: selectU32,
  cast_u32: castU32,
  matmul_f32: matmulF32,
  reduce_f32: reduce("f32"),
  reduce_i32: reduce("i32"),
  argmax_f32: argmax("f32"),
  argmax_i32: argmax("i32"),
  topk_f32: topk("f32"),
  topk_i32: topk("i32"),
  softmax_f32: softmaxF32,
  layernorm_f32: layernormF32,
  copy_u32: copyU32,
  strided_u32: stridedU32,
  gather_u32: gatherU32,
  take_along_u32: takeAlongU32,
  iota_u32: iotaU32,
  uniform_f32: uniformF32,
  sample_f32: sampleF32,
};
