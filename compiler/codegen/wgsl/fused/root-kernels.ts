/**
 * Kernels for the values outside recurrences that are stored (a "root"): a linear kernel,
 * one invocation per element computing the root's element function (so every elementwise
 * op, slice, broadcast and single-use matmul feeding it fuses in), and a tiled matmul for
 * a stored matmul by shared weights (row tiles staged in workgroup memory). Both write the root's range of the work arena.
 */
import type { Node } from "../../../ir/node.ts";
import { sizeOf } from "../../../ir/node.ts";
import { grid } from "../kernel.ts";
import { unflatten } from "./element-fns.ts";
import type { ShaderModule } from "./shader-module.ts";
import type { TopStorage } from "./top-storage.ts";

const LINEAR = 64;
const LANES = 64;
const ROWS = 8;
const K_CHUNK = 32;

export interface RootKernel {
  readonly entry: string[];
  readonly workgroups: [number, number, number];
}

export function rootKernel(node: Node, storage: TopStorage, module: ShaderModule): RootKernel {
  return tiledMatmul(node, storage, module) ?? linearKernel(node, storage, module);
}

function linearKernel(node: Node, storage: TopStorage, module: ShaderModule): RootKernel {
  const count = sizeOf(node.shape);
  const idx = node.shape.map((_, a) => `i${a}`);
  const value = module.fns.at(storage.scope(module, node), node, idx);
  const out = storage.target(module, node);
  return {
    entry: [
      `@compute @workgroup_size(${LINEAR})`,
      "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,",
      "        @builtin(local_invocation_index) lane: u32) {",
      `  let e = (wg.y * groups.x + wg.x) * ${LINEAR}u + lane;`,
      `  if (e >= ${count}u) { return; }`,
      ...unflatten(node.shape, "e", idx).map((l) => `  ${l}`),
      `  ${out.array}[${out.at}u + e] = bitcast<u32>(${value});`,
      "}",
    ],
    workgroups: grid(Math.ceil(count / LINEAR)),
  };
}

/**
 * [..., M, K] x [K, N]: the leading axes and M flatten into rows. A workgroup takes ROWS rows
 * and 4 * LANES columns; each thread keeps ROWS x 4 accumulators for the columns lane,
 * lane + LANES, ... (so a load of the right operand is consecutive across threads). Row
 * values are staged K_CHUNK at a time in workgroup memory and read by every thread.
 */
function tiledMatmul(
  node: Node,
  storage: TopStorage,
  module: ShaderModule,
): RootKernel | undefined {
  if (node.op !== "matmul" || node.attrs.transposeB) return undefined;
  const [a, b] = node.inputs as [Node, Node];
  if (b.shape.length !== 2 || a.shape.length !== node.shape.length) return undefined;
  const k = a.shape[a.shape.length - 1]!;
  const n = node.shape[node.shape.length - 1]!;
  const rows = sizeOf(node.shape) / n;
  const scope = storage.scope(module);
  const lead = node.shape.slice(0, -1).map((_, d) => `r${d}`);
  const aValue = module.fns.at(scope, a, [...lead, "k0 + kk"]);
  const cols = [0, 1, 2, 3].map((c) => c * LANES);
  const bValue = (c: number) => module.fns.at(scope, b, ["k0 + q", `min(col${c}, ${n - 1}u)`]);
  module.declare(`var<workgroup> tile_a: array<f32, ${ROWS * K_CHUNK}>;`);
  const out = storage.target(module, node);
  const each = (f: (r: number, c: number) => string) =>
    Array.from({ length: ROWS }, (_, r) => cols.map((_, c) => f(r, c))).flat();
  return {
    entry: [
      `@compute @workgroup_size(${LANES})`,
      "fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lane: u32) {",
      `  let row0 = wg.y * ${ROWS}u;`,
      ...cols.map((off, c) => `  let col${c} = wg.x * ${4 * LANES}u + lane + ${off}u;`),
      `  var acc: array<f32, ${ROWS * 4}>;`,
      ...each((r, c) => `  acc[${r * 4 + c}] = 0.0;`),
      `  for (var k0 = 0u; k0 < ${k}u; k0 += ${K_CHUNK}u) {`,
      `    for (var e = lane; e < ${ROWS * K_CHUNK}u; e += ${LANES}u) {`,
      `      let row = row0 + e / ${K_CHUNK}u;`,
      `      let kk = e % ${K_CHUNK}u;`,
      ...unflatten(node.shape.slice(0, -1), `min(row, ${rows - 1}u)`, lead).map(
        (l) => `      ${l}`,
      ),
      `      if (row < ${rows}u && k0 + kk < ${k}u) { tile_a[e] = ${aValue}; } else { tile_a[e] = 0.0; }`,
      "    }",
      "    workgroupBarrier();",
      `    let chunk = min(${K_CHUNK}u, ${k}u - k0);`,
      "    for (var q = 0u; q < chunk; q++) {",
      ...cols.map((_, c) => `      let b${c} = ${bValue(c)};`),
      ...Array.from({ length: ROWS }, (_, r) => [
        `      let a${r} = tile_a[${r * K_CHUNK}u + q];`,
        ...cols.map((_, c) => `      acc[${r * 4 + c}] = acc[${r * 4 + c}] + a${r} * b${c};`),
      ]).flat(),
      "    }",
      "    workgroupBarrier();",
      "  }",
      ...each(
        (r, c) =>
          `  if (row0 + ${r}u < ${rows}u && col${c} < ${n}u) { ${out.array}[${out.at}u + (row0 + ${r}u) * ${n}u + col${c}] = bitcast<u32>(acc[${r * 4 + c}]); }`,
      ),
      "}",
    ],
    workgroups: [Math.ceil(n / (4 * LANES)), Math.ceil(rows / ROWS), 1],
  };
}
