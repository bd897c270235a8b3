/**
 * Element functions: the fused kernels compute every IR value as a WGSL function from its
 * element's indices (one u32 per axis, batch row included) to the element's value. A value
 * that is stored somewhere (a bound buffer, an arena range, workgroup memory) is read there;
 * any other is computed from its inputs' element functions, so chains of elementwise work,
 * slices, broadcasts and reshapes fuse into whatever kernel reads them, and a matmul or a
 * reduction read once fuses as a loop. Which values are stored is the caller's decision
 * (a `Scope`); this file only knows each op's meaning, exactly as the reference computes it
 * in float32 (same summation order, same NaN rules).
 */
import type { Node } from "../../../ir/node.ts";
import type { WgslFn } from "../kernel.ts";
import { UNARY_OPS } from "../elementwise.ts";
import { strides } from "../../../../runtime/reference/tensor.ts";
import { fillBitsOf } from "../planner.ts";
import { ELEMENT_HELPERS, MATH_HELPERS } from "./helpers.ts";

/** A read of a stored value's element at the given index expressions. */
export type Reader = (idx: readonly string[]) => string;

export interface Scope {
  /** Prefix of this scope's function names ("g" outside recurrences, "s0_" in scan 0's step). */
  readonly prefix: string;
  /** Where `node` is stored, or undefined to compute it from its inputs. */
  reader(node: Node): Reader | undefined;
}

export const wgslType = (node: Node): "f32" | "i32" => (node.dtype === "float" ? "f32" : "i32");

/** A WGSL literal of `value` in `node`'s type (exact f32 bits for non-integers). */
export function literal(value: number, dtype: Node["dtype"]): string {
  if (dtype === "int") return `${value | 0}i`;
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 24) return `${value}.0`;
  return `bitcast<f32>(${fillBitsOf(value, "f32")}u)`;
}

/** The flat row-major position of `idx` in `shape`, as a WGSL u32 expression. */
export function flatIndex(shape: readonly number[], idx: readonly string[]): string {
  const step = strides(shape);
  const terms = idx
    .map((e, a) => (shape[a] === 1 ? "" : step[a] === 1 ? e : `${atom(e)} * ${step[a]}u`))
    .filter((t) => t !== "");
  return terms.length === 0 ? "0u" : terms.join(" + ");
}

/** `e` as an operand of * / %: parenthesised unless it is a name or a number. */
function atom(e: string): string {
  return /^[A-Za-z_0-9.]+$/.test(e) ? e : `(${e})`;
}

/** WGSL lines binding `names[a]` to axis a of flat position `flat` in `shape`. */
export function unflatten(shape: readonly number[], flat: string, names: readonly string[]) {
  const step = strides(shape);
  return shape.map((d, a) => {
    if (d === 1) return `let ${names[a]} = 0u;`;
    const q = step[a] === 1 ? atom(flat) : `(${atom(flat)} / ${step[a]}u)`;
    return a === 0 ? `let ${names[a]} = ${q};` : `let ${names[a]} = ${q} % ${d}u;`;
  });
}

/** Operand indices for an operand broadcast (right-aligned) against an output index. */
function broadcastIndex(operand: readonly number[], idx: readonly string[]): string[] {
  const off = idx.length - operand.length;
  return operand.map((d, a) => (d === 1 ? "0u" : idx[off + a]!));
}

const params = (rank: number) => Array.from({ length: rank }, (_, a) => `i${a}`);

/** The element functions of one WGSL module, defined on first use. */
export class ElementFns {
  /** Function name of each computed value, by scope prefix and node id. */
  private readonly names = new Map<string, string>();
  private readonly code: string[] = [];
  readonly helpers = new Set<WgslFn>(MATH_HELPERS);

