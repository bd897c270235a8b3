/**
 * rnnc's two backends, as a user runs them:
 * - forward passes and decoding: the scan-form graph planned for WebGPU (scheduleWebGpu: the
 *   fused plan, or the naive one where a recurrence does not qualify) and run by PlanExecutor,
 *   or planned for the CPU (planCpu: generated JS kernels) and run by CpuPlanExecutor;
 * - W4: the bundle's stream API (a bundle written at batch 1, BundleModel.stream().step), the
 *   recurrent state carried on the device / in the executor between steps;
 * - W5: TrainingEngine (cpuRunner / webGpuRunner) under runtime/train's Trainer with Adam.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFiles, writeBundleDir } from "../../compiler/bundle/write.ts";
import { planCpu } from "../../compiler/codegen/js/plan-cpu.ts";
import { scheduleWebGpu } from "../../compiler/codegen/wgsl/schedule.ts";
import { cpuRunner, TrainingEngine, webGpuRunner } from "../../compiler/driver/training-engine.ts";
import { compileModel } from "../../compiler/pipeline.ts";
import { BundleModel } from "../../runtime/bundle/model.ts";
import { CpuPlanExecutor } from "../../runtime/cpu/executor.ts";
import type { Batch } from "../../runtime/train/trainer.ts";
import { Trainer } from "../../runtime/train/trainer.ts";
import { PlanExecutor } from "../../runtime/webgpu/executor.ts";
import type { HostArray } from "../../runtime/webgpu/plan-io.ts";
import type { Plan } from "../../runtime/webgpu/plan.ts";
import type { Tensor } from "../../runtime/weights/safetensors.ts";
import { modelOf, SEED, type Workload } from "../workloads.ts";
import type { BenchContext, Prepared, System } from "./types.ts";

type Backend = "webgpu" | "cpu";

function planOf(w: Workload, backend: Backend): { plan: Plan; note: string } {
  const scanForm = compileModel(modelOf(w), {
    batch: w.batch,
    steps: { [w.timeAxis]: w.steps },
    mode: "infer",
    seed: SEED,
    until: "hoist-input-projections",
  });
  if (backend === "cpu") return { plan: planCpu(scanForm), note: "" };
  const schedule = scheduleWebGpu(scanForm);
  return {
    plan: schedule.plan,
    note: schedule.kind === "fused" ? "" : `naive schedule (${schedule.reason})`,
  };
}

function planInputs(plan: Plan, ctx: BenchContext): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  for (const name of Object.keys(plan.inputs)) {
    const given = ctx.inputs[name];
    if (!given) throw new Error(`internal: no bench input for plan input ${name}`);
    out[name] = given.data;
  }
  return out;
}

function params(ctx: BenchContext): Record<string, Float32Array> {
  return Object.fromEntries(ctx.weights);
}

async function forward(ctx: BenchContext, backend: Backend): Promise<Prepared> {
  const { plan, note } = planOf(ctx.workload, backend);
  const output = modelOf(ctx.workload).outputs[0]!.name;
  const inputs = planInputs(plan, ctx);
  const weights = Object.fromEntries(Object.keys(plan.params).map((n) => [n, ctx.weights.get(n)!]));
  const executor =
    backend === "cpu"
      ? CpuPlanExecutor.create(plan)
      : await PlanExecutor.create(ctx.device!, plan, { label: `bench ${ctx.workload.id}` });
  executor.setParams(weights);
  const run = async () => (await executor.run(inputs))[output]!.data;
  const dispatches = `${executor.dispatchCount} dispatches`;
  return {
    check: run,
    run,
    dispose: () => (executor instanceof PlanExecutor ? executor.destroy() : undefined),
    note: note ? `${note}; ${dispatches}` : dispatches,
  };
}

async function stream(ctx: BenchContext, backend: Backend): Promise<Prepared> {
  const w = ctx.workload;
  const model = modelOf(w);
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  const weights = new Map<string, Tensor>();
  for (const [name, data] of ctx.weights)
    weights.set(name, { dtype: "F32", shape: [...shapes.get(name)!], data });
  const dir = mkdtempSync(join(tmpdir(), "rnnc-bench-"));
  const files = await bundleFiles(model, {
    limits: { batch: 1, steps: { [w.timeAxis]: 1 } },
    weights,
    source: w.spec,
  });
  writeBundleDir(join(dir, "bundle"), files);
  const bundle = await BundleModel.load(join(dir, "bundle"), {
    backend,
    ...(backend === "webgpu" ? { device: ctx.device! } : {}),
  });
  const x = ctx.inputs[w.inputName]!;
  const stepInput = { [w.inputName]: { shape: [1, x.shape[2]!], data: x.data } };
  const s = bundle.stream();
  const output = bundle.manifest.outputs[0]!.name;
  return {
    async check() {
      await s.reset();
      let last: Awaited<ReturnType<typeof s.step>> | undefined;
      for (let i = 0; i < 3; i++) last = await s.step(stepInput);
      return last![output]!.data;
    },
    run: () => s.step(stepInput),
    dispose() {
      bundle.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
    note: "bundle stream API",
  };
}

async function train(ctx: BenchContext, backend: Backend): Promise<Prepared> {
  const w = ctx.workload;
  const model = modelOf(w);
  const shapes = new Map(model.params.map((p) => [p.name, p.shape] as const));
  const batch: Batch = {
    inputs: new Map(
      Object.entries(ctx.inputs)
        .filter(([name]) => !name.startsWith("lengths."))
        .map(([name, t]) => [
          name,
          { dtype: t.data instanceof Int32Array ? "int" : "float", shape: t.shape, data: t.data },
        ]),
    ),
    lengths: { [w.timeAxis]: new Array(w.batch).fill(w.steps) },
  };
  const engine = new TrainingEngine(
    model,
    backend === "cpu" ? cpuRunner : webGpuRunner(ctx.device!),
    { seed: SEED },
  );
  const trainer = () =>
    new Trainer(
      engine,
      new Map([...ctx.weights].map(([n, d]) => [n, Float32Array.from(d)])),
      shapes,
      { optimizer: { kind: "adam", lr: 1e-3 } },
    );
  let current = trainer();
  return {
    async check() {
      const fresh = trainer();
      const first = await fresh.stepAsync(batch);
      const second = await fresh.stepAsync(batch);
      return [first.loss, second.loss];
    },
    run: () => current.stepAsync(batch),
    note: "TrainingEngine + Trainer (Adam), params float32 on the host",
  };
}

function rnncSystem(backend: Backend): System {
  return {
    id: `rnnc-${backend}`,
    label: backend === "webgpu" ? "rnnc WebGPU" : "rnnc CPU",
    async prepare(ctx) {
      if (backend === "webgpu" && !ctx.device) return "no WebGPU adapter";
      switch (ctx.workload.mode) {
        case "forward":
        case "decode":
          return forward(ctx, backend);
        case "stream":
          return stream(ctx, backend);
        case "train":
          return train(ctx, backend);
      }
    },
  };
}

export const RNNC_SYSTEMS: readonly System[] = [rnncSystem("webgpu"), rnncSystem("cpu")];
