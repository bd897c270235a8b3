/**
 * The fused WebGPU schedule, planned from the scan form (after hoist-input-projections,
 * before unroll):
 *
 *   decompose normalisations ─▶ choose stored values (roots) ─▶ order kernels by depth,
 *   grouping independent scans of a depth into one dispatch ─▶ place stored values in the
 *   params and work arenas (work reused by liveness) ─▶ emit one WGSL module per kernel.
 *
 * Values that only parameters determine (concatenated gate weights) are computed by
 * "params" dispatches, which a run encodes only after new parameters arrive. Everything else
 * that is not stored is recomputed where it is read, inside the reading kernel.
 *
 * Returns the reason instead when some scan cannot run as a persistent kernel (rows not independent,
 * or its state does not fit workgroup memory): the caller then uses the naive schedule.
 */
import type { Graph } from "../../../ir/graph.ts";
import type { Node } from "../../../ir/node.ts";
import { sizeOf } from "../../../ir/node.ts";
import { liveFrom } from "../../../ir/reach.ts";
import {
  PLAN_VERSION,
  VIEW_ALIGNMENT,
  type Plan,
  type PlanBuffer,
  type PlanDispatch,
  type PlanShader,
  type PlanSource,
  type PlanTensor,
} from "../../../../runtime/webgpu/plan.ts";
import { DTYPES } from "../planner.ts";
import { decomposeNormalisations } from "./decompose.ts";
import { transposeWeights } from "./weight-layout.ts";
import { packByLiveness } from "./intervals.ts";
import { rootKernel } from "./root-kernels.ts";
import { chooseRoots, type Kernel, scheduleKernels } from "./roots.ts";
import { emitScanGroup, rowsPerTile, WORKGROUP_BYTES } from "./scan-kernel.ts";
import { FUSED_UNIFORMS, ShaderModule } from "./shader-module.ts";
import { TopStorage, type ArenaName } from "./top-storage.ts";

const WORDS_PER_VIEW = VIEW_ALIGNMENT / 4;

export function planFused(scanForm: Graph): Plan | string {
  const graph = transposeWeights(decomposeNormalisations(scanForm));
  const roots = chooseRoots(graph);
  if (typeof roots === "string") return roots;
  const kernels = scheduleKernels(graph, roots);
  for (const k of kernels) {
    if (k.kind === "scans" && rowsPerTile(k.members.map((m) => m.analysis)) === 0)
      return `${k.label}: one row's step state does not fit ${WORKGROUP_BYTES} bytes of workgroup memory`;
  }

  const buffers: PlanBuffer[] = [];
  const add = (b: Omit<PlanBuffer, "id">) => {
    buffers.push({ id: buffers.length, ...b });
    return buffers.length - 1;
  };
  const arena = (): Omit<PlanBuffer, "id"> => ({
    byteSize: 4,
    dtype: "f32",
    role: "arena",
    shape: [],
  });
  const arenas = { params: add(arena()), derived: add(arena()), work: add(arena()) };
  const storage = new TopStorage(arenas);

  // Inputs own buffers; parameters are packed in order.
  const inputs: Record<string, PlanSource> = {};
  const params: Record<string, PlanSource> = {};
  const live = liveFrom(graph.nodes, graph.outputs.values());
  for (const [name, node] of graph.inputs) {
    const buffer = add(own(node, "input", name));
    storage.place(node, { kind: "input", buffer });
    inputs[name] = { ...tensor(node, buffer), required: live.has(node) };
  }
  let paramWords = 0;
  // By name, so that the layout does not depend on the order of a cell's equations.
  const byName = [...graph.params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, node] of byName) {
    storage.place(node, { kind: "params", owner: node });
    storage.offsets.set(node, paramWords);
    const buffer = add({
      ...own(node, "param", name),
      view: { of: arenas.params, byteOffset: paramWords * 4 },
    });
    params[name] = { ...tensor(node, buffer), required: live.has(node) };
    paramWords += roundUp(sizeOf(node.shape));
  }

  // Kernel results: in the derived arena (params kernels) or the work arena (by liveness).
  const words: Record<ArenaName, number> = { params: paramWords, derived: 0, work: 0 };
  const resultBuffer = new Map<Node, number>();
  for (const { owner, arena: name } of placeResults(graph, kernels, roots.aliases, storage)) {
    const at = storage.offsets.get(owner)!;
    const view = { of: arenas[name], byteOffset: at * 4 };
    resultBuffer.set(owner, add({ ...own(owner, "temp"), view }));
    words[name] = Math.max(words[name], at + roundUp(sizeOf(owner.shape)));
  }
  for (const name of ["params", "derived", "work"] as const) {
    const id = arenas[name];
    buffers[id] = { ...buffers[id]!, byteSize: Math.max(4, words[name] * 4), shape: [words[name]] };
  }

  // Kernels, in order.
  const shaders: PlanShader[] = [];
  const shaderIndex = new Map<string, number>();
  const dispatches: PlanDispatch[] = [];
  const uniforms = (batch: number, steps: number) => FUSED_UNIFORMS.pack({ batch, steps });
  for (const kernel of kernels) {
    const module = new ShaderModule(
      kernel.kind === "scans" ? "persistent_scan" : `root_${kernel.node.op}`,
    );
    let entry: string[];
    let workgroups: [number, number, number];
    let batch = 0;
    let steps = 0;
    if (kernel.kind === "scans") {
      const rows = rowsPerTile(kernel.members.map((m) => m.analysis));
      entry = emitScanGroup(kernel.members, rows, storage, module);
      batch = kernel.members[0]!.analysis.batch;
      steps = kernel.members[0]!.scan.attrs.steps as number;
      workgroups = [Math.ceil(batch / rows), kernel.members.length, 1];
    } else {
      ({ entry, workgroups } = rootKernel(kernel.node, storage, module));
    }
    const { shader, buffers: bound } = module.render(entry);
    let index = shaderIndex.get(shader.code);
    if (index === undefined) {
      index = shaders.length;
      shaders.push(shader);
      shaderIndex.set(shader.code, index);
    }
    dispatches.push({
      shader: index,
      buffers: bound,
      uniforms: uniforms(batch, steps),
      workgroups,
      label: kernel.label,
      ...(kernel.params ? { when: "params" as const } : {}),
    });
  }

  const outputs: Record<string, PlanTensor> = {};
  for (const [name, node] of graph.outputs) {
    const p = storage.placement(node)!;
    const buffer =
      p.kind === "input"
        ? p.buffer
        : p.kind === "params"
          ? params[p.owner.attrs.name as string]!.buffer
          : resultBuffer.get(p.owner)!;
    outputs[name] = { buffer, shape: [...node.shape], dtype: DTYPES[node.dtype] };
    const b = buffers[buffer]!;
    if (b.role === "temp") buffers[buffer] = { ...b, role: "output", name };
  }
  return { version: PLAN_VERSION, buffers, shaders, dispatches, inputs, params, outputs };
}

