/**
 * Copying a graph into a new one, scans and step graphs included, with a hook that may
 * replace any node. The optimisation passes are such copies: the hook sees each node and
 * returns a replacement, or nothing to copy it as is, or null to leave it out. Inside a step
 * graph the hook can reach the scan being rebuilt (`scope.step`), to add constants or
 * per-step slices computed outside the recurrence. Slices and constants of a step graph are
 * added on first use, so ones no longer read disappear.
 */
import { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { StepBuilder } from "./scan-builder.ts";

export interface FormalSource {
  readonly kind: "slice" | "state" | "const";
  /** The original outer value: the sequence, the initial state, or the constant. */
  readonly value: Node;
}

export interface CopyScope {
  /** The graph being built at this level. */
  readonly graph: Graph;
  /** The scan being rebuilt, inside a step graph. */
  readonly step: StepBuilder | undefined;
  /** Inside a step graph: where each original formal comes from. */
  readonly sources: ReadonlyMap<Node, FormalSource>;
  /** Original node → its copy, at this level. */
  readonly map: ReadonlyMap<Node, Node>;
  /** The level around a step graph. */
  readonly outer: CopyScope | undefined;
  /** The original nodes of this level, in order. */
  readonly original: readonly Node[];
  /** Inside a step graph: its original next states and per-step outputs. */
  readonly results: readonly Node[];
}

/**
 * Replaces `node`, or returns undefined to copy it, or null to leave it out (no copied node
 * may then read it); `input(i)` is the copy of its input i, made on demand.
 */
export type CopyHook = (
  node: Node,
  input: (i: number) => Node,
  scope: CopyScope,
) => Node | null | undefined;

type MutableScope = CopyScope & { readonly map: Map<Node, Node> };

/** What `map` holds for a node the hook left out. */
const LEFT_OUT = Object.freeze({
  id: -1,
  op: "const",
  dtype: "float",
  shape: [],
  inputs: [],
  attrs: {},
}) as Node;

function resolve(node: Node, scope: MutableScope): Node {
  const copied = scope.map.get(node);
  if (copied === LEFT_OUT) throw new Error(`internal: %${node.id} was left out but is read`);
  if (copied) return copied;
  const source = scope.sources.get(node);
  if (!source || source.kind === "state" || !scope.step || !scope.outer) {
    throw new Error(`internal: %${node.id} is read before it is copied`);
  }
  const outer = scope.outer.map.get(source.value)!;
  const name = node.attrs.name as string;
  const formal =
    source.kind === "slice" ? scope.step.slice(name, outer) : scope.step.constant(name, outer);
  scope.map.set(node, formal);
  return formal;
}

function copyPlain(node: Node, inputs: readonly Node[], graph: Graph): Node {
  if (node.op === "input") return graph.input(node.attrs.name as string, node.dtype, node.shape);
  if (node.op === "param") return graph.param(node.attrs.name as string, node.shape);
  return graph.node(node.op, inputs, node.attrs);
}

export interface CopyOptions {
  /**
   * Every scan also returns, after its own results, the states entering each step, stacked
   * like per-step outputs ([B, steps, ...] per state): the trajectories that
   * differentiation through the scan reads.
   */
  readonly trajectories?: boolean;
}

function copyNodes(scope: MutableScope, hook: CopyHook, options: CopyOptions = {}): void {
  const results = new Map<Node, readonly Node[]>();
  for (const node of scope.original) {
    if (scope.map.has(node) || scope.sources.has(node)) continue;
    if (node.op === "scan_output") {
      scope.map.set(node, results.get(node.inputs[0]!)![node.attrs.index as number]!);
      continue;
    }
    const input = (i: number) => resolve(node.inputs[i]!, scope);
    if (node.op === "scan") {
      results.set(
        node,
        copyScan(
          node,
          node.inputs.map((_, i) => input(i)),
          scope,
          hook,
          options,
        ),
      );
      continue;
    }
    const replaced = hook(node, input, scope);
    if (replaced === null) scope.map.set(node, LEFT_OUT);
    else
      scope.map.set(
        node,
        replaced ??
          copyPlain(
            node,
            node.inputs.map((_, i) => input(i)),
            scope.graph,
          ),
      );
  }
}

function copyScan(
  scan: Node,
  inputs: readonly Node[],
  scope: CopyScope,
  hook: CopyHook,
  options: CopyOptions,
): Node[] {
  const body = scan.body!;
  const count = (key: string) => scan.attrs[key] as number;
  const [nSlices, nStates] = [count("slices"), count("states")];
  const step = new StepBuilder(scope.graph, (body.graph as Graph).label);
  const map = new Map<Node, Node>();
  const sources = new Map<Node, FormalSource>();
  const name = (formal: Node) => formal.attrs.name as string;
  body.slices.forEach((f, i) => sources.set(f, { kind: "slice", value: scan.inputs[i]! }));
  body.states.forEach((f, i) => {
    map.set(f, step.state(name(f), inputs[nSlices + i]!));
    sources.set(f, { kind: "state", value: scan.inputs[nSlices + i]! });
  });
  body.consts.forEach((f, i) =>
    sources.set(f, { kind: "const", value: scan.inputs[nSlices + nStates + i]! }),
  );
  map.set(body.step, step.step);
  const inner: MutableScope = {
    graph: step.body,
    step,
    sources,
    map,
    outer: scope,
    original: (body.graph as Graph).nodes,
    results: [...body.nextStates, ...body.outputs],
  };
  copyNodes(inner, hook, options);
  const trajectories = options.trajectories ? body.states.map((n) => resolve(n, inner)) : [];
  const built = step.build(
    body.nextStates.map((n) => resolve(n, inner)),
    [...body.outputs.map((n) => resolve(n, inner)), ...trajectories],
    count("steps"),
    Boolean(scan.attrs.reverse),
  );
  return [...built.finalStates, ...built.outputs];
}

/** A copy of `graph` in which `hook` may replace nodes. */
export function copyGraph(graph: Graph, hook: CopyHook, options: CopyOptions = {}): Graph {
  const target = new Graph(graph.label);
  const scope: MutableScope = {
    graph: target,
    step: undefined,
    sources: new Map(),
    map: new Map(),
    outer: undefined,
    original: graph.nodes,
    results: [],
  };
  copyNodes(scope, hook, options);
  for (const [name, node] of graph.outputs) target.output(name, resolve(node, scope));
  return target;
}

/** The original outer value behind an original node of a step graph, when it is a constant formal. */
export function constantSource(node: Node, scope: CopyScope): Node | undefined {
  const source = scope.sources.get(node);
  return source?.kind === "const" ? source.value : undefined;
}
