/**
 * The CPU backend on the textbook's 2-layer LSTM (examples/textbook.rnn: input 10, hidden
 * 128) at batch 32 and 100 steps: time per forward run of the naive plan (one dispatch per op
 * of the unrolled graph) and of the CPU plan (codegen/js: one generated kernel per
 * recurrence), in its fast and exact matmul modes; the median of RUNS runs after warm-up, and
 * GFLOP/s counting 2·M·N·K per matmul. Run: npx tsx scripts/bench-cpu.ts [runs] (the suite
 * against the peers is `npm run bench`: scripts/bench.ts)
 */
import { readFileSync } from "node:fs";
import { checkParsed, prelude } from "../compiler/check/index.ts";
import { planCpu } from "../compiler/codegen/js/plan-cpu.ts";
import { planGraph } from "../compiler/codegen/wgsl/plan-graph.ts";
import type { Graph } from "../compiler/ir/graph.ts";
import { sizeOf, type Node } from "../compiler/ir/node.ts";
import { compileModel } from "../compiler/pipeline.ts";
import { unroll } from "../compiler/passes/unroll.ts";
import { CpuPlanExecutor } from "../runtime/cpu/executor.ts";
import type { Plan } from "../runtime/webgpu/plan.ts";
import { initialWeights } from "../runtime/weights/init.ts";
import { parse } from "../dsl/parse.ts";
import { SourceFile } from "../dsl/source.ts";

const [BATCH, STEPS] = [32, 100];
const RUNS = Number(process.argv[2] ?? 7);

/** 2·M·N·K of every matmul, a step graph's counted once per step. */
export function matmulFlops(nodes: readonly Node[], times = 1): number {
  let flops = 0;
  for (const node of nodes) {
    if (node.op === "matmul") {
      const k = node.inputs[0]!.shape.at(-1)!;
      flops += times * 2 * sizeOf(node.shape) * k;
    }
    if (node.body)
      flops += matmulFlops(node.body.graph.nodes, times * (node.attrs.steps as number));
  }
  return flops;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const source = readFileSync(new URL("../examples/textbook.rnn", import.meta.url), "utf8");
const model = checkParsed(parse(new SourceFile("textbook.rnn", source)), prelude()).models[0]!;
const scanForm: Graph = compileModel(model, {
  batch: BATCH,
  steps: { T: STEPS },
  mode: "infer",
  until: "hoist-input-projections",
});
const weights = initialWeights(model.params, 0);
const params: Record<string, Float32Array> = {};
for (const [name, t] of weights) params[name] = Float32Array.from(t.data as ArrayLike<number>);
let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
const inputs = {
  x: Float32Array.from({ length: BATCH * STEPS * 10 }, random),
  "lengths.T": new Int32Array(BATCH).fill(STEPS),
};
const flops = matmulFlops(scanForm.nodes);

function measure(label: string, plan: Plan): number {
  const executor = CpuPlanExecutor.create(plan);
  executor.setParams(params);
  for (let i = 0; i < 2; i++) executor.runSync(inputs);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    executor.runSync(inputs);
    times.push(performance.now() - start);
  }
  const ms = median(times);
  console.log(
    `${label.padEnd(28)} ${String(executor.dispatchCount).padStart(6)} dispatches  ${ms.toFixed(1).padStart(8)} ms  ${(flops / ms / 1e6).toFixed(2).padStart(6)} GFLOP/s`,
  );
  return ms;
}

console.log(
  `textbook LSTM, 2 layers, input 10, hidden 128, batch ${BATCH}, ${STEPS} steps: ${(flops / 1e9).toFixed(3)} GFLOP of matmul per run; median of ${RUNS} runs`,
);
const naive = measure("naive plan (unrolled)", planGraph(unroll(scanForm)));
const fast = measure("CPU plan (generated JS)", planCpu(scanForm));
const exact = measure("CPU plan, exact matmuls", planCpu(scanForm, { exact: true }));
console.log(
  `speed-up: ${(naive / fast).toFixed(1)}x (fast), ${(naive / exact).toFixed(1)}x (exact)`,
);
