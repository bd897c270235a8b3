/**
 * Backpropagation through a scan, in scan form: the backward pass of a recurrence is another
 * recurrence, run in the opposite direction, so the backward graph keeps the shape the
 * fused kernels compile (one persistent kernel per recurrence, forward and backward).
 *
 * The forward scan returns its state trajectory (copy.ts `trajectories`: the states entering
 * each step). The backward scan's step recomputes that step's forward values from the
 * trajectory (rematerialisation: nothing else is stored), then applies the gradient rules of
 * the step graph seeded with the carried state cotangents and the step's output
 * cotangents. It carries the state cotangents backwards; per-step input cotangents are its
 * stacked outputs. A constant's cotangent that sums over the batch rows (a weight's Xᵀ·Y, a
 * bias's row sum) is hoisted: X and Y leave the step as per-step outputs and one large
 * matmul (or sum) over all rows and steps follows the scan — so the step keeps only per-row
 * work and the fused kernels run it like a forward step. Any other part of a constant's
 * cotangent (rare) is summed in a carried state.
 */
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { StepBuilder } from "../passes/scan-builder.ts";
import { sameShape } from "../../runtime/reference/tensor.ts";
import { backprop } from "./reverse.ts";

/** Cotangents of `scan`'s inputs given those of its results (undefined: zero or none). */
export function scanGradient(
  graph: Graph,
  scan: Node,
  results: readonly (Node | undefined)[],
): (Node | undefined)[] {
  const body = scan.body!;
  const count = (key: string) => scan.attrs[key] as number;
  const [nSlices, nStates, steps] = [count("slices"), count("states"), count("steps")];
  const nOutputs = body.outputs.length - nStates;
  if (nOutputs < 0) throw new Error("internal: the scan has no state trajectories");
  const outerResults = graph.scanOutputs(scan);
  const trajectories = outerResults.slice(nStates + nOutputs);
  const sequences = scan.inputs.slice(0, nSlices);
  const consts = scan.inputs.slice(nSlices + nStates);
  const name = (n: Node) => n.attrs.name as string;

  const step = new StepBuilder(graph, `${String(body.graph.id)} backward`);
  const bind = new Map<Node, Node>();
  body.slices.forEach((f, k) => bind.set(f, step.slice(name(f), sequences[k]!)));
  body.states.forEach((f, k) => bind.set(f, step.slice(`trajectory.${name(f)}`, trajectories[k]!)));
  body.consts.forEach((f, k) => bind.set(f, step.constant(name(f), consts[k]!)));
  bind.set(body.step, step.step);
  const outputSeeds = body.outputs.slice(0, nOutputs).map((_, k) => {
    const g = results[nStates + k];
    return g ? step.slice(`cotangent.${k}`, g) : undefined;
  });
  const floatStates = body.states.map((f) => f.dtype === "float");
  const stateSeeds = body.states.map((f, k) =>
    floatStates[k]
      ? step.state(`cotangent.${name(f)}`, results[k] ?? graph.constant(0, "float", f.shape))
      : undefined,
  );
  const floatConsts = body.consts.map((f) => f.dtype === "float");
  // The step recomputed from its inputs, then differentiated.
  const g = step.body;
  for (const node of (body.graph as Graph).nodes) {
    if (bind.has(node)) continue;
    bind.set(
      node,
      g.node(
        node.op,
        node.inputs.map((x) => bind.get(x)!),
        node.attrs,
      ),
    );
  }
  const seeds = new Map<Node, Node>();
  const seed = (node: Node, cotangent: Node) => {
    const at = bind.get(node)!;
    const existing = seeds.get(at);
    seeds.set(at, existing ? g.node("add", [existing, cotangent]) : cotangent);
  };
  body.nextStates.forEach((n, k) => stateSeeds[k] && seed(n, stateSeeds[k]));
  body.outputs.slice(0, nOutputs).forEach((n, k) => outputSeeds[k] && seed(n, outputSeeds[k]));
  const grads = backprop(g, seeds);
  const zero = (f: Node) => g.constant(0, "float", f.shape);
  const of = (formal: Node) => grads.get(bind.get(formal)!);

  const previousStates = body.states.flatMap((f, k) => (floatStates[k] ? [of(f) ?? zero(f)] : []));
  // A constant's cotangent: the terms that sum over the batch rows leave the step as per-step
  // values and are summed over rows and steps at once afterwards (hoisted); the rest is summed
  // in a carried state.
  const batch = (body.states[0] ?? body.slices[0])?.shape[0] ?? 0;
  const batched = batchedNodes(g, [...step.slices, ...step.states], batch);
  const hoisted = body.consts.map((f, k) =>
    floatConsts[k] ? splitTerms(g, of(f), f.shape, batched) : undefined,
  );
  // Carried sums only for what is not hoisted (a state that is not per row keeps the step
  // out of the fused kernels).
  const sums = body.consts.map((f, k) =>
    hoisted[k]?.rest
      ? step.state(`sum.cotangent.${name(f)}`, graph.constant(0, "float", f.shape))
      : undefined,
  );
  const nextSums = body.consts.flatMap((_, k) =>
    sums[k] ? [g.node("add", [sums[k], hoisted[k]!.rest!])] : [],
  );
  const perStep = hoisted.flatMap((h) => h?.terms.flatMap((t) => t.values) ?? []);
  const floatSlices = body.slices.filter((f) => f.dtype === "float");
  const built = step.build(
    [...previousStates, ...nextSums],
    [...floatSlices.map((f) => of(f) ?? zero(f)), ...perStep],
    steps,
    !scan.attrs.reverse,
  );
  const stacked = built.outputs.slice(floatSlices.length);
  let carried = previousStates.length;
  const constTotals = hoisted.map((h, k) => {
    if (!h) return undefined;
    const parts = h.terms.map((term) => {
      const values = term.values.map(() => stacked.shift()!);
      return sumOverRowsAndSteps(graph, term.kind, values, body.consts[k]!.shape);
    });
    if (sums[k]) parts.push(built.finalStates[carried++]!);
    return parts.length === 0
      ? undefined
      : parts.reduce((total, part) => graph.node("add", [total, part]));
  });
  const out: (Node | undefined)[] = [];
  let slice = 0;
  body.slices.forEach((f) => out.push(f.dtype === "float" ? built.outputs[slice++] : undefined));
  let state = 0;
  body.states.forEach((_, k) => out.push(floatStates[k] ? built.finalStates[state++] : undefined));
  constTotals.forEach((total) => out.push(total));
  return out;
}

