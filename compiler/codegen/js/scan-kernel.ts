/**
 * One `scan` as one generated JavaScript kernel (runtime/cpu/js-kernel.ts runs it): every
 * step of the recurrence inside one call. The step graph becomes straight-line code:
 *
 *   factory:  the bound arrays, the scratch of every stored value, constants (once)
 *   run:      initial states copied in; the step-invariant ops (prologue); then per step t
 *             (last first for reverse scans): the step's ops in node order, elementwise
 *             nodes of one shape fused into one loop (fuse.ts); next states into the spare
 *             state arrays, which are then swapped; per-step outputs into [B, t, ...];
 *             finally the final states out.
 *
 * The meaning is compiler/passes/unroll.ts's: slices at t along axis 1, t the real index.
 * Bindings: the scan's inputs (sequences, initial states, constants), then the results that
 * are read (final states, then stacked outputs, in result order).
 */
import type { Node } from "../../ir/node.ts";
import { sizeOf } from "../../ir/node.ts";
import {
  copy,
  dense,
  isDense,
  reshaped,
  rowMajor,
  sliced,
  transposed,
  type Access,
  type ArrayAccess,
} from "./access.ts";
import { Code, literal } from "./code.ts";
import { ElementwiseGroup } from "./fuse.ts";
import { emitOp, type OpContext } from "./ops.ts";
import { StepAnalysis } from "./step-analysis.ts";

export interface ScanKernelOptions {
  /** Matmuls rounded as the reference's float32 (see matmul.ts). */
  readonly exact?: boolean;
}

function arrayType(node: { dtype: string }): string {
  return node.dtype === "int" ? "Int32Array" : "Float32Array";
}

class KernelWriter {
  readonly factory = new Code();
  private readonly accesses = new Map<Node, Access>();
  private readonly declared = new Set<string>();
  private readonly copies = new Map<Node, ArrayAccess>();
  private readonly converted = new Map<string, ArrayAccess>();
  private group: ElementwiseGroup | undefined;
  readonly prologue = new Code();
  code = this.prologue;

  constructor(
    readonly analysis: StepAnalysis,
    readonly exact: boolean,
  ) {}

  bind(node: Node, access: Access): void {
    this.accesses.set(node, access);
  }

  /** A factory-level constant (declared once by name). */
  constant = (name: string, init: string): string => {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.factory.line(`const ${name} = ${init};`);
    }
    return name;
  };

  scratch(name: string, node: { dtype: string }, size: number): string {
    return this.constant(name, `new ${arrayType(node)}(${size})`);
  }

  access(node: Node): Access {
    const known = this.accesses.get(node);
    if (known) return known;
    const a = this.analysis;
    let access: Access;
    switch (a.kind(node)) {
      case "literal": {
        const v = node.attrs.value as number;
        access = {
          kind: "literal",
          value: literal(node.dtype === "int" ? v | 0 : Math.fround(v)),
          shape: node.shape,
        };
        break;
      }
      case "view": {
        const x = this.access(node.inputs[0]!);
        if (node.op === "slice") {
          access = sliced(
            x,
            node.attrs.axis as number,
            node.attrs.start as number,
            node.attrs.end as number,
          );
        } else if (node.op === "transpose") {
          access = transposed(x);
        } else if (node.op === "reshape") {
          access = reshaped(
            x.kind === "literal" || isDense(x) ? x : this.dense(node.inputs[0]!),
            node.shape,
          );
        } else access = x;
        break;
      }
      default:
        access = dense(`v${node.id}`, node.shape);
    }
    this.accesses.set(node, access);
    return access;
  }

  /** The node that owns the array an access of `node` reads (undefined: a formal or literal). */
  owner(node: Node): Node | undefined {
    const kind = this.analysis.kind(node);
    if (kind === "view") return this.owner(node.inputs[0]!);
    return kind === "elementwise" || kind === "op" ? node : undefined;
  }

  dense(node: Node): ArrayAccess {
    const access = this.access(node);
    if (access.kind === "array" && isDense(access)) return access;
    let copied = this.copies.get(node);
    if (!copied) {
      copied = dense(this.scratch(`m${node.id}`, node, sizeOf(node.shape)), node.shape);
      this.emitCopy(access, copied);
      this.copies.set(node, copied);
    }
    return copied;
  }

  emitCopy(from: Access, to: ArrayAccess): void {
    copy(this.code, from, to);
  }

  output(node: Node): ArrayAccess {
    this.scratch(`v${node.id}`, node, sizeOf(node.shape));
    return this.access(node) as ArrayAccess;
  }

  /** The operand as Float64Array (transposed or not); in the prologue when it is there before the steps. */
  float64(node: Node, transpose: boolean): ArrayAccess {
    const key = `${transpose ? "bt" : "f"}${node.id}`;
    const known = this.converted.get(key);
    if (known) return known;
    const owner = this.owner(node);
    const early = owner ? this.analysis.prologue.has(owner) : this.analysis.isInvariant(node);
    const here = this.code;
    if (early) this.code = this.prologue;
    const from = this.access(node);
    const shaped = transpose ? transposed(from) : from;
    const to = dense(this.constant(key, `new Float64Array(${sizeOf(node.shape)})`), shaped.shape);
    this.emitCopy(shaped, to);
    this.code = here;
    if (early) this.converted.set(key, to);
    return to;
  }

  scalar(node: Node): string {
    const a = this.access(node);
    return a.kind === "literal" ? a.value : `${a.array}[${a.offset}]`;
  }

  /**
   * Declares `function name(t)` in the factory with `emit`'s code and returns its call: hot
   * loops in small functions are optimised after a few calls, where one large run function
   * would spend its first run in the interpreter.
   */
  helper(name: string, emit: (code: Code) => void): string {
    const fn = new Code();
    emit(fn);
    this.factory.block(`function ${name}(t)`, () => this.factory.append(fn));
    return `${name}(t)`;
  }

  /** Emits the nodes of one section (prologue or step) in order. */
  section(nodes: readonly Node[]): void {
    const a = this.analysis;
    for (const node of nodes) {
      const kind = a.kind(node);
      if (kind === "formal" || kind === "literal" || kind === "view") continue;
      if (kind === "elementwise") {
        if (a.inlined(node)) continue;
        if (this.group && !this.group.accepts(node)) this.flush();
        this.group ??= new ElementwiseGroup(this, node.shape);
        this.group.add(node);
        continue;
      }
      this.flush();
      const context: OpContext = {
        code: this.code,
        exact: this.exact,
        dense: (n) => this.dense(n),
        output: (n) => this.output(n),
        float64: (n, transpose) => this.float64(n, transpose),
        scalar: (n) => this.scalar(n),
        helper: (name, emit) => this.helper(name, emit),
      };
      emitOp(node, context);
    }
    this.flush();
  }

  flush(): void {
    const g = this.group;
    this.group = undefined;
    g?.emit();
  }
}

