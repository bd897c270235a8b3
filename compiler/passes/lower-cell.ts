/**
 * Pass `lower-cell`: one step of a cell, as IR.
 *
 * Matches: a checked cell bound to sizes (a CellInstance) and the nodes of one step — the
 * input `x` [B, I], the states [B, n], and a way to name parameters.
 * Produces: the next states [B, n] and the step's output, built from the cell's equations in
 * source order. Nothing here knows any cell by name: lstm and a researcher's variant go
 * through the same code. Vectors are [B, n], per-example scalars [B, 1], constants [].
 * Before: the cell checked without errors. After: a well-formed graph (verify.ts).
 */
import type { Call, Expr } from "../../dsl/ast.ts";
import type { CellInstance } from "../check/cell-instance.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import type { OpName } from "../ir/ops.ts";
import { activation, BINARY_OPS, namedBool, namedNumber, positional } from "./call-args.ts";

export interface CellStepInputs {
  readonly x: Node;
  /** Current states in the cell's declaration order. */
  readonly states: readonly Node[];
  /** The node of the cell parameter with this (cell-local) name, e.g. `i.x.weight`. */
  readonly param: (name: string) => Node;
}

export interface CellStep {
  readonly nextStates: readonly Node[];
  readonly output: Node;
}

class CellLowering {
  private readonly values = new Map<string, Node>();
  private readonly next = new Map<string, Node>();

  constructor(
    private readonly graph: Graph,
    private readonly instance: CellInstance,
    private readonly inputs: CellStepInputs,
  ) {
    const cell = instance.cell;
    if (cell.input) this.values.set(cell.input.name, inputs.x);
    cell.states.forEach((s, i) => this.values.set(s.name, inputs.states[i]!));
    for (const p of cell.params)
      if (p.role === "param") this.values.set(p.name, inputs.param(p.name));
  }

  /** A header scalar (`limit`) or size (`H`) used as a value, as a constant. */
  private headerConstant(name: string): Node | undefined {
    const scalar = this.instance.scalars.get(name);
    if (scalar !== undefined) return this.graph.constant(scalar);
    const size = this.instance.cell.sizes.find((s) => s.symbol === name);
    return size ? this.graph.constant(this.instance.sizes.get(size.symbol)!) : undefined;
  }

  run(): CellStep {
    const cell = this.instance.cell;
    let output: Node | undefined;
    for (const stmt of cell.decl.body) {
      if (stmt.kind === "assign") {
        const parts =
          stmt.targets.length > 1
            ? this.split(stmt.value, stmt.targets.length)
            : [this.expr(stmt.value)];
        stmt.targets.forEach((target, i) =>
          (target.primed ? this.next : this.values).set(target.name, parts[i]!),
        );
      } else if (stmt.kind === "output") {
        output = this.expr(stmt.value);
      }
    }
    const nextStates = cell.states.map((s) => this.next.get(s.name)!);
    return { nextStates, output: output ?? nextStates[0]! };
  }

  /**
   * A per-example view [B, n] of a value: parameters are [n] (shared by all examples) and
   * broadcast in elementwise ops, but ops over the feature axis need the batch axis.
   */
  private rows(node: Node): Node {
    if (node.shape.length !== 1) return node;
    const batch = this.inputs.x.shape[0]!;
    return this.g.node("add", [this.g.constant(0, "float", [batch, node.shape[0]!]), node]);
  }

  private vector(expr: Expr): Node {
    return this.rows(this.expr(expr));
  }

  private get g(): Graph {
    return this.graph;
  }

  private op(op: OpName, inputs: readonly Node[], attrs = {}): Node {
    return this.g.node(op, inputs, attrs);
  }

  /** `split(v, n)` as n slices along the feature axis. */
  private split(expr: Expr, parts: number): Node[] {
    if (expr.kind !== "call") throw new Error("internal: a tuple binding needs split(...)");
    const whole = this.vector(positional(expr)[0]!);
    const size = whole.shape[1]! / parts;
    return Array.from({ length: parts }, (_, i) =>
      this.op("slice", [whole], { axis: 1, start: i * size, end: (i + 1) * size }),
    );
  }