/** A cotangent term summed over the batch: Xᵀ·Y (a weight's), or Σ rows of X (a bias's). */
interface Term {
  readonly kind: "contract" | "sum";
  readonly values: readonly Node[];
}

/** Nodes of `g` that depend on a per-row formal (leading axis `batch`). */
function batchedNodes(g: Graph, formals: readonly Node[], batch: number): Set<Node> {
  const out = new Set(formals.filter((f) => f.shape[0] === batch));
  for (const n of g.nodes) if (n.inputs.some((x) => out.has(x))) out.add(n);
  return out;
}

/** Splits a constant's cotangent into hoistable terms and the rest (undefined: none). */
function splitTerms(
  g: Graph,
  cotangent: Node | undefined,
  shape: readonly number[],
  batched: ReadonlySet<Node>,
): { terms: Term[]; rest: Node | undefined } {
  const terms: Term[] = [];
  let rest: Node | undefined;
  const rowsOf = (n: Node) => batched.has(n) && n.shape.length === 2;
  const visit = (n: Node) => {
    if (n.op === "add" && n.inputs.every((x) => sameShape(x.shape, n.shape))) {
      n.inputs.forEach(visit);
      return;
    }
    const inner = n.op === "reshape" ? n.inputs[0]! : n;
    const [a, b] = inner.inputs;
    if (
      inner.op === "matmul" &&
      !inner.attrs.transposeB &&
      a!.op === "transpose" &&
      rowsOf(a!.inputs[0]!) &&
      rowsOf(b!) &&
      sameShape(inner.shape, shape)
    ) {
      terms.push({ kind: "contract", values: [a!.inputs[0]!, b!] });
      return;
    }
    if (inner.op === "sum" && inner.attrs.axis === 0 && inner.attrs.keepdims && batched.has(a!)) {
      terms.push({ kind: "sum", values: [a!] });
      return;
    }
    rest = rest ? g.node("add", [rest, n]) : n;
  };
  if (cotangent) visit(cotangent);
  return { terms, rest };
}

/** A hoisted term over every row and step: its per-step values are stacked [B, T, ...]. */
function sumOverRowsAndSteps(
  graph: Graph,
  kind: Term["kind"],
  stacked: readonly Node[],
  shape: readonly number[],
): Node {
  const rows = (x: Node) =>
    graph.node("reshape", [x], { shape: [x.shape[0]! * x.shape[1]!, ...x.shape.slice(2)] });
  if (kind === "contract") {
    const [x, y] = stacked.map(rows) as [Node, Node];
    return graph.node("matmul", [graph.node("transpose", [x]), y]);
  }
  const total = graph.node("sum", [rows(stacked[0]!)], { axis: 0, keepdims: true });
  return graph.node("reshape", [total], { shape: [...shape] });
}
