/**
 * Compute pipelines cached per device by a hash of the exact WGSL source (plus entry point and
 * binding layout). A hit is confirmed by comparing the source itself, so a hash collision
 * can never hand back a stale pipeline. Shader compiles cost tens of milliseconds each on
 * software adapters, so every executor on a device shares one cache.
 */
import { UNIFORM_WORDS, type BindingAccess, type PlanShader } from "./plan.ts";

/** FNV-1a over UTF-16 code units, two independent 32-bit lanes: 16 hex digits. */
export function sourceHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

interface Entry {
  readonly code: string;
  readonly entryPoint: string;
  readonly layoutKey: string;
  readonly pipeline: Promise<GPUComputePipeline>;
}

export class PipelineCache {
  private readonly entries = new Map<string, Entry[]>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  /** Pipelines compiled so far (cache misses). */
  compiled = 0;

  constructor(readonly device: GPUDevice) {}

  /** The bind group layout for binding 0 = uniform block, then storage bindings by access. */
  bindGroupLayout(access: readonly BindingAccess[]): GPUBindGroupLayout {
    const key = access.join(",");
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: `rnnc layout [uniform, ${key}]`,
        entries: [
          {
            binding: 0,
            visibility: GPUShaderStage.COMPUTE,
            buffer: { type: "uniform", minBindingSize: UNIFORM_WORDS * 4 },
          },
          ...access.map((a, k): GPUBindGroupLayoutEntry => ({
            binding: k + 1,
            visibility: GPUShaderStage.COMPUTE,
            buffer: { type: a === "read" ? "read-only-storage" : "storage" },
          })),
        ],
      });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /** The shader's pipeline, compiled once per device. */
  pipeline(shader: PlanShader): Promise<GPUComputePipeline> {
    const hash = sourceHash(shader.code);
    const layoutKey = shader.layout.join(",");
    const bucket = this.entries.get(hash) ?? [];
    const hit = bucket.find(
      (e) =>
        e.code === shader.code && e.entryPoint === shader.entryPoint && e.layoutKey === layoutKey,
    );
    if (hit) return hit.pipeline;
    this.compiled++;
    const pipeline = this.compile(shader, hash);
    bucket.push({ code: shader.code, entryPoint: shader.entryPoint, layoutKey, pipeline });
    this.entries.set(hash, bucket);
    // A failed compile is not cached: the caller sees the error, a later call retries.
    pipeline.catch(() => {
      const list = this.entries.get(hash);
      const at = list?.findIndex((e) => e.pipeline === pipeline) ?? -1;
      if (list && at >= 0) list.splice(at, 1);
    });
    return pipeline;
  }

  private async compile(shader: PlanShader, hash: string): Promise<GPUComputePipeline> {
    const label = `rnnc ${shader.name} ${hash}`;
    const module = this.device.createShaderModule({ label, code: shader.code });
    try {
      return await this.device.createComputePipelineAsync({
        label,
        layout: this.device.createPipelineLayout({
          label,
          bindGroupLayouts: [this.bindGroupLayout(shader.layout)],
        }),
        compute: { module, entryPoint: shader.entryPoint },
      });
    } catch (cause) {
      const info = await module.getCompilationInfo();
      const messages = info.messages.map(
        (m) => `  ${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`,
      );
      throw new Error(
        `WebGPU could not build kernel '${shader.name}' (${hash}): ${cause instanceof Error ? cause.message : String(cause)}` +
          (messages.length > 0 ? `\n${messages.join("\n")}` : ""),
        { cause },
      );
    }
  }
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

/** The device's shared pipeline cache. */
export function pipelineCacheFor(device: GPUDevice): PipelineCache {
  let cache = caches.get(device);
  if (!cache) {
    cache = new PipelineCache(device);
    caches.set(device, cache);
  }
  return cache;
}
