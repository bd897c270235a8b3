/**
 * onnxruntime: the native CPU build (onnxruntime-node), and onnxruntime-web's wasm build and
 * its WebGPU execution provider on the shared Dawn device. The models are bench/onnx/models.ts's.
 *
 * In Node, onnxruntime-web needs: the WebGPU bundle's .wasm bytes given in env.wasm.wasmBinary
 * (it would fetch a file: URL), one thread for the WebGPU provider (with two, session creation
 * fails with "fetch failed"), and the writeBuffer copy of bench/gpu.ts.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import type * as Ort from "onnxruntime-web";
import { onnxModel } from "../onnx/models.ts";
import type { BenchContext, Prepared, System, Values } from "./types.ts";

type Flavour = "node" | "web-wasm" | "web-webgpu";
type OrtModule = typeof Ort;

const require = createRequire(import.meta.url);
const loaded = new Map<Flavour, Promise<OrtModule>>();

async function load(flavour: Flavour, device: GPUDevice | undefined): Promise<OrtModule> {
  switch (flavour) {
    case "node":
      return (await import("onnxruntime-node")) as unknown as OrtModule;
    case "web-wasm": {
      const ort = (await import("onnxruntime-web")) as unknown as OrtModule;
      ort.env.wasm.numThreads = availableParallelism();
      return ort;
    }
    case "web-webgpu": {
      const ort = (await import("onnxruntime-web/webgpu")) as unknown as OrtModule;
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.wasmBinary = readFileSync(
        require.resolve("onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm"),
      );
      ort.env.webgpu.device = device!;
      return ort;
    }
  }
}

function ortOf(flavour: Flavour, device: GPUDevice | undefined): Promise<OrtModule> {
  let p = loaded.get(flavour);
  if (!p) loaded.set(flavour, (p = load(flavour, device)));
  return p;
}

function values(t: Ort.Tensor): Values {
  const d = t.data;
  if (d instanceof BigInt64Array) return Int32Array.from(d, (v) => Number(v));
  if (d instanceof Float32Array || d instanceof Int32Array) return d;
  throw new Error(`unexpected ORT output type ${t.type}`);
}

async function prepare(ctx: BenchContext, flavour: Flavour): Promise<Prepared | string> {
  const w = ctx.workload;
  if (flavour === "web-webgpu" && !ctx.device) return "no WebGPU adapter";
  const model = onnxModel(w, ctx.torch);
  if (typeof model === "string") return model;
  const ort = await ortOf(flavour, ctx.device);
  const stream = w.mode === "stream";
  const a = w.arch;
  const stateNames: string[] = [];
  if (stream && a.kind === "encoder")
    for (let l = 0; l < a.layers; l++)
      stateNames.push(`h${l}`, ...(a.cell === "gru" ? [] : [`c${l}`]));
  const options: Ort.InferenceSession.SessionOptions = {
    executionProviders: [flavour === "web-webgpu" ? "webgpu" : flavour === "node" ? "cpu" : "wasm"],
    graphOptimizationLevel: "all",
    logSeverityLevel: 3, // errors only: node placement notes would interleave with the results
  };
  if (flavour === "web-webgpu" && stream) {
    // The recurrent state stays on the device between steps, as rnnc's stream keeps it.
    options.preferredOutputLocation = Object.fromEntries([
      ["out", "cpu"],
      ...stateNames.map((n) => [`${n}_next`, "gpu-buffer"]),
    ]) as Record<string, Ort.Tensor.DataLocation>;
  }
  const session = await ort.InferenceSession.create(model, options);
  const given = ctx.inputs[w.inputName]!;
  const x =
    given.data instanceof Int32Array
      ? new ort.Tensor(
          "int64",
          BigInt64Array.from(given.data, (v) => BigInt(v)),
          [...given.shape],
        )
      : new ort.Tensor("float32", given.data, [...given.shape]);
  const threads =
    flavour === "node" ? "default intra-op threads" : `${ort.env.wasm.numThreads} thread(s)`;
  if (!stream) {
    const run = async () => values((await session.run({ x })).out!);
    return { check: run, run, dispose: () => session.release(), note: threads };
  }
  const H = a.kind === "encoder" ? a.hidden : 0;
  const zeros = () =>
    Object.fromEntries(
      stateNames.map((n) => [n, new ort.Tensor("float32", new Float32Array(H), [1, 1, H])]),
    );
  let state: Record<string, Ort.Tensor> = zeros();
  let onDevice = false;
  const step = async () => {
    const out = await session.run({ x, ...state });
    const next = Object.fromEntries(stateNames.map((n) => [n, out[`${n}_next`]!]));
    if (onDevice) for (const t of Object.values(state)) t.dispose();
    state = next;
    onDevice = flavour === "web-webgpu";
    return values(out.out!);
  };
  return {
    async check() {
      if (onDevice) for (const t of Object.values(state)) t.dispose();
      state = zeros();
      onDevice = false;
      let last: Values = [];
      for (let i = 0; i < 3; i++) last = await step();
      return last;
    },
    run: step,
    dispose: () => session.release(),
    note: flavour === "web-webgpu" ? `${threads}; state as gpu-buffer tensors` : threads,
  };
}

function ortSystem(flavour: Flavour, label: string): System {
  return { id: `ort-${flavour}`, label, prepare: (ctx) => prepare(ctx, flavour) };
}

export const ORT_SYSTEMS: readonly System[] = [
  ortSystem("node", "ORT node (native CPU)"),
  ortSystem("web-wasm", "ORT web wasm"),
  ortSystem("web-webgpu", "ORT web WebGPU"),
];