  /** The WGSL expression for `node`'s element at `idx`, in `scope`. */
  at(scope: Scope, node: Node, idx: readonly string[]): string {
    const read = scope.reader(node);
    if (read) return read(idx);
    if (node.op === "const") return literal(node.attrs.value as number, node.dtype);
    if (node.op === "iota") {
      const v = idx[node.attrs.axis as number]!;
      return node.dtype === "float" ? `f32(${v})` : `i32(${v})`;
    }
    const key = `${scope.prefix}${node.id}`;
    let name = this.names.get(key);
    if (name === undefined) {
      // Named in order of first use, not by node id: the same computation, however its
      // equations were ordered in the source, gives the same WGSL.
      name = `${scope.prefix}${this.names.size}`;
      this.names.set(key, name);
      const body = this.body(scope, node);
      const signature = params(node.shape.length).map((p) => `${p}: u32`);
      this.code.push(
        `// ${node.op} ${node.dtype}[${node.shape.join(", ")}]\n` +
          `fn ${name}(${signature.join(", ")}) -> ${wgslType(node)} {\n` +
          body.map((l) => `  ${l}`).join("\n") +
          "\n}",
      );
    }
    return `${name}(${idx.join(", ")})`;
  }

  /** Adds a function written elsewhere (a kernel's own helpers). */
  addFunction(code: string): void {
    this.code.push(code);
  }

  /** Every function defined so far (WGSL allows any order of declarations). */
  functions(): string[] {
    return [...this.code];
  }

  private body(scope: Scope, node: Node): string[] {
    const idx = params(node.shape.length);
    const [x, y, z] = node.inputs;
    const of = (operand: Node, at: readonly string[]) => this.at(scope, operand, at);
    const broadcast = (operand: Node) => of(operand, broadcastIndex(operand.shape, idx));
    if (node.op in UNARY_OPS) {
      this.helpers.add(ELEMENT_HELPERS.unary);
      const alpha = (node.attrs.alpha ?? node.attrs.slope ?? 0) as number;
      return [`return rn_u_${node.op}(${broadcast(x!)}, ${literal(alpha, "float")});`];
    }
    switch (node.op) {
      case "add":
      case "sub":
      case "mul":
      case "div":
      case "minimum":
      case "maximum":
      case "less":
      case "greater":
      case "equal":
      case "floordiv":
      case "mod":
        return [`return ${binary(node, this.helpers)}(${broadcast(x!)}, ${broadcast(y!)});`];
      case "where":
        return [`return select(${broadcast(z!)}, ${broadcast(y!)}, ${broadcast(x!)} != 0.0);`];
      case "cast":
        if (x!.dtype === node.dtype) return [`return ${of(x!, idx)};`];
        return [`return ${wgslType(node)}(${of(x!, idx)});`];
      case "matmul":
        return this.matmul(scope, node, idx);
      case "sum":
      case "mean":
      case "max":
      case "argmax":
        return this.reduce(scope, node, idx);
      case "concat":
        return this.concat(scope, node, idx);
      case "slice": {
        const axis = node.attrs.axis as number;
        const at = idx.map((e, a) => (a === axis ? `${e} + ${node.attrs.start as number}u` : e));
        return [`return ${of(x!, at)};`];
      }
      case "transpose": {
        const r = idx.length;
        return [`return ${of(x!, [...idx.slice(0, r - 2), idx[r - 1]!, idx[r - 2]!])};`];
      }
      case "reshape":
        return this.reshape(scope, node, idx);
      case "gather": {
        const lead = idx.slice(0, y!.shape.length);
        const rest = idx.slice(y!.shape.length);
        const rows = x!.shape[0]!;
        return [
          `let k = ${of(y!, lead)};`,
          `if (k < 0i || k >= ${rows}i) { return ${zero(node)}; }`,
          `return ${of(x!, ["u32(k)", ...rest])};`,
        ];
      }
      case "take_along": {
        const last = x!.shape[x!.shape.length - 1]!;
        return [
          `let k = ${of(y!, idx)};`,
          `if (k < 0i || k >= ${last}i) { return ${zero(node)}; }`,
          `return ${of(x!, [...idx.slice(0, -1), "u32(k)"])};`,
        ];
      }
      case "uniform":
        this.helpers.add(ELEMENT_HELPERS.sampleUniform);
        return [
          `return rn_sample_uniform(${node.attrs.seed as number}u, ${of(x!, [])}, ${flatIndex(node.shape, idx)});`,
        ];
      case "sample":
        return this.sample(scope, node, idx);
      case "topk":
        return this.topk(scope, node, idx);
      default:
        throw new Error(`no element function for '${node.op}' (%${node.id})`);
    }
  }