export type { KernelWriter };

/** The JavaScript source of `scan`'s kernel; `bound[i]`: result i has a binding. */
export function scanKernelSource(
  scan: Node,
  bound: readonly boolean[],
  options: ScanKernelOptions = {},
): string {
  const body = scan.body!;
  const steps = scan.attrs.steps as number;
  const reverse = scan.attrs.reverse === true;
  const analysis = new StepAnalysis(body);
  const w = new KernelWriter(analysis, options.exact === true);
  const f = w.factory;
  f.line("const fround = Math.fround;");
  f.line("const T = new Int32Array(1);");

  let binding = 0;
  const buffer = (node: { dtype: string }) => {
    const name = `buf${binding}`;
    f.line(`const ${name} = buffers[${binding++}].${node.dtype === "int" ? "i32" : "f32"};`);
    return name;
  };
  const rowsAt = (shape: readonly number[], array: string) => {
    const rest = shape.slice(1);
    const inner = sizeOf(rest);
    const access: ArrayAccess = {
      kind: "array",
      array,
      offset: inner === 0 ? "0" : `t * ${inner}`,
      shape,
      strides: [steps * inner, ...rowMajor(rest)],
    };
    return access;
  };
  body.slices.forEach((formal) => w.bind(formal, rowsAt(formal.shape, buffer(formal))));
  const initial = body.states.map((formal) => buffer(formal));
  body.consts.forEach((formal) => w.bind(formal, dense(buffer(formal), formal.shape)));
  w.bind(body.step, dense("T", []));
  const states = body.states.map((formal, i) => {
    const size = sizeOf(formal.shape);
    f.line(`let s${i} = new ${arrayType(formal)}(${size});`);
    f.line(`let n${i} = new ${arrayType(formal)}(${size});`);
    w.bind(formal, dense(`s${i}`, formal.shape));
    return { size, init: initial[i]! };
  });
  const results = [...body.nextStates, ...body.outputs].map((node, i) =>
    bound[i] ? buffer(node) : undefined,
  );

  const nodes = body.graph.nodes.filter((n) => analysis.live.has(n));
  const prologue = w.prologue;
  states.forEach((s, i) => prologue.line(`s${i}.set(${s.init}.subarray(0, ${s.size}));`));
  w.section(nodes.filter((n) => analysis.prologue.has(n)));

  const step = new Code();
  w.code = step;
  w.section(nodes.filter((n) => !analysis.prologue.has(n)));
  body.nextStates.forEach((next, i) => w.emitCopy(w.access(next), dense(`n${i}`, next.shape)));
  // Outputs before the swap: an output may be a state itself (a trajectory for gradients).
  body.outputs.forEach((out, i) => {
    const array = results[body.nextStates.length + i];
    if (array) w.emitCopy(w.access(out), rowsAt(out.shape, array));
  });
  body.states.forEach((_, i) => step.line(`{ const swap = s${i}; s${i} = n${i}; n${i} = swap; }`));

  const code = new Code();
  code.append(f);
  code.block("return function run()", () => {
    code.line("let t = 0;");
    code.append(prologue);
    code.block(`for (let s = 0; s < ${steps}; s++)`, () => {
      code.line(`t = ${reverse ? `${steps - 1} - s` : "s"};`);
      code.line("T[0] = t;");
      code.append(step);
    });
    states.forEach((s, i) => {
      const array = results[i];
      if (array) code.line(`${array}.set(s${i}.subarray(0, ${s.size}));`);
    });
  });
  return code.text();
}
