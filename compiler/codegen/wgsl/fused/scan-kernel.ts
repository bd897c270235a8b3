/**
 * The persistent recurrence kernel: one dispatch runs whole scans. Each workgroup takes a
 * tile of `rows` batch rows of one scan (workgroup_id.y picks the scan, so independent scans
 * such as the two directions of a bidirectional layer share the dispatch) and carries the
 * tile's states in workgroup memory through every step: per step, the phases of the step
 * program (step-analysis.ts) separated by barriers, the next states written to the other half
 * of a ping-pong state buffer, the per-step outputs straight to the work arena. The number
 * of steps and of batch rows in use come from the uniforms; sizes are baked in.
 */
import type { Node } from "../../../ir/node.ts";
import { sizeOf } from "../../../ir/node.ts";
import { flatIndex, unflatten, type Scope } from "./element-fns.ts";
import { packByLiveness, type LiveBlock } from "./intervals.ts";
import type { ShaderModule } from "./shader-module.ts";
import type { StepAnalysis, StoredValue } from "./step-analysis.ts";
import type { TopStorage } from "./top-storage.ts";

export const STEP_WORKGROUP = 64;
/** WebGPU's default maxComputeWorkgroupStorageSize. */
export const WORKGROUP_BYTES = 16384;

export interface ScanMember {
  readonly scan: Node;
  readonly analysis: StepAnalysis;
  /** The scan's results that something reads (by scan_output index), else undefined. */
  readonly results: readonly (Node | undefined)[];
}

type Pool = "wf" | "wi";
const poolOf = (n: Node): Pool => (n.dtype === "float" ? "wf" : "wi");

/** Workgroup memory of one member at `rows` rows per tile: offsets by node, words per pool. */
export function layoutPools(a: StepAnalysis, rows: number) {
  const offsets = new Map<Node, number>();
  const words = { wf: 0, wi: 0 };
  for (const pool of ["wf", "wi"] as const) {
    const items: { node: Node; block: LiveBlock }[] = [];
    for (const s of a.body.states) {
      if (poolOf(s) !== pool) continue;
      const size = 2 * rows * (sizeOf(s.shape) / a.batch);
      items.push({ node: s, block: { size, start: 0, end: a.phases } });
    }
    for (const v of a.stored) {
      if (poolOf(v.node) !== pool) continue;
      items.push({
        node: v.node,
        block: { size: rows * v.width, start: v.phase, end: v.lastRead },
      });
    }
    const { offsets: at, total } = packByLiveness(items.map((i) => i.block));
    items.forEach((item, k) => offsets.set(item.node, at[k]!));
    words[pool] = total;
  }
  return { offsets, words };
}

/** The most rows per tile (8, 4, 2 or 1, at most the batch) whose pools fit; 0 if none. */
export function rowsPerTile(members: readonly StepAnalysis[]): number {
  for (const rows of [8, 4, 2, 1]) {
    if (members.some((a) => rows > a.batch && rows > 1)) continue;
    const fits = members.every((a) => {
      const { words } = layoutPools(a, rows);
      return (words.wf + words.wi) * 4 <= WORKGROUP_BYTES;
    });
    if (fits) return rows;
  }
  return 0;
}

/** Emits the group's kernel into `module`; returns the entry point's lines. */
export function emitScanGroup(
  members: readonly ScanMember[],
  rows: number,
  storage: TopStorage,
  module: ShaderModule,
): string[] {
  const layouts = members.map((m) => layoutPools(m.analysis, rows));
  const words = (pool: Pool) => Math.max(1, ...layouts.map((l) => l.words[pool]));
  module.declare(`var<workgroup> wf: array<f32, ${words("wf")}>;`);
  if (layouts.some((l) => l.words.wi > 0))
    module.declare(`var<workgroup> wi: array<i32, ${words("wi")}>;`);
  for (const decl of ["row0: u32", "t_idx: u32", "t_now: i32", "cur: u32"])
    module.declare(`var<private> ${decl};`);
  const calls = members.map((m, k) => {
    module.fns.addFunction(memberFunction(m, k, rows, layouts[k]!.offsets, storage, module));
    return `scan${k}(lane);`;
  });
  return [
    `@compute @workgroup_size(${STEP_WORKGROUP})`,
    "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {",
    `  row0 = wg.x * ${rows}u;`,
    ...(calls.length === 1
      ? [`  ${calls[0]}`]
      : [
          "  switch (wg.y) {",
          ...calls.map((c, k) => `    case ${k}u: { ${c} }`),
          "    default: {}",
          "  }",
        ]),
    "}",
  ];
}

