// Every op of the IR inside a generated step kernel (compiler/codegen/js): each per-op case
// of test/support/op-cases.ts wrapped in a scan, its operands the step's states (the op runs
// every step) or its constants (the op runs once, before the steps), planned with planCpu in
// exact mode and run on the CPU executor: equal to the reference interpreter in float32
// within the cases' tolerances (in practice bit for bit).
import { describe, expect, it } from "vitest";
import { planCpu } from "../../../compiler/codegen/js/plan-cpu.ts";
import { expectClose, FLOAT_TOLERANCE, runOnReference } from "../wgsl/support.ts";
import { cases, TESTED, type Case } from "../../support/op-cases.ts";
import { insideScan, runPlan } from "./support.ts";

function check(c: Case, where: "variant" | "invariant"): void {
  const graph = insideScan(c.graph, where);
  const plan = planCpu(graph, { exact: true });
  expect(plan.shaders.some((s) => s.language === "js")).toBe(true);
  const want = runOnReference(graph, c.feeds);
  const got = runPlan(plan, c.feeds);
  for (const [name, w] of Object.entries(want))
    expectClose(`${c.label} (${name}, ${where})`, got[name], w, c.tol ?? FLOAT_TOLERANCE);
}

describe("every op inside a generated scan kernel matches the reference (float32)", () => {
  it.each(TESTED)("%s", (op) => {
    for (const c of cases(op)) {
      check(c, "variant");
      check(c, "invariant");
    }
  });
});
