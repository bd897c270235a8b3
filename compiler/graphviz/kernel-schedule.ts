/**
 * The fused WebGPU schedule as DOT: one box per dispatch, listing the IR ops it computes —
 * the value it stores and everything recomputed inline on the way (a root kernel), or each
 * recurrence's step ops and the operands it computes inline (a persistent scan kernel) —
 * with an edge for every stored value one kernel writes and another reads. Dispatches that
 * run only after new parameters are grouped apart.
 *
 * The kernels are the fused planner's own (codegen/wgsl/fused: decompose, transpose weights,
 * choose roots, schedule), so they are the dispatches of the bundle's plan.webgpu.json in
 * order (`kernelsOf` checks the labels against the plan). When a recurrence does not qualify
 * the bundle runs the naive schedule instead, and the result says why.
 */
import { decomposeNormalisations } from "../codegen/wgsl/fused/decompose.ts";
import { chooseRoots, scheduleKernels, type Kernel } from "../codegen/wgsl/fused/roots.ts";
import { rowsPerTile } from "../codegen/wgsl/fused/scan-kernel.ts";
import { transposeWeights } from "../codegen/wgsl/fused/weight-layout.ts";
import { scheduleWebGpu } from "../codegen/wgsl/schedule.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { liveFrom } from "../ir/reach.ts";
import { left } from "./dot.ts";
import { drawOutput, titledDot, typeText } from "./model-graph.ts";

export interface KernelBox {
  readonly index: number;
  /** The plan's shader name (`persistent_scan`, `root_matmul`) and dispatch label. */
  readonly shader: string;
  readonly label: string;
  readonly params: boolean;
  /** The ops it computes, one line each (scans: their step ops grouped by op). */
  readonly ops: readonly string[];
  readonly reads: readonly Node[];
  readonly writes: readonly Node[];
  readonly workgroups: readonly number[];
}

export type FusedSchedule =
  | {
      readonly kind: "fused";
      /** The graph the kernels compute: the scan form, normalisations decomposed, weights transposed. */
      readonly graph: Graph;
      readonly kernels: readonly KernelBox[];
      /** A stored reshape or cast → the value it is a view of. */
      readonly aliases: ReadonlyMap<Node, Node>;
    }
  | { readonly kind: "naive"; readonly reason: string };

function opLine(n: Node): string {
  return `%${n.id} ${n.op} ${typeText(n)}`;
}

/** Values a kernel computes inline: the unstored ancestors of `from`, in creation order. */
function inline(from: readonly Node[], stored: ReadonlySet<Node>): Node[] {
  const found = new Set<Node>();
  const walk = (x: Node) => {
    if (stored.has(x) || found.has(x)) return;
    found.add(x);
    x.inputs.forEach(walk);
  };
  from.forEach(walk);
  return [...found].sort((a, b) => a.id - b.id);
}

/** A step graph's live ops, grouped: `sigmoid ×3 (%12, %15, %20)`. */
function stepOps(scan: Node): string[] {
  const body = scan.body!;
  const live = liveFrom(body.graph.nodes, [...body.nextStates, ...body.outputs]);
  const byOp = new Map<string, Node[]>();
  for (const n of body.graph.nodes) {
    if (!live.has(n) || n.op === "input") continue;
    byOp.set(n.op, [...(byOp.get(n.op) ?? []), n]);
  }
  return [...byOp].map(
    ([op, ns]) =>
      `  ${op}${ns.length > 1 ? ` ×${ns.length}` : ""} (${ns.map((n) => `%${n.id}`).join(", ")})`,
  );
}