const roundUp = (words: number) => Math.max(1, Math.ceil(words / WORDS_PER_VIEW)) * WORDS_PER_VIEW;

function own(node: Node, role: PlanBuffer["role"], name?: string): Omit<PlanBuffer, "id"> {
  return {
    byteSize: Math.max(4, sizeOf(node.shape) * 4),
    dtype: DTYPES[node.dtype],
    role,
    shape: [...node.shape],
    ...(name === undefined ? {} : { name }),
  };
}

function tensor(node: Node, buffer: number): PlanTensor {
  return { buffer, shape: [...node.shape], dtype: DTYPES[node.dtype] };
}

/**
 * Places every kernel result: results of params kernels one after another in the derived
 * arena (later runs read them again); the others in the work arena, reusing space by
 * liveness: a result lives from its kernel to the last kernel reading it (to the end for
 * outputs). Aliases take their source's place.
 */
function placeResults(
  graph: Graph,
  kernels: readonly Kernel[],
  aliases: ReadonlyMap<Node, Node>,
  storage: TopStorage,
): { owner: Node; arena: "derived" | "work" }[] {
  const placed: { owner: Node; arena: "derived" | "work" }[] = [];
  const start = new Map<Node, number>();
  let derivedWords = 0;
  kernels.forEach((k, i) => {
    for (const r of k.writes) {
      const arena = k.params ? "derived" : "work";
      placed.push({ owner: r, arena });
      storage.place(r, { kind: arena, owner: r });
      if (arena === "derived") {
        storage.offsets.set(r, derivedWords);
        derivedWords += roundUp(sizeOf(r.shape));
      } else start.set(r, i);
    }
  });
  for (const [alias, of] of aliases) {
    const p = storage.placement(of);
    if (p) storage.place(alias, p);
  }
  const end = new Map<Node, number>();
  const touch = (node: Node, i: number) => {
    const p = storage.placement(node);
    if (p?.kind === "work") end.set(p.owner, Math.max(end.get(p.owner) ?? 0, i));
  };
  kernels.forEach((k, i) => k.reads.forEach((r) => touch(r, i)));
  for (const node of graph.outputs.values()) touch(node, kernels.length);
  const work = placed.filter((p) => p.arena === "work").map((p) => p.owner);
  const { offsets } = packByLiveness(
    work.map((o) => ({
      size: sizeOf(o.shape),
      start: start.get(o)!,
      end: end.get(o) ?? start.get(o)!,
    })),
    WORDS_PER_VIEW,
  );
  work.forEach((o, i) => storage.offsets.set(o, offsets[i]!));
  return placed;
}
