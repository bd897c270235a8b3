/**
 * The generated code of the step graph's ops that are not elementwise, each its own loops
 * over dense operands: the matmul (matmul.ts), reductions, normalisations, topk and sampling
 * (calls of the CPU backend's row functions, runtime/cpu/rows.ts, as `lib.*`, so they round
 * exactly as the naive kernels do), and the data movement ops (copies through accesses).
 * Like the naive CPU kernels, an index out of range gathers zeros.
 */
import type { Node } from "../../ir/node.ts";
import { sizeOf } from "../../ir/node.ts";
import { around, num } from "../wgsl/planner.ts";
import { REDUCE_OPS } from "../wgsl/reduce.ts";
import { copy, type ArrayAccess } from "./access.ts";
import { literal, type Code } from "./code.ts";
import { emitMatmul } from "./matmul.ts";

/** What an op emitter asks of the kernel writer. */
export interface OpContext {
  readonly code: Code;
  readonly exact: boolean;
  /** The operand's value as a dense array (copied into scratch when it is not). */
  dense(node: Node): ArrayAccess;
  /** Scratch for the node's result (allocated once, in the factory). */
  output(node: Node): ArrayAccess;
  /**
   * The operand as a dense Float64Array (its last two axes swapped when `transpose`): a
   * matmul's operands, read without a conversion per use; once per run when invariant.
   */
  float64(node: Node, transpose: boolean): ArrayAccess;
  /** A function of the factory with `body`'s code; returns its call (KernelWriter.helper). */
  helper(name: string, body: (code: Code) => void): string;
  /** The value of an int scalar (a step index). */
  scalar(node: Node): string;
}

function lanesOf(node: Node) {
  const x = node.inputs[0]!;
  return around(x.shape, num(node, "axis"));
}

type Emitter = (node: Node, c: OpContext) => void;

const EMITTERS: Partial<Record<Node["op"], Emitter>> = {
  matmul(node, c) {
    const [a, b] = node.inputs as [Node, Node];
    const bt = c.float64(b, node.attrs.transposeB !== true);
    const operands = { a: c.float64(a, false), bt, y: c.output(node), exact: c.exact };
    c.code.line(`${c.helper(`mm${node.id}`, (code) => emitMatmul(code, operands))};`);
  },
  sum: reduce,
  mean: reduce,
  max: reduce,
  argmax(node, c) {
    const x = c.dense(node.inputs[0]!);
    const { outer, n, inner } = lanesOf(node);
    const y = c.output(node);
    c.code.line(
      `lib.argmaxLanes(${x.array}, ${x.offset}, ${y.array}, 0, ${outer}, ${n}, ${inner});`,
    );
  },
  topk(node, c) {
    const x = c.dense(node.inputs[0]!);
    const n = x.shape[x.shape.length - 1]!;
    const rows = sizeOf(x.shape) / n;
    const y = c.output(node);
    c.code.line(
      `lib.topkRows(${x.array}, ${x.offset}, ${y.array}, 0, ${rows}, ${n}, ${num(node, "k")});`,
    );
  },
  softmax: softmax,
  log_softmax: softmax,
  layernorm(node, c) {
    const x = c.dense(node.inputs[0]!);
    const n = x.shape[x.shape.length - 1] ?? 1;
    const rows = n === 0 ? 0 : sizeOf(x.shape) / n;
    const y = c.output(node);
    c.code.line(
      `lib.layernormRows(${x.array}, ${x.offset}, ${y.array}, 0, ${rows}, ${n}, ${num(node, "eps")});`,
    );
  },
  concat(node, c) {
    const axis = num(node, "axis");
    const y = c.output(node);
    let at = 0;
    for (const input of node.inputs) {
      const part = c.dense(input);
      const region: ArrayAccess = {
        ...y,
        offset: String(at * y.strides[axis]!),
        shape: input.shape,
      };
      copy(c.code, part, region);
      at += input.shape[axis]!;
    }
  },
  gather(node, c) {
    const [table, indices] = [c.dense(node.inputs[0]!), c.dense(node.inputs[1]!)];
    const rows = table.shape[0]!;
    const width = sizeOf(table.shape.slice(1));
    const y = c.output(node);
    c.code.block(`for (let r = 0; r < ${sizeOf(indices.shape)}; r++)`, () => {
      c.code.line(`const index = ${indices.array}[${indices.offset} + r];`);
      c.code.line(`const from = ${table.offset} + index * ${width};`);
      c.code.line(`const ok = index >= 0 && index < ${rows};`);
      c.code.block(`for (let j = 0; j < ${width}; j++)`, () =>
        c.code.line(`${y.array}[r * ${width} + j] = ok ? ${table.array}[from + j] : 0;`),
      );
    });
  },
  take_along(node, c) {
    const [x, indices] = [c.dense(node.inputs[0]!), c.dense(node.inputs[1]!)];
    const n = x.shape[x.shape.length - 1]!;
    const m = indices.shape[indices.shape.length - 1]!;
    const y = c.output(node);
    c.code.block(`for (let r = 0; r < ${sizeOf(indices.shape) / m}; r++)`, () => {
      c.code.block(`for (let j = 0; j < ${m}; j++)`, () => {
        c.code.line(`const index = ${indices.array}[${indices.offset} + r * ${m} + j];`);
        c.code.line(
          `${y.array}[r * ${m} + j] = index >= 0 && index < ${n} ? ${x.array}[${x.offset} + r * ${n} + index] : 0;`,
        );
      });
    });
  },
  uniform(node, c) {
    const y = c.output(node);
    const step = c.scalar(node.inputs[0]!);
    c.code.line(
      `lib.uniformFill(${y.array}, 0, ${sizeOf(node.shape)}, ${num(node, "seed")}, ${step});`,
    );
  },
  sample(node, c) {
    const x = c.dense(node.inputs[0]!);
    const [rows, v] = x.shape as [number, number];
    const step = c.scalar(node.inputs[1]!);
    const y = c.output(node);
    const [seed, temperature] = [num(node, "seed"), num(node, "temperature")];
    c.code.line(
      `lib.sampleRows(${x.array}, ${x.offset}, ${y.array}, 0, ${rows}, ${v}, ${seed}, ${literal(temperature)}, ${step});`,
    );
  },
  iota(node, c) {
    const { n, inner } = around(node.shape, num(node, "axis"));
    const y = c.output(node);
    c.code.block(`for (let i = 0; i < ${sizeOf(node.shape)}; i++)`, () =>
      c.code.line(`${y.array}[i] = Math.floor(i / ${inner}) % ${n};`),
    );
  },
};

function reduce(node: Node, c: OpContext): void {
  const x = c.dense(node.inputs[0]!);
  const { outer, n, inner } = lanesOf(node);
  const y = c.output(node);
  const op = REDUCE_OPS[node.op as keyof typeof REDUCE_OPS];
  c.code.line(
    `lib.reduceLanes(${x.array}, ${x.offset}, ${y.array}, 0, ${outer}, ${n}, ${inner}, ${op});`,
  );
}

function softmax(node: Node, c: OpContext): void {
  const x = c.dense(node.inputs[0]!);
  const { outer, n, inner } = lanesOf(node);
  const y = c.output(node);
  const log = node.op === "log_softmax";
  c.code.line(
    `lib.softmaxLanes(${x.array}, ${x.offset}, ${y.array}, 0, ${outer}, ${n}, ${inner}, ${log});`,
  );
}

export function emitOp(node: Node, c: OpContext): void {
  const emit = EMITTERS[node.op];
  if (!emit) throw new Error(`no generated CPU code for op '${node.op}'`);
  emit(node, c);
}
