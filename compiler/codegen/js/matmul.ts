/**
 * The generated matmul: y[..., M, N] = a[..., M, K] · bt[..., N, K]ᵀ, both operands dense
 * Float64Arrays read along k (the callers copy them there: a non-transposed b transposed,
 * once per run when it does not change between steps; f64 loads need no conversion, about
 * 25% faster). Blocks of 2 rows of a by 4 rows of bt: 8 accumulators in registers, the 4
 * rows of bt (4·K numbers) reused from L1 by every row pair, a read once per 4 columns.
 *
 * `exact`: each product and each partial sum rounded to f32 in increasing k (the reference
 * interpreter's float32 matmul, bit for bit). Otherwise the sum is kept in float64 and
 * rounded once when stored: more accurate than the reference and about twice as fast.
 */
import { sizeOf } from "../../ir/node.ts";
import type { Node } from "../../ir/node.ts";
import { copy, dense, loop, transposed, type ArrayAccess } from "./access.ts";
import { Code } from "./code.ts";

export interface MatmulOperands {
  readonly a: ArrayAccess;
  readonly bt: ArrayAccess;
  readonly y: ArrayAccess;
  readonly exact: boolean;
}

/** The access of a batch of matrices: its leading axes, each matrix one element. */
function batchOf(x: ArrayAccess): ArrayAccess {
  return {
    kind: "array",
    array: x.array,
    offset: x.offset,
    shape: x.shape.slice(0, -2),
    strides: x.strides.slice(0, -2),
  };
}

export function emitMatmul(code: Code, { a, bt, y, exact }: MatmulOperands): void {
  const r = y.shape.length;
  const [m, n] = [y.shape[r - 2]!, y.shape[r - 1]!];
  const k = a.shape[a.shape.length - 1]!;
  if (sizeOf(y.shape) === 0) return;
  const batches = [batchOf(a), batchOf(bt), batchOf(dense(y.array, y.shape, y.offset))];
  const mac = exact
    ? (c: string, u: string, w: string) => `${c} = fround(${c} + fround(${u} * ${w}));`
    : (c: string, u: string, w: string) => `${c} += ${u} * ${w};`;
  const A = a.array;
  const B = bt.array;
  const Y = y.array;
  loop(code, y.shape.slice(0, -2), batches, (_, at) => {
    code.line(`const ao = ${at(batches[0]!)};`);
    code.line(`const bo = ${at(batches[1]!)};`);
    code.line(`const yo = ${at(batches[2]!)};`);
    const columns = (width: number, j0: string) => {
      const js = Array.from({ length: width }, (_, c) => c);
      code.line(`const wj = bo + ${j0} * ${k};`);
      const rows = (height: number, i0: string) => {
        const is = Array.from({ length: height }, (_, ri) => ri);
        code.line(`const ai = ao + ${i0} * ${k};`);
        for (const ri of is) for (const c of js) code.line(`let c${ri}${c} = 0;`);
        code.block(`for (let q = 0; q < ${k}; q++)`, () => {
          for (const ri of is) code.line(`const u${ri} = ${A}[ai + ${ri * k} + q];`);
          for (const c of js) code.line(`const w${c} = ${B}[wj + ${c * k} + q];`);
          for (const ri of is) for (const c of js) code.line(mac(`c${ri}${c}`, `u${ri}`, `w${c}`));
        });
        code.line(`const yij = yo + ${i0} * ${n} + ${j0};`);
        for (const ri of is)
          for (const c of js) code.line(`${Y}[yij + ${ri * n + c}] = c${ri}${c};`);
      };
      const pairs = Math.floor(m / 2) * 2;
      if (pairs > 0) code.block(`for (let i = 0; i < ${pairs}; i += 2)`, () => rows(2, "i"));
      if (m % 2 === 1) code.block("", () => rows(1, String(m - 1)));
    };
    const quads = Math.floor(n / 4) * 4;
    if (quads > 0) code.block(`for (let j = 0; j < ${quads}; j += 4)`, () => columns(4, "j"));
    if (n % 4 !== 0) code.block("", () => columns(n % 4, String(quads)));
  });
}

/**
 * A top-level matmul as one generated kernel (bindings a, b, y): the operands copied into
 * Float64Arrays (b transposed unless transposeB) each run, then the blocked loops.
 */
export function matmulKernelSource(node: Node, exact: boolean): string {
  const [a, b] = node.inputs as [Node, Node];
  const code = new Code();
  code.line("const fround = Math.fround;");
  node.inputs.forEach((_, i) => code.line(`const buf${i} = buffers[${i}].f32;`));
  code.line("const buf2 = buffers[2].f32;");
  code.line(`const a64 = new Float64Array(${sizeOf(a.shape)});`);
  code.line(`const bt64 = new Float64Array(${sizeOf(b.shape)});`);
  code.block("return function run()", () => {
    const a64 = dense("a64", a.shape);
    copy(code, dense("buf0", a.shape), a64);
    const bView =
      node.attrs.transposeB === true ? dense("buf1", b.shape) : transposed(dense("buf1", b.shape));
    const bt = dense("bt64", bView.shape);
    copy(code, bView, bt);
    emitMatmul(code, { a: a64, bt, y: dense("buf2", node.shape), exact });
  });
  return code.text();
}
