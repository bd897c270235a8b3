// The CPU plan (compiler/codegen/js planCpu: one generated kernel per recurrence) on every
// model of the conformance suite — every PyTorch fixture, every stdlib cell (1 layer, and 2
// layers bidirectional, variable lengths), every example model, the decoders under greedy,
// beam and sampling search — run on the CPU executor against the reference interpreter in
// float32: within 1e-4 (test/conformance/compare.ts; fast matmuls), and bit for bit with
// exact matmuls. Also: the dispatches of the textbook LSTM do not grow with the steps, and
// the WebGPU executor refuses a plan with JavaScript kernels.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { planCpu } from "../../../compiler/codegen/js/plan-cpu.ts";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { checkPlan, ExecutorError } from "../../../runtime/webgpu/plan-io.ts";
import { conformanceCases, EXAMPLES_DIR } from "../../conformance/cases.ts";
import { compareOutputs } from "../../conformance/compare.ts";
import { checkOk } from "../../support/check.ts";
import { runOnReference } from "../wgsl/support.ts";
import { runPlanned } from "./support.ts";

const CASES = conformanceCases().filter((c) => c.group !== "backward");

describe("planCpu on every conformance model (float32 reference)", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const prepared = c.prepare();
    const scanForm = prepared.scanForm!;
    expect(scanForm.nodes.some((n) => n.op === "scan")).toBe(true);
    const want = runOnReference(prepared.graph, prepared.feeds);
    const fast = compareOutputs(runPlanned(scanForm, prepared.feeds), want, prepared);
    expect(fast.failures).toEqual([]);
    const exact = runPlanned(scanForm, prepared.feeds, { exact: true });
    for (const [name, w] of Object.entries(want))
      expect(Array.from(exact[name]!.data), name).toEqual(Array.from(w.data));
  });
});

function textbook(): CheckedModel {
  return checkOk(readFileSync(new URL("textbook.rnn", EXAMPLES_DIR), "utf8")).models[0]!;
}

function textbookPlan(steps: number) {
  const graph = compileModel(textbook(), {
    batch: 32,
    steps: { T: steps },
    mode: "infer",
    until: "hoist-input-projections",
  });
  return planCpu(graph);
}

describe("the CPU plan's schedule", () => {
  it("runs the textbook LSTM (batch 32, 100 steps) in a few dispatches, as many as at 10 steps", () => {
    const plan = textbookPlan(100);
    const scans = plan.dispatches.filter((d) => plan.shaders[d.shader]!.name === "js_scan");
    expect(scans).toHaveLength(2);
    expect(plan.dispatches.length).toBeLessThanOrEqual(40);
    expect(textbookPlan(10).dispatches.length).toBe(plan.dispatches.length);
    console.log(
      `textbook LSTM, batch 32, 100 steps: ${plan.dispatches.length} dispatches (${scans.length} generated scan kernels)`,
    );
  });

  it("is refused by the WebGPU executor's plan check, with a clear error", () => {
    const plan = textbookPlan(3);
    expect(() => checkPlan(plan)).toThrow(ExecutorError);
    expect(() => checkPlan(plan)).toThrow(/RNN4305: invalid plan: shader \d+ \(js_\w+\) is js/);
    expect(() => checkPlan(plan, ["wgsl", "js"])).not.toThrow();
  });
});
