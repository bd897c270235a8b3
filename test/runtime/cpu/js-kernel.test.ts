// Generated JavaScript kernels in the CPU executor (runtime/cpu/js-kernel.ts): a plan shader
// with language "js" is built once and bound per dispatch; broken code is a bad plan
// (RNN4305), not a crash at run time.
import { describe, expect, it } from "vitest";
import { CpuPlanExecutor, ExecutorError } from "../../../runtime/cpu/executor.ts";
import { PLAN_VERSION, type Plan, type PlanShader } from "../../../runtime/webgpu/plan.ts";

/** y = 2 * x + step count, written as a generated kernel would be. */
function plan(code: string): Plan {
  const shader: PlanShader = {
    name: "js_test",
    code,
    entryPoint: "run",
    layout: ["read", "read_write"],
    language: "js",
  };
  const buffer = (id: number, role: "input" | "output", name: string) => ({
    id,
    byteSize: 12,
    dtype: "f32" as const,
    role,
    shape: [3],
    name,
  });
  return {
    version: PLAN_VERSION,
    buffers: [buffer(0, "input", "x"), buffer(1, "output", "y"), buffer(2, "output", "z")],
    shaders: [shader],
    dispatches: [
      { shader: 0, buffers: [0, 1], uniforms: [], workgroups: [1, 1, 1], label: "one" },
      { shader: 0, buffers: [1, 2], uniforms: [], workgroups: [1, 1, 1], label: "two" },
    ],
    inputs: { x: { buffer: 0, shape: [3], dtype: "f32", required: true } },
    params: {},
    outputs: {
      y: { buffer: 1, shape: [3], dtype: "f32" },
      z: { buffer: 2, shape: [3], dtype: "f32" },
    },
  };
}

const DOUBLE = `
const x = buffers[0].f32;
const y = buffers[1].f32;
return function run() {
  for (let i = 0; i < 3; i++) y[i] = 2 * x[i];
};`;

describe("generated JavaScript kernels on the CPU executor", () => {
  it("binds one shader to each of its dispatches", () => {
    const out = CpuPlanExecutor.create(plan(DOUBLE)).runSync({ x: Float32Array.from([1, 2, 3]) });
    expect(Array.from(out.y!.data)).toEqual([2, 4, 6]);
    expect(Array.from(out.z!.data)).toEqual([4, 8, 12]);
  });

  it("refuses code that does not compile or builds no run function (RNN4305)", () => {
    for (const code of ["return function run( {", "return 1;"]) {
      expect(() => CpuPlanExecutor.create(plan(code))).toThrow(ExecutorError);
      expect(() => CpuPlanExecutor.create(plan(code))).toThrow(/RNN4305: invalid plan: /);
    }
  });
});
