/**
 * Pass `lower`: a checked model → IR with one `scan` per recurrence ("one cell step +
 * topology"; the `unroll` pass expands scans into a static graph).
 *
 * Matches: a CheckedModel without errors, a batch size and the padded number of steps of each
 * time axis. Produces: a Graph whose inputs are the model's inputs ([B, T, ...] batch-major,
 * int token ids) plus `lengths.<axis>` (int[B]) for every time axis, whose params are the
 * model's parameters by name, and whose outputs are the model's outputs plus every encoder's
 * final states (`<binding>.final_state.l0.h`, ...). Encoder initial states named in
 * `initialStates` are inputs too (`<binding>.initial_state.l0.h`, [B, size]).
 * Mode "infer" ignores inputs marked `for training` and decodes freely; mode "train" feeds
 * decoders their teacher sequence and applies dropout, recurrent dropout and zoneout with
 * masks drawn from the input `rng.step` (randomness.ts); "infer" is deterministic.
 */
import type { Call, Expr } from "../../dsl/ast.ts";
import type { CheckedModel } from "../check/model.ts";
import type { ModelType } from "../check/model-types.ts";
import { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import type { OpName } from "../ir/ops.ts";
import { constantNumber } from "../check/args.ts";
import { activation, BINARY_OPS, named, positional } from "./call-args.ts";
import { lowerDecode, type Decoded } from "./lower-decode.ts";
import { lowerLoss } from "./lower-loss.ts";
import { TrainingRandomness } from "./randomness.ts";
import { lowerEncode, stateSlotName, type EncodedSequence } from "./lower-encode.ts";

export interface LowerOptions {
  readonly batch: number;
  /** Padded steps of each time axis, e.g. { T: 100 }. */
  readonly steps: Readonly<Record<string, number>>;
  /**
   * "infer": outputs only, decoders decode freely. "train": teacher forcing, losses, and the
   * regularisers' random masks. "evaluate": teacher forcing and losses without the noise
   * (validation loss, as PyTorch's model.eval()).
   */
  readonly mode?: "infer" | "train" | "evaluate";
  /** Seed of sampling decoders. */
  readonly seed?: number;
  /** Encoder initial states given as inputs (`enc.initial_state.l0.h`); the others start at zero. */
  readonly initialStates?: ReadonlySet<string>;
}

type Value =
  | { kind: "tensor"; node: Node }
  | { kind: "encoded"; value: EncodedSequence }
  | { kind: "decoded"; value: Decoded };

class ModelLowering {
  readonly graph: Graph;
  private readonly values = new Map<string, Value>();
  private readonly mode: "infer" | "train" | "evaluate";
  /** Masks of dropout and friends: training graphs only (evaluation is deterministic). */
  private readonly randomness: TrainingRandomness | undefined;

  constructor(
    private readonly model: CheckedModel,
    private readonly options: LowerOptions,
  ) {
    this.graph = new Graph(model.name);
    this.mode = options.mode ?? "infer";
    this.randomness =
      this.mode === "train" ? new TrainingRandomness(this.graph, options.seed ?? 0) : undefined;
  }

  private typeOf(expr: Expr): ModelType {
    const type = this.model.types.get(expr);
    if (!type) throw new Error("internal: an expression without a type reached lowering");
    return type;
  }

  private stepsOf(axis: string): number {
    const steps = this.options.steps[axis];
    if (steps === undefined)
      throw new Error(`internal: no step count given for time axis '${axis}'`);
    return steps;
  }

  private lengths(axis: string): Node {
    return this.graph.input(`lengths.${axis}`, "int", [this.options.batch]);
  }

  run(): Graph {
    const { batch } = this.options;
    for (const input of this.model.inputs) {
      if (input.training && this.mode === "infer") continue;
      const { type } = input;
      const shape = [batch, ...(type.time ? [this.stepsOf(type.time)] : []), ...type.dims];
      this.values.set(input.name, {
        kind: "tensor",
        node: this.graph.input(input.name, type.dtype, shape),
      });
      if (type.time) this.lengths(type.time);
    }
    for (const stmt of this.model.decl.body) {
      if (stmt.kind === "assign") this.values.set(stmt.targets[0]!.name, this.value(stmt.value));
      else if (stmt.kind === "output") {
        const node = this.tensor(stmt.value);
        this.values.set(stmt.name.name, { kind: "tensor", node });
        this.graph.output(stmt.name.name, node);
      }
    }
    if (this.mode !== "infer" && this.model.losses.length > 0)
      this.graph.output("loss", this.loss());
    return this.graph;
  }

  /** The sum of the model's losses (training graphs). */
  private loss(): Node {
    const terms = this.model.losses.map((loss) => {
      const type = this.typeOf(loss.prediction);
      if (type.kind !== "tensor") throw new Error("internal: a loss of a record");
      return lowerLoss(this.graph, loss, {
        prediction: this.tensor(loss.prediction),
        target: this.tensor(loss.target),
        type,
        lengths: type.time ? this.lengths(type.time) : undefined,
      });
    });
    return terms.reduce((a, b) => this.graph.node("add", [a, b]));
  }

  private tensor(expr: Expr): Node {
    const value = this.value(expr);
    if (value.kind !== "tensor") throw new Error("internal: a record where a tensor is needed");
    return value.node;
  }

  private value(expr: Expr): Value {
    const g = this.graph;
    const tensor = (node: Node): Value => ({ kind: "tensor", node });
    switch (expr.kind) {
      case "number":
        return tensor(g.constant(expr.value));
      case "name": {
        const value = this.values.get(expr.name);
        if (!value)
          throw new Error(
            `internal: '${expr.name}' has no value (a training input in infer mode?)`,
          );
        return value;
      }
      case "unary":
        return tensor(g.node("neg", [this.tensor(expr.operand)]));
      case "binary":
        return tensor(
          this.binary(BINARY_OPS[expr.op], this.tensor(expr.left), this.tensor(expr.right)),
        );
      case "field":
        return tensor(this.field(this.value(expr.object), expr.field.name));
      case "call":
        return this.call(expr);
      case "bool":
        throw new Error("internal: a bool value reached lowering");
    }
  }

  /** Per-sequence values [B, D] combine with per-step ones [B, T, D] across time. */
  private binary(op: OpName, a: Node, b: Node): Node {
    const lift = (x: Node, other: Node) =>
      x.shape.length === 2 && other.shape.length === 3
        ? this.graph.node("reshape", [x], { shape: [x.shape[0]!, 1, x.shape[1]!] })
        : x;
    return this.graph.node(op, [lift(a, b), lift(b, a)]);
  }

  private field(object: Value, name: string): Node {
    if (object.kind === "encoded") {
      if (name === "outputs") return object.value.outputs;
      if (name === "final") return object.value.final;
    }
    if (object.kind === "decoded") {
      const node = (object.value as Record<string, Node | undefined>)[name];
      if (node) return node;
    }
    throw new Error(`internal: no field '${name}'`);
  }

  private params(call: Call): readonly string[] {
    return this.model.callParams.get(call) ?? [];
  }

  private paramNode(name: string): Node {
    const entry = this.model.params.find((p) => p.name === name);
    if (!entry) throw new Error(`internal: unknown parameter '${name}'`);
    return this.graph.param(name, entry.shape);
  }

  private lastAxis(node: Node): number {
    return node.shape.length - 1;
  }

  private call(call: Call): Value {
    const g = this.graph;
    const name = call.callee.name;
    const args = positional(call);
    const tensor = (node: Node): Value => ({ kind: "tensor", node });
    const act = activation(call);
    if (act) return tensor(g.node(act.op, [this.tensor(args[0]!)], act.attrs));
    switch (name) {
      case "softmax":
      case "log_softmax": {
        const x = this.tensor(args[0]!);
        return tensor(g.node(name, [x], { axis: this.lastAxis(x) }));
      }
      case "linear": {
        const [weight, bias] = this.params(call);
        const product = g.node("matmul", [this.tensor(args[0]!), this.paramNode(weight!)], {
          transposeB: true,
        });
        return tensor(bias ? g.node("add", [product, this.paramNode(bias)]) : product);
      }
      case "embedding":
        return tensor(
          g.node("gather", [this.paramNode(this.params(call)[0]!), this.tensor(args[0]!)]),
        );
      case "dropout": {
        const x = this.tensor(args[0]!);
        const p = constantNumber(args[1] ?? named(call, "p")!) ?? 0;
        if (!this.randomness || p === 0) return tensor(x);
        return tensor(g.node("mul", [x, this.randomness.dropoutMask(x.shape, p)]));
      }
      case "layernorm": {
        const eps = named(call, "eps");
        let out = g.node("layernorm", [this.tensor(args[0]!)], {
          eps: eps ? (constantNumber(eps) ?? 1e-5) : 1e-5,
        });
        const [weight, bias] = this.params(call);
        if (weight && bias)
          out = g.node("add", [g.node("mul", [out, this.paramNode(weight)]), this.paramNode(bias)]);
        return tensor(out);
      }
      case "concat": {
        const parts = args.map((a) => this.tensor(a));
        return tensor(g.node("concat", parts, { axis: this.lastAxis(parts[0]!) }));
      }
      case "last":
        return tensor(this.last(args[0]!));
      case "encode":
        return this.encode(call, args[0]!);
      case "decode":
      case "generate":
        return this.decode(call);
      default:
        throw new Error(`internal: model function '${name}' has no lowering`);
    }
  }

  /**
   * `last(x)`: x [B, T, ...] at each sequence's last valid step, t = length - 1, as a masked
   * sum over the steps (one-hot in t), so it needs no new op and differentiates like a sum.
   */
  private last(source: Expr): Node {
    const g = this.graph;
    const x = this.tensor(source);
    const type = this.typeOf(source);
    if (type.kind !== "tensor" || !type.time) throw new Error("internal: last of a non-sequence");
    const [batch, steps] = x.shape as [number, number];
    const positions = g.node("iota", [], { axis: 1, dtype: "int", shape: [batch, steps] });
    const lastStep = g.node("sub", [
      g.node("reshape", [this.lengths(type.time)], { shape: [batch, 1] }),
      g.constant(1, "int", []),
    ]);
    const mask = g.node("reshape", [g.node("equal", [lastStep, positions])], {
      shape: [batch, steps, ...x.shape.slice(2).map(() => 1)],
    });
    return g.node("sum", [g.node("mul", [x, mask])], { axis: 1 });
  }

  private encode(call: Call, source: Expr): Value {
    const info = this.model.encoders.get(call);
    const type = this.typeOf(source);
    if (!info || type.kind !== "tensor" || !type.time)
      throw new Error("internal: encode without its checked structure");
    const given = this.options.initialStates ?? new Set<string>();
    const initial = (prefix: string, state: string, size: number) => {
      const name = stateSlotName(prefix, "initial", state);
      return given.has(name)
        ? this.graph.input(name, "float", [this.options.batch, size])
        : undefined;
    };
    const encoded = lowerEncode(
      this.graph,
      info,
      this.tensor(source),
      this.lengths(type.time),
      initial,
      this.randomness,
    );
    for (const [name, node] of encoded.allFinalStates) this.graph.output(name, node);
    return { kind: "encoded", value: encoded };
  }

  private decode(call: Call): Value {
    const info = this.model.decoders.get(call);
    if (!info) throw new Error("internal: decode without its checked structure");
    const from = named(call, "from");
    const encoded = from ? this.value(from) : undefined;
    const init = named(call, "init");
    const teacher = named(call, "teacher");
    const decoded = lowerDecode(this.graph, info, {
      encoded: encoded?.kind === "encoded" ? encoded.value : undefined,
      init: init ? this.tensor(init) : undefined,
      teacher: teacher && this.mode !== "infer" ? this.tensor(teacher) : undefined,
      batch: this.options.batch,
      seed: this.options.seed ?? 0,
      randomness: this.randomness,
    });
    return { kind: "decoded", value: decoded };
  }
}

/** Lowers a checked model for a batch size and padded step counts. */
export function lowerModel(model: CheckedModel, options: LowerOptions): Graph {
  if (!model.ok) throw new Error(`internal: model '${model.name}' has errors; check it first`);
  return new ModelLowering(model, options).run();
}