function memberFunction(
  member: ScanMember,
  index: number,
  rows: number,
  offsets: ReadonlyMap<Node, number>,
  storage: TopStorage,
  module: ShaderModule,
): string {
  const { scan, analysis: a, results } = member;
  const body = a.body;
  const nSlices = scan.attrs.slices as number;
  const nStates = scan.attrs.states as number;
  const steps = scan.attrs.steps as number;
  const top = storage.scope(module);
  const width = (n: Node) => sizeOf(n.shape) / a.batch;
  const wgRead = (n: Node, base: string) => (idx: readonly string[]) =>
    `${poolOf(n)}[${base} + (${idx[0]} - row0) * ${width(n)}u + ${flatIndex(n.shape.slice(1), idx.slice(1))}]`;
  const formals = new Map<Node, (idx: readonly string[]) => string>();
  formals.set(body.step, () => "t_now");
  body.states.forEach((s, k) =>
    formals.set(s, wgRead(s, `${offsets.get(s)!}u + cur * ${rows * width(s)}u`)),
  );
  body.slices.forEach((s, k) => {
    const seq = scan.inputs[k]!;
    formals.set(s, (idx) => module.fns.at(top, seq, [idx[0]!, "t_idx", ...idx.slice(1)]));
  });
  body.consts.forEach((c, k) => {
    const outer = scan.inputs[nSlices + nStates + k]!;
    formals.set(c, (idx) => module.fns.at(top, outer, idx));
  });
  const scope = (except?: Node): Scope => ({
    prefix: `s${index}_`,
    reader: (n) => {
      const formal = formals.get(n);
      if (formal) return formal;
      if (n === except || !a.storedOf.has(n)) return undefined;
      return wgRead(n, `${offsets.get(n)!}u`);
    },
  });
  const value = (n: Node, except?: Node) => module.fns.at(scope(except), n, ["row", ...rest(n)]);

  const lines: string[] = [
    `fn scan${index}(lane: u32) {`,
    "  let batch = u_batch();",
    "  cur = 0u;",
  ];
  const add = (block: readonly string[]) => lines.push(...block.map((l) => `  ${l}`));
  body.states.forEach((s, k) => {
    const init = module.fns.at(top, scan.inputs[nSlices + k]!, ["row", ...rest(s)]);
    add(rowLoop(s, rows, a.batch, [`${poolOf(s)}[${offsets.get(s)!}u + e] = ${init};`]));
  });
  add(["workgroupBarrier();", `let steps = min(u_steps(), ${steps}u);`]);
  add(["for (var i = 0u; i < steps; i++) {"]);
  add([`  t_idx = ${scan.attrs.reverse ? "steps - 1u - i" : "i"};`, "  t_now = i32(t_idx);"]);
  for (let phase = 1; phase <= a.phases; phase++) {
    const work: string[] = [];
    for (const v of a.stored) if (v.phase === phase) work.push(...storedLoop(v));
    body.nextStates.forEach((n, k) => {
      if (a.statePhases[k] !== phase) return;
      const s = body.states[k]!;
      const target = `${poolOf(s)}[${offsets.get(s)!}u + (1u - cur) * ${rows * width(s)}u + e]`;
      work.push(...rowLoop(n, rows, a.batch, [`${target} = ${value(n)};`]));
    });
    body.outputs.forEach((n, k) => {
      const result = results[nStates + k];
      if (a.outputPhases[k] !== phase || !result) return;
      const out = storage.target(module, result);
      const at = `${out.at}u + (row * ${steps}u + t_idx) * ${width(n)}u + j`;
      work.push(...rowLoop(n, rows, a.batch, [`${out.array}[${at}] = bitcast<u32>(${value(n)});`]));
    });
    add([...work.map((l) => `  ${l}`), "  workgroupBarrier();"]);
  }
  add(["  cur = (i + 1u) & 1u;", "}"]);
  body.states.forEach((s, k) => {
    const result = results[k];
    if (!result) return;
    const from = `${poolOf(s)}[${offsets.get(s)!}u + cur * ${rows * width(s)}u + e]`;
    const out = storage.target(module, result);
    const at = `${out.at}u + row * ${width(s)}u + j`;
    add(rowLoop(s, rows, a.batch, [`${out.array}[${at}] = bitcast<u32>(${from});`]));
  });
  lines.push("}");
  return lines.join("\n");

  function storedLoop(v: StoredValue): string[] {
    const target = `${poolOf(v.node)}[${offsets.get(v.node)!}u + e]`;
    const tiled = rowTileMatmul(v, rows, scope(v.node), module, `${offsets.get(v.node)!}u`);
    return tiled ?? rowLoop(v.node, rows, a.batch, [`${target} = ${value(v.node, v.node)};`]);
  }
}