  private matmul(scope: Scope, node: Node, idx: readonly string[]): string[] {
    const [a, b] = node.inputs as [Node, Node];
    const r = idx.length;
    const k = a.shape[a.shape.length - 1]!;
    const lead = idx.slice(0, r - 2);
    const aLead = broadcastIndex(a.shape.slice(0, -2), lead);
    const bLead = broadcastIndex(b.shape.slice(0, -2), lead);
    const bAt = node.attrs.transposeB ? [idx[r - 1]!, "q"] : ["q", idx[r - 1]!];
    return [
      "var acc = 0.0;",
      `for (var q = 0u; q < ${k}u; q++) {`,
      `  acc = acc + ${this.at(scope, a, [...aLead, idx[r - 2]!, "q"])} * ${this.at(scope, b, [...bLead, ...bAt])};`,
      "}",
      "return acc;",
    ];
  }

  private reduce(scope: Scope, node: Node, idx: readonly string[]): string[] {
    const x = node.inputs[0]!;
    const axis = node.attrs.axis as number;
    const n = x.shape[axis]!;
    const at = (j: string) =>
      node.attrs.keepdims
        ? idx.map((e, a) => (a === axis ? j : e))
        : [...idx.slice(0, axis), j, ...idx.slice(axis)];
    const read = (j: string) => this.at(scope, x, at(j));
    const float = x.dtype === "float";
    if (node.op === "sum" || node.op === "mean") {
      const lines = [
        `var acc = ${float ? "0.0" : "0i"};`,
        `for (var q = 0u; q < ${n}u; q++) { acc = acc + ${read("q")}; }`,
      ];
      return [...lines, node.op === "mean" ? `return acc / ${n}.0;` : "return acc;"];
    }
    this.helpers.add(ELEMENT_HELPERS.greater);
    const greater = (p: string, q: string) => (float ? `rn_greater(${p}, ${q})` : `(${p} > ${q})`);
    if (node.op === "max") {
      return [
        `var best = ${read("0u")};`,
        `for (var q = 1u; q < ${n}u; q++) {`,
        `  let v = ${read("q")};`,
        `  if (${greater("v", "best")}) { best = v; }`,
        "}",
        "return best;",
      ];
    }
    return [
      `var best = ${read("0u")};`,
      "var at = 0u;",
      `for (var q = 1u; q < ${n}u; q++) {`,
      `  let v = ${read("q")};`,
      `  if (${greater("v", "best")}) { best = v; at = q; }`,
      "}",
      "return i32(at);",
    ];
  }

  private concat(scope: Scope, node: Node, idx: readonly string[]): string[] {
    const axis = node.attrs.axis as number;
    const lines: string[] = [];
    let start = 0;
    node.inputs.forEach((part, p) => {
      const at = idx.map((e, a) => (a === axis && start > 0 ? `${e} - ${start}u` : e));
      const end = start + part.shape[axis]!;
      const value = `return ${this.at(scope, part, at)};`;
      lines.push(p === node.inputs.length - 1 ? value : `if (${idx[axis]} < ${end}u) { ${value} }`);
      start = end;
    });
    return lines;
  }

