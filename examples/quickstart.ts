/**
 * The quick start (`npm start`): the textbook's LSTM (examples/textbook.rnn: 2 layers, hidden
 * 128, a Linear(128 -> 5) on the last step) checked, compiled (gate fusion, input hoisting,
 * then fused kernels with one persistent kernel per recurrence for WebGPU), given initial
 * weights from a seed, and run on a batch of sequences of different lengths — on WebGPU when
 * there is an adapter, else on the CPU backend — and checked against the reference
 * interpreter.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkParsed, prelude } from "../compiler/check/index.ts";
import { planGraph } from "../compiler/codegen/wgsl/plan-graph.ts";
import { scheduleWebGpu } from "../compiler/codegen/wgsl/schedule.ts";
import { unroll } from "../compiler/passes/unroll.ts";
import { compileModel } from "../compiler/pipeline.ts";
import { renderDiagnostic } from "../dsl/diagnostic.ts";
import { parse } from "../dsl/parse.ts";
import { SourceFile } from "../dsl/source.ts";
import { CpuPlanExecutor } from "../runtime/cpu/executor.ts";
import { evaluate } from "../runtime/reference/interpreter.ts";
import { tensor } from "../runtime/reference/tensor.ts";
import { acquireDevice, NoWebGpuAdapterError } from "../runtime/webgpu/device.ts";
import { PlanExecutor } from "../runtime/webgpu/executor.ts";
import type { HostArray } from "../runtime/webgpu/plan-io.ts";
import { initialWeights } from "../runtime/weights/init.ts";

const specPath = fileURLToPath(new URL("./textbook.rnn", import.meta.url));
const source = new SourceFile("examples/textbook.rnn", readFileSync(specPath, "utf8"));
const checked = checkParsed(parse(source), prelude());
if (!checked.ok) {
  for (const d of checked.diagnostics) console.error(renderDiagnostic(d, source));
  process.exit(1);
}
const model = checked.models[0]!;
const count = model.params.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
console.log(
  `model ${model.name} (${[...model.topologies].join(", ")}): ${count.toLocaleString("en-US")} parameters`,
);

// A batch of 4 sequences of 10 features (phase-shifted sine waves), padded to 50 steps.
const batch = 4;
const steps = 50;
const lengths = [50, 37, 21, 6];
const x = new Float32Array(batch * steps * 10);
for (let b = 0; b < batch; b++) {
  for (let t = 0; t < lengths[b]!; t++) {
    for (let f = 0; f < 10; f++) x[(b * steps + t) * 10 + f] = Math.sin(0.1 * t + f + b);
  }
}
const weights = initialWeights(model.params, 0);
const params: Record<string, HostArray> = Object.fromEntries(
  [...weights].map(([name, t]) => [name, t.data as Float32Array]),
);
const inputs: Record<string, HostArray> = { x, "lengths.T": Int32Array.from(lengths) };

const compiled = performance.now();
const scanForm = compileModel(model, {
  batch,
  steps: { T: steps },
  until: "hoist-input-projections",
});
const graph = unroll(scanForm);
const { plan } = scheduleWebGpu(scanForm);
const perRun = plan.dispatches.filter((d) => d.when !== "params").length;
console.log(
  `compiled for batch ${batch}, ${steps} steps in ${(performance.now() - compiled).toFixed(0)} ms: ` +
    `WebGPU plan of ${perRun} dispatches per run, ${plan.shaders.length} kernels`,
);

let backend: string;
let run: () => Promise<Record<string, { data: Float32Array | Int32Array }>>;
let release = () => {};
try {
  const { device, adapterInfo } = await acquireDevice({ label: "quickstart" });
  const executor = await PlanExecutor.create(device, plan);
  backend = `WebGPU (${adapterInfo.vendor} ${adapterInfo.device || adapterInfo.architecture})`;
  run = () => executor.run(inputs, params);
  release = () => device.destroy();
} catch (error) {
  if (!(error instanceof NoWebGpuAdapterError)) throw error;
  console.log(
    `no WebGPU adapter here, so rnnc runs on its CPU backend. (${error.message.split("\n")[0]})`,
  );
  const executor = CpuPlanExecutor.create(planGraph(graph));
  backend = "CPU";
  run = () => executor.run(inputs, params);
}

await run(); // warm-up: pipelines and buffers
const started = performance.now();
const outputs = await run();
const elapsed = performance.now() - started;
release();

// The reference interpreter (float32) is the oracle every backend must equal.
const reference = evaluate(
  graph,
  {
    inputs: {
      x: tensor("float", [batch, steps, 10], x),
      "lengths.T": tensor("int", [batch], lengths),
    },
    params: Object.fromEntries(
      model.params.map((p) => [p.name, tensor("float", p.shape, params[p.name]!)]),
    ),
  },
  { precision: "float32" },
);
const prediction = outputs.prediction!.data;
let worst = 0;
for (let i = 0; i < prediction.length; i++)
  worst = Math.max(worst, Math.abs(prediction[i]! - reference.prediction!.data[i]!));

console.log(
  `ran on ${backend} in ${elapsed.toFixed(1)} ms; max difference from the reference interpreter ${worst.toExponential(1)}`,
);
console.log("predictions (Linear(128 -> 5) on each sequence's last step):");
for (let b = 0; b < batch; b++) {
  const row = Array.from(prediction.slice(b * 5, b * 5 + 5), (v) => v.toFixed(4).padStart(8));
  console.log(`  sequence ${b} (length ${String(lengths[b]).padStart(2)}): ${row.join(" ")}`);
}
if (worst > 1e-4) {
  console.error("the backend disagrees with the reference interpreter: this is a bug in rnnc");
  process.exit(1);
}