const rest = (n: Node) => n.shape.slice(1).map((_, a) => `i${a + 1}`);

/** `for` over the tile's elements of batched `n`: `row`, `j` and i1.. bound, rows in use only. */
function rowLoop(n: Node, rows: number, batch: number, store: readonly string[]): string[] {
  const w = sizeOf(n.shape) / batch;
  return [
    `for (var e = lane; e < ${rows * w}u; e += ${STEP_WORKGROUP}u) {`,
    `  let row = row0 + e / ${w}u;`,
    "  if (row < batch) {",
    `    let j = e % ${w}u;`,
    ...unflatten(n.shape.slice(1), "j", rest(n)).map((l) => `    ${l}`),
    ...store.map((l) => `    ${l}`),
    "  }",
    "}",
  ];
}

/**
 * A batched [B, K] x shared [K, N] matmul: each thread takes output columns and keeps one
 * accumulator per row of the tile, so every weight read serves all the tile's rows.
 */
function rowTileMatmul(
  v: StoredValue,
  rows: number,
  scope: Scope,
  module: ShaderModule,
  base: string,
): string[] | undefined {
  const { node } = v;
  const [a, b] = node.inputs as [Node, Node];
  if (node.op !== "matmul" || node.shape.length !== 2 || b.shape.length !== 2) return undefined;
  if (a.dtype !== "float") return undefined;
  const [k, n] = [a.shape[1]!, node.shape[1]!];
  const w = module.fns.at(scope, b, node.attrs.transposeB ? ["j", "q"] : ["q", "j"]);
  const r = Array.from({ length: rows }, (_, i) => i);
  return [
    `for (var j = lane; j < ${n}u; j += ${STEP_WORKGROUP}u) {`,
    // Assigned, not only declared: Dawn initialises a loop's variables once, not per pass.
    `  var acc: array<f32, ${rows}>;`,
    ...r.map((i) => `  acc[${i}] = 0.0;`),
    `  for (var q = 0u; q < ${k}u; q++) {`,
    `    let w = ${w};`,
    ...r.map(
      (i) => `    acc[${i}] = acc[${i}] + ${module.fns.at(scope, a, [`row0 + ${i}u`, "q"])} * w;`,
    ),
    "  }",
    ...r.map((i) => `  if (row0 + ${i}u < batch) { wf[${base} + ${i * n}u + j] = acc[${i}]; }`),
    "}",
  ];
}