  private reshape(scope: Scope, node: Node, idx: readonly string[]): string[] {
    const x = node.inputs[0]!;
    const kept = (shape: readonly number[]) => shape.flatMap((d, a) => (d === 1 ? [] : [a]));
    const outAxes = kept(node.shape);
    const inAxes = kept(x.shape);
    if (
      outAxes.length === inAxes.length &&
      outAxes.every((a, k) => node.shape[a] === x.shape[inAxes[k]!])
    ) {
      // Only size-1 axes come or go: each remaining axis keeps its index.
      const at = x.shape.map((_, a) => {
        const k = inAxes.indexOf(a);
        return k < 0 ? "0u" : idx[outAxes[k]!]!;
      });
      return [`return ${this.at(scope, x, at)};`];
    }
    const names = x.shape.map((_, a) => `j${a}`);
    return [
      `let flat = ${flatIndex(node.shape, idx)};`,
      ...unflatten(x.shape, "flat", names),
      `return ${this.at(scope, x, names)};`,
    ];
  }

  /** One draw per row, as the naive sample kernel and the reference draw it. */
  private sample(scope: Scope, node: Node, idx: readonly string[]): string[] {
    const [logits, step] = node.inputs as [Node, Node];
    const v = logits.shape[1]!;
    const t = literal(node.attrs.temperature as number, "float");
    const l = (j: string) => `${this.at(scope, logits, [idx[0]!, j])} / ${t}`;
    this.helpers.add(ELEMENT_HELPERS.sampleUniform);
    return [
      `var mx = ${l("0u")};`,
      `for (var j = 1u; j < ${v}u; j++) { let s = ${l("j")}; if (s > mx || rn_is_nan(s)) { mx = s; } }`,
      "var sum = 0.0;",
      `for (var j = 0u; j < ${v}u; j++) { sum = sum + rn_exp(${l("j")} - mx); }`,
      "let inv = 1.0 / sum;",
      `let u = rn_sample_uniform(${node.attrs.seed as number}u, ${this.at(scope, step, [])}, ${idx[0]});`,
      "var choice = -1i;",
      "var lastNonzero = -1i;",
      "var cumulative = 0.0;",
      `for (var j = 0u; j < ${v}u; j++) {`,
      `  let p = rn_exp(${l("j")} - mx) * inv;`,
      "  if (p > 0.0) { lastNonzero = i32(j); }",
      "  cumulative = cumulative + p;",
      "  if (cumulative > u) { choice = i32(j); break; }",
      "}",
      "if (choice < 0i) { choice = max(lastNonzero, 0i); }",
      "return choice;",
    ];
  }

  /** The element of rank `i_last` among the k largest: selection repeated up to that rank. */
  private topk(scope: Scope, node: Node, idx: readonly string[]): string[] {
    const x = node.inputs[0]!;
    const n = x.shape[x.shape.length - 1]!;
    const lead = idx.slice(0, -1);
    const rank = idx[idx.length - 1]!;
    const v = (j: string) => this.at(scope, x, [...lead, j]);
    const type = wgslType(x);
    this.helpers.add(ELEMENT_HELPERS.before[type]);
    return [
      "var prev = 0u;",
      `var best = ${n}u;`,
      `for (var t = 0u; t <= ${rank}; t++) {`,
      `  best = ${n}u;`,
      `  for (var j = 0u; j < ${n}u; j++) {`,
      `    if (t > 0u && !rn_before_${type}(${v("prev")}, prev, ${v("j")}, j)) { continue; }`,
      `    if (best == ${n}u || rn_before_${type}(${v("j")}, j, ${v("best")}, best)) { best = j; }`,
      "  }",
      "  prev = best;",
      "}",
      "return i32(best);",
    ];
  }
}

function zero(node: Node): string {
  return node.dtype === "float" ? "0.0" : "0i";
}

/** The helper function computing a binary op for `node`'s operand types. */
function binary(node: Node, helpers: Set<WgslFn>): string {
  const operand = node.inputs[0]!.dtype;
  if (operand === "float") {
    helpers.add(ELEMENT_HELPERS.floatBinary);
    return `rn_f_${node.op}`;
  }
  if (node.dtype === "float") {
    helpers.add(ELEMENT_HELPERS.intCompare);
    return `rn_c_${node.op}`;
  }
  helpers.add(ELEMENT_HELPERS.intBinary);
  return `rn_i_${node.op}`;
}
