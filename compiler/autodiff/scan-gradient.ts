/**
 * Backpropagation through a scan, in scan form: the backward pass of a recurrence is another
 * recurrence, run in the opposite direction, so the backward graph keeps the shape the
 * fused kernels compile (one persistent kernel per recurrence, forward and backward).
 *
 * The forward scan returns its state trajectory (copy.ts `trajectories`: the states entering
 * each step). The backward scan's step recomputes that step's forward values from the
 * trajectory (rematerialisation: nothing else is stored), then applies the gradient rules of
 * the step graph seeded with the carried state cotangents and the step's output
 * cotangents. It carries the state cotangents backwards and sums the cotangents of the
 * constants (weights, attention memory) over the steps; per-step input cotangents are its
 * stacked outputs. Its final states are the cotangents of the initial states and constants.
 */
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { StepBuilder } from "../passes/scan-builder.ts";
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
  const sums = body.consts.map((f, k) =>
    floatConsts[k]
      ? step.state(`sum.cotangent.${name(f)}`, graph.constant(0, "float", f.shape))
      : undefined,
  );

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
  const nextSums = body.consts.flatMap((f, k) => {
    if (!floatConsts[k]) return [];
    const c = of(f);
    return [c ? g.node("add", [sums[k]!, c]) : sums[k]!];
  });
  const floatSlices = body.slices.filter((f) => f.dtype === "float");
  const built = step.build(
    [...previousStates, ...nextSums],
    floatSlices.map((f) => of(f) ?? zero(f)),
    steps,
    !scan.attrs.reverse,
  );

  const out: (Node | undefined)[] = [];
  let slice = 0;
  body.slices.forEach((f) => out.push(f.dtype === "float" ? built.outputs[slice++] : undefined));
  let state = 0;
  body.states.forEach((_, k) => out.push(floatStates[k] ? built.finalStates[state++] : undefined));
  body.consts.forEach((_, k) => out.push(floatConsts[k] ? built.finalStates[state++] : undefined));
  return out;
}
