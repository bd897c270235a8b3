/**
 * The quick start (`npm start`): the textbook's LSTM (examples/textbook.rnn: 2 layers, hidden
 * 128, a Linear(128 -> 5) on the last step) checked, given initial weights from a seed, and
 * run on a batch of sequences of different lengths.
 *
 * Today the run uses the reference interpreter, the oracle the compiled backends are measured
 * against; the fused WebGPU and CPU kernels are the compiler's next stage. The device report
 * shows which backend those will use here.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkParsed, prelude } from "../compiler/check/index.ts";
import { renderDiagnostic } from "../dsl/diagnostic.ts";
import { parse } from "../dsl/parse.ts";
import { SourceFile } from "../dsl/source.ts";
import { runReference } from "../runtime/reference/run-model.ts";
import { tensor } from "../runtime/reference/tensor.ts";
import { acquireDevice, NoWebGpuAdapterError } from "../runtime/webgpu/device.ts";
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

try {
  const { device, adapterInfo } = await acquireDevice({ label: "quickstart" });
  console.log(
    `WebGPU adapter: ${adapterInfo.vendor} ${adapterInfo.device || adapterInfo.architecture} (${adapterInfo.backend})`,
  );
  device.destroy();
} catch (error) {
  if (!(error instanceof NoWebGpuAdapterError)) throw error;
  console.log("no WebGPU adapter here: rnnc falls back to its CPU backend.");
  console.log(`  (${error.message.split("\n")[0]})`);
}

// A batch of 4 sequences of 10 features (phase-shifted sine waves), 100 steps padded.
const batch = 4;
const steps = 100;
const lengths = [100, 73, 41, 12];
const x = new Float64Array(batch * steps * 10);
for (let b = 0; b < batch; b++) {
  for (let t = 0; t < lengths[b]!; t++) {
    for (let f = 0; f < 10; f++) x[(b * steps + t) * 10 + f] = Math.sin(0.1 * t + f + b);
  }
}
const weights = initialWeights(model.params, 0);
const started = performance.now();
const { outputs } = runReference(
  model,
  {
    inputs: new Map([["x", tensor("float", [batch, steps, 10], x)]]),
    lengths: { T: lengths },
    weights,
  },
  { precision: "float32" },
);
const elapsed = performance.now() - started;
const prediction = outputs.prediction!;
console.log(
  `ran on the reference interpreter (float32) in ${elapsed.toFixed(0)} ms; predictions (Linear(128 -> 5) on each sequence's last step):`,
);
for (let b = 0; b < batch; b++) {
  const row = Array.from(prediction.data.slice(b * 5, b * 5 + 5), (v) => v.toFixed(4).padStart(8));
  console.log(`  sequence ${b} (length ${String(lengths[b]).padStart(3)}): ${row.join(" ")}`);
}