function opsOf(k: Kernel, stored: ReadonlySet<Node>): string[] {
  if (k.kind === "root")
    return inline([k.node], new Set([...stored].filter((x) => x !== k.node))).map(opLine);
  const rows = rowsPerTile(k.members.map((m) => m.analysis));
  return k.members.flatMap((m) => {
    const outer = inline(m.scan.inputs, stored);
    return [
      `%${m.scan.id} scan: ${String(m.scan.attrs.steps)} steps, ${rows} rows per workgroup, ${m.analysis.phases} phases`,
      ...(outer.length > 0 ? ["inline operands:", ...outer.map((n) => `  ${opLine(n)}`)] : []),
      "step (ids of its step graph):",
      ...stepOps(m.scan),
    ];
  });
}

/** The fused schedule's kernels of a scan-form graph, or why the naive schedule runs instead. */
export function kernelsOf(scanForm: Graph): FusedSchedule {
  const schedule = scheduleWebGpu(scanForm);
  if (schedule.kind === "naive") return { kind: "naive", reason: schedule.reason ?? "" };
  // The planner's own first steps (fused/plan-fused.ts), to see what each kernel covers.
  const graph = transposeWeights(decomposeNormalisations(scanForm));
  const roots = chooseRoots(graph);
  if (typeof roots === "string") return { kind: "naive", reason: roots };
  const kernels = scheduleKernels(graph, roots);
  const dispatches = schedule.plan.dispatches;
  if (
    kernels.length !== dispatches.length ||
    kernels.some((k, i) => k.label !== dispatches[i]!.label)
  )
    throw new Error("internal: the fused kernels differ from the plan's dispatches");
  return {
    kind: "fused",
    graph,
    aliases: roots.aliases,
    kernels: kernels.map((k, i) => ({
      index: i,
      shader: schedule.plan.shaders[dispatches[i]!.shader]!.name,
      label: k.label,
      params: k.params,
      ops: opsOf(k, roots.stored),
      reads: k.reads,
      writes: k.writes,
      workgroups: dispatches[i]!.workgroups,
    })),
  };
}

export function scheduleDot(schedule: FusedSchedule & { kind: "fused" }, title: string): string {
  const { graph, kernels } = schedule;
  const dot = titledDot(title);
  const writer = new Map<Node, string>();
  const box = (k: KernelBox) =>
    dot.node(`k${k.index}`, {
      shape: "box",
      style: "filled",
      fillcolor: k.shader === "persistent_scan" ? "#fde68a" : k.params ? "#f3f4f6" : "#ffffff",
      label: left([
        `dispatch ${k.index}: ${k.shader} (${k.label}), workgroups [${k.workgroups.join(", ")}]`,
        ...k.ops,
      ]),
    });
  for (const k of kernels) for (const w of k.writes) writer.set(w, `k${k.index}`);
  const params = kernels.filter((k) => k.params);
  if (params.length > 0)
    dot.cluster("params", { label: "after new parameters", style: "dashed" }, () =>
      params.forEach(box),
    );
  kernels.filter((k) => !k.params).forEach(box);

  dot.node("params", {
    shape: "cylinder",
    label: `params\n${graph.params.size} tensors`,
    style: "filled",
    fillcolor: "#f3f4f6",
  });
  for (const [name, n] of graph.inputs) {
    writer.set(n, `input ${name}`);
    dot.node(`input ${name}`, {
      label: `${name}\n${typeText(n)}`,
      shape: "ellipse",
      style: "filled",
      fillcolor: "#dbeafe",
    });
  }
  const sourceOf = (node: Node) => {
    const n = schedule.aliases.get(node) ?? node;
    return writer.get(n) ?? (n.op === "param" ? "params" : undefined);
  };
  for (const k of kernels) {
    const from = new Map<string, Node[]>();
    for (const r of k.reads) {
      const s = sourceOf(r);
      if (s) from.set(s, [...(from.get(s) ?? []), r]);
    }
    for (const [s, ns] of from)
      dot.edge(
        s,
        `k${k.index}`,
        s === "params" ? { style: "dotted" } : { label: ns.map((n) => `%${n.id}`).join(" ") },
      );
  }
  for (const [name, n] of graph.outputs) drawOutput(dot, name, n, sourceOf(n));
  return dot.text();
}
