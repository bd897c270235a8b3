/**
 * Pass `hoist-input-projections`: work of a step that reads only the step's inputs runs for
 * all steps at once, before the recurrence.
 *
 * Matches: in a step graph, nodes computed only from per-step slices (x_t), parameters and
 * scalar constants, by ops that apply unchanged to a time axis: matmuls against a parameter,
 * embedding lookups, elementwise ops, layernorm, softmax, concat and slice off the batch axis.
 * Produces: the same computation on the whole sequence in the outer graph ([B, T, ...]: one
 * large GEMM for `x W^T + b`), read by the step as a new per-step slice. With gate fusion
 * before it, an LSTM's input projection becomes a single [B·T × I] × [I × 4H] product.
 * Before/after: every element is computed by the same operations in the same order, so
 * results are bit for bit unchanged.
 */
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { UNARY_ELEMENTWISE_OPS, type OpName } from "../ir/ops.ts";
import { copyGraph, type CopyScope } from "./copy.ts";

const ELEMENTWISE = new Set<OpName>([
  ...UNARY_ELEMENTWISE_OPS,
  "cast",
  "add",
  "sub",
  "mul",
  "div",
  "minimum",
  "maximum",
]);
const AXIS_OPS = new Set<OpName>(["softmax", "log_softmax", "concat", "slice"]);

/** Outer nodes computed from parameters and constants only (no inputs): the same every step and every example. */
function invariantNodes(nodes: readonly Node[]): Set<Node> {
  const out = new Set<Node>();
  for (const n of nodes) {
    if (n.op === "param" || (n.op === "const" && n.shape.length === 0)) out.add(n);
    else if (
      n.op !== "input" &&
      n.op !== "scan" &&
      n.op !== "scan_output" &&
      n.inputs.length > 0 &&
      n.inputs.every((i) => out.has(i))
    )
      out.add(n);
  }
  return out;
}

interface Plan {
  /** Original step nodes computed from slices (time-varying, liftable). */
  readonly lifted: Set<Node>;
  /** Original step nodes that do not change between steps and examples (parameters, scalars). */
  readonly invariant: Set<Node>;
  /** Lifted nodes whose value the step still reads: they become new slices. */
  readonly frontier: Set<Node>;
}

function liftable(node: Node, plan: Plan): boolean {
  const lifted = node.inputs.map((i) => plan.lifted.has(i));
  const fixed = node.inputs.every((i, k) => lifted[k] || plan.invariant.has(i));
  if (!fixed || !lifted.some(Boolean)) return false;
  if (ELEMENTWISE.has(node.op) || node.op === "layernorm") return true;
  if (node.op === "matmul") return lifted[0]! && !lifted[1] && node.inputs[0]!.shape.length === 2;
  if (node.op === "gather") return !lifted[0] && lifted[1]!;
  if (AXIS_OPS.has(node.op)) return (node.attrs.axis as number) >= 1 && lifted.every(Boolean);
  return false;
}

function planStep(scope: CopyScope, outerInvariant: Set<Node>): Plan {
  const lifted = new Set<Node>();
  const invariant = new Set<Node>();
  for (const node of scope.original) {
    const source = scope.sources.get(node);
    if (source?.kind === "slice") lifted.add(node);
    else if (source?.kind === "const" && outerInvariant.has(source.value)) invariant.add(node);
    else if (node.op === "const" && node.shape.length === 0) invariant.add(node);
    else if (!source && liftable(node, { lifted, invariant, frontier: new Set() }))
      lifted.add(node);
  }
  const frontier = new Set<Node>();
  const read = (i: Node) => {
    if (lifted.has(i) && !scope.sources.has(i)) frontier.add(i);
  };
  for (const node of scope.original) if (!lifted.has(node)) node.inputs.forEach(read);
  scope.results.forEach(read);
  return { lifted, invariant, frontier };
}

export function hoistInputProjections(graph: Graph): Graph {
  const outerInvariant = invariantNodes(graph.nodes);
  const plans = new Map<readonly Node[], Plan>();
  /** Original step node → its value over all steps, in the outer graph. */
  const whole = new Map<Node, Node>();
  let counter = 0;

  return copyGraph(graph, (node, _input, scope) => {
    if (!scope.step || !scope.outer) return undefined;
    let plan = plans.get(scope.original);
    if (!plan) {
      plan = planStep(scope, outerInvariant);
      plans.set(scope.original, plan);
    }
    if (!plan.lifted.has(node) || scope.sources.has(node)) return undefined;
    const outer = scope.outer;
    const over = (i: Node): Node => {
      const source = scope.sources.get(i);
      if (source) return outer.map.get(source.value)!;
      if (plan!.lifted.has(i)) return whole.get(i)!;
      return outer.graph.constant(i.attrs.value as number, i.dtype, []);
    };
    const attrs = AXIS_OPS.has(node.op)
      ? { ...node.attrs, axis: (node.attrs.axis as number) + 1 }
      : node.attrs;
    const value = outer.graph.node(node.op, node.inputs.map(over), attrs);
    whole.set(node, value);
    if (!plan.frontier.has(node)) return null;
    counter += 1;
    return scope.step.slice(`hoisted${counter}`, value);
  });
}