  private expr(expr: Expr): Node {
    switch (expr.kind) {
      case "number":
        return this.g.constant(expr.value);
      case "bool":
        throw new Error("internal: a bool value reached lowering");
      case "name": {
        const node = expr.primed
          ? this.next.get(expr.name)
          : (this.values.get(expr.name) ?? this.headerConstant(expr.name));
        if (!node)
          throw new Error(`internal: '${expr.name}${expr.primed ? "'" : ""}' has no value`);
        return node;
      }
      case "unary":
        return this.op("neg", [this.expr(expr.operand)]);
      case "binary":
        return this.op(BINARY_OPS[expr.op], [this.expr(expr.left), this.expr(expr.right)]);
      case "field":
        throw new Error("internal: a field reached cell lowering");
      case "call":
        return this.call(expr);
    }
  }

  private call(call: Call): Node {
    const name = call.callee.name;
    const args = positional(call);
    const act = activation(call);
    if (act) return this.op(act.op, [this.expr(args[0]!)], act.attrs);
    switch (name) {
      case "linear":
        return this.linear(call, args);
      case "layernorm":
        return this.layernorm(call, args[0]!);
      case "concat":
        return this.op(
          "concat",
          args.map((a) => this.vector(a)),
          { axis: 1 },
        );
      case "clip":
        return this.op("minimum", [
          this.op("maximum", [this.expr(args[0]!), this.expr(args[1]!)]),
          this.expr(args[2]!),
        ]);
      case "min":
        return this.op("minimum", [this.expr(args[0]!), this.expr(args[1]!)]);
      case "max":
        return this.op("maximum", [this.expr(args[0]!), this.expr(args[1]!)]);
      case "sum":
      case "mean":
        return this.op(name, [this.vector(args[0]!)], { axis: 1, keepdims: true });
      case "softmax":
        return this.op("softmax", [this.vector(args[0]!)], { axis: 1 });
      default:
        throw new Error(`internal: cell function '${name}' has no lowering`);
    }
  }

  private paramsOf(call: Call): readonly string[] {
    return this.instance.cell.callParams.get(call) ?? [];
  }

  /** linear(a, b, ...) = a W_a^T + b W_b^T + ... + bias, in operand order. */
  private linear(call: Call, operands: Expr[]): Node {
    const names = this.paramsOf(call);
    const weights = names.filter((n) => n.endsWith(".weight"));
    const bias = names.find((n) => n.endsWith(".bias"));
    let sum: Node | undefined;
    operands.forEach((operand, i) => {
      const product = this.op("matmul", [this.vector(operand), this.inputs.param(weights[i]!)], {
        transposeB: true,
      });
      sum = sum ? this.op("add", [sum, product]) : product;
      // A single-operand linear adds its bias right after its product, as nn.Linear does.
      if (bias && operands.length === 1) sum = this.op("add", [sum, this.inputs.param(bias)]);
    });
    if (bias && operands.length > 1) sum = this.op("add", [sum!, this.inputs.param(bias)]);
    return sum!;
  }

  private layernorm(call: Call, operand: Expr): Node {
    const eps = namedNumber(call, "eps", 1e-5);
    let out = this.op("layernorm", [this.vector(operand)], { eps });
    if (namedBool(call, "affine", true)) {
      const [weight, bias] = this.paramsOf(call);
      out = this.op("add", [
        this.op("mul", [out, this.inputs.param(weight!)]),
        this.inputs.param(bias!),
      ]);
    }
    return out;
  }
}

/** Builds one step of `instance` in `graph`. */
export function lowerCellStep(
  graph: Graph,
  instance: CellInstance,
  inputs: CellStepInputs,
): CellStep {
  return new CellLowering(graph, instance, inputs).run();
}
