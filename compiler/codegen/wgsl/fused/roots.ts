/**
 * Which values outside recurrences the fused schedule stores, and the kernels that compute
 * them, in order.
 *
 * Stored: inputs and parameters (bound), scan results that something reads, outputs, values
 * only parameters determine that other work reads (computed by "params" kernels), matmuls and
 * reductions unless one stored elementwise consumer reads them (then they fuse into it), and
 * elementwise values read so often that recomputing them would cost more than storing them.
 * Reshapes and same-type casts of a stored value are aliases of it. Everything else is
 * computed inside the kernels that read it.
 *
 * Kernels are ordered by depth (the longest chain of kernels before them); scans of the
 * same depth and length are independent and share one dispatch.
 */
import type { Graph } from "../../../ir/graph.ts";
import type { Node } from "../../../ir/node.ts";
import { paramDerivedNodes } from "../../../ir/reach.ts";
import type { ScanMember } from "./scan-kernel.ts";
import { analyseStep, type StepAnalysis } from "./step-analysis.ts";

const LOOP_OPS = new Set(["matmul", "sum", "mean", "max", "argmax", "topk", "sample"]);
/** Cheap to recompute from parameters wherever read (a transpose is stored: see weight-layout.ts). */
const INDEX_OPS = new Set(["reshape", "slice", "cast"]);

export interface Roots {
  /** Values computed by root kernels. */
  readonly roots: ReadonlySet<Node>;
  /** Roots that only parameters determine. */
  readonly paramRoots: ReadonlySet<Node>;
  readonly aliases: ReadonlyMap<Node, Node>;
  readonly analyses: ReadonlyMap<Node, StepAnalysis>;
  /** Every stored value: inputs, params, roots, read scan results, aliases. */
  readonly stored: ReadonlySet<Node>;
}

export type Kernel =
  | (KernelBase & { readonly kind: "root"; readonly node: Node })
  | (KernelBase & { readonly kind: "scans"; readonly members: readonly ScanMember[] });

interface KernelBase {
  readonly label: string;
  /** Stored values it reads and writes. */
  readonly reads: readonly Node[];
  readonly writes: readonly Node[];
  readonly params: boolean;
}

/** The stored values, or why some scan cannot be fused. */
export function chooseRoots(graph: Graph): Roots | string {
  const nodes = graph.nodes;
  const uses = new Map<Node, Node[]>();
  for (const n of nodes) {
    for (const x of n.inputs) {
      const list = uses.get(x);
      if (list) list.push(n);
      else uses.set(x, [n]);
    }
  }
  const isOutput = new Set(graph.outputs.values());
  const useCount = (n: Node) => (uses.get(n)?.length ?? 0) + (isOutput.has(n) ? 1 : 0);

  const paramDerived = paramDerivedNodes(nodes);

  const stored = new Set<Node>();
  const roots = new Set<Node>();
  const paramRoots = new Set<Node>();
  const aliases = new Map<Node, Node>();
  const analyses = new Map<Node, StepAnalysis>();
  const root = (n: Node) => {
    roots.add(n);
    stored.add(n);
    if (paramDerived.has(n)) paramRoots.add(n);
  };
  for (const n of nodes) {
    if (n.op === "input" || n.op === "param") stored.add(n);
    else if (n.op === "scan") {
      const a = analyseStep(n, (x) => !paramDerived.has(x));
      if (typeof a === "string") return `%${n.id} scan: ${a}`;
      analyses.set(n, a);
    } else if (n.op === "scan_output") {
      if (useCount(n) > 0) stored.add(n);
    } else if (
      (n.op === "reshape" || (n.op === "cast" && n.dtype === n.inputs[0]!.dtype)) &&
      stored.has(n.inputs[0]!)
    ) {
      aliases.set(n, aliases.get(n.inputs[0]!) ?? n.inputs[0]!);
      stored.add(n);
    } else if (isOutput.has(n)) root(n);
    else if (
      paramDerived.has(n) &&
      n.op !== "const" &&
      n.op !== "iota" &&
      !INDEX_OPS.has(n.op) &&
      (uses.get(n) ?? []).some((c) => !paramDerived.has(c))
    ) {
      root(n);
    }
  }
  // Loop ops fuse into their one consumer when that consumer is itself a root kernel.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (stored.has(n) || !LOOP_OPS.has(n.op)) continue;
    const consumers = uses.get(n) ?? [];
    const fuses = consumers.length === 1 && roots.has(consumers[0]!);
    if (!fuses) root(n);
  }
  // Elementwise values read many times: store when recomputing costs more than a kernel.
  const cost = new Map<Node, number>();
  for (const n of nodes) {
    if (stored.has(n) || n.op === "scan") continue;
    const own = 1 + n.inputs.reduce((s, x) => s + (stored.has(x) ? 0 : (cost.get(x) ?? 0)), 0);
    if (useCount(n) >= 2 && own * useCount(n) > 256) root(n);
    else cost.set(n, Math.min(own, 1e6));
  }
  return { roots, paramRoots, aliases, analyses, stored };
}

/** The kernels computing the roots and running the scans, in dispatch order. */
export function scheduleKernels(graph: Graph, r: Roots): Kernel[] {
  const readsOf = (from: readonly Node[]): Node[] => {
    const found = new Set<Node>();
    const seen = new Set<Node>();
    const walk = (x: Node) => {
      if (seen.has(x)) return;
      seen.add(x);
      if (r.stored.has(x)) found.add(x);
      else x.inputs.forEach(walk);
    };
    from.forEach(walk);
    return [...found];
  };
  const depth = new Map<Node, number>();
  const depthOf = (x: Node): number => {
    const d = depth.get(x);
    if (d !== undefined) return d;
    if (x.op === "scan_output") return depthOf(x.inputs[0]!);
    const alias = r.aliases.get(x);
    return alias ? depthOf(alias) : 0;
  };
  const results = new Map<Node, (Node | undefined)[]>();
  for (const n of graph.nodes) {
    if (n.op === "scan_output" && r.stored.has(n)) {
      const list = results.get(n.inputs[0]!) ?? [];
      list[n.attrs.index as number] = n;
      results.set(n.inputs[0]!, list);
    }
  }
  const items: { node: Node; reads: Node[]; depth: number }[] = [];
  for (const n of graph.nodes) {
    if (!r.roots.has(n) && n.op !== "scan") continue;
    const reads = readsOf(n.op === "scan" ? n.inputs : n.inputs);
    const d = 1 + Math.max(0, ...reads.map(depthOf));
    depth.set(n, d);
    items.push({ node: n, reads, depth: d });
  }
  const kernels: (Kernel & { depth: number; first: number })[] = [];
  const groups = new Map<string, ScanMember[]>();
  for (const item of items) {
    const n = item.node;
    if (n.op !== "scan") {
      kernels.push({
        kind: "root",
        node: n,
        label: `%${n.id} ${n.op}`,
        reads: item.reads,
        writes: [n],
        params: r.paramRoots.has(n),
        depth: item.depth,
        first: n.id,
      });
      continue;
    }
    const key = `${item.depth}:${n.attrs.steps as number}`;
    const member: ScanMember = {
      scan: n,
      analysis: r.analyses.get(n)!,
      results: results.get(n) ?? [],
    };
    const group = groups.get(key);
    if (group) {
      group.push(member);
      const k = kernels.find((x) => x.kind === "scans" && x.members === group)!;
      (k.reads as Node[]).push(...item.reads);
      (k.writes as Node[]).push(...member.results.filter((x): x is Node => x !== undefined));
      (k as { label: string }).label += ` + %${n.id} scan`;
      continue;
    }
    const members = [member];
    groups.set(key, members);
    kernels.push({
      kind: "scans",
      members,
      label: `%${n.id} scan`,
      reads: [...item.reads],
      writes: member.results.filter((x): x is Node => x !== undefined),
      params: false,
      depth: item.depth,
      first: n.id,
    });
  }
  kernels.sort(
    (a, b) => Number(b.params) - Number(a.params) || a.depth - b.depth || a.first - b.first,
  );
  return kernels;
}
