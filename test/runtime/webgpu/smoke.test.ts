// Proves the WebGPU stack end to end: adapter, device, WGSL compilation, uniforms, workgroup
// memory and barriers, dispatch, read-back, each result checked against the CPU.
import { expect, it, vi } from "vitest";
import { acquireDevice, COMPUTE_LIMITS, describeGpuError } from "../../../runtime/webgpu/device.ts";
import { describeWebGpu } from "../../support/webgpu.ts";

describeWebGpu("webgpu smoke", (gpu) => {
  it("reports the adapter and the compute limits it granted", () => {
    const { adapterInfo, limits, features } = gpu();
    expect(adapterInfo.backend).toBe("dawn-node");
    // Browsers may blank vendor/architecture for privacy; Dawn fills in at least these.
    expect(adapterInfo.vendor.length + adapterInfo.description.length).toBeGreaterThan(0);
    for (const name of COMPUTE_LIMITS) {
      expect(Number.isInteger(limits[name]) && limits[name] > 0, name).toBe(true);
    }
    // At least WebGPU's defaults, which every kernel below relies on.
    expect(limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    expect(limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    expect(limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(8);
    expect(Array.isArray(features)).toBe(true);
  });

  it("computes y = a*x + b over 10,000 floats, leaving the padding untouched", async () => {
    const { device } = gpu();
    const n = 10_000;
    const pad = 64;
    const sentinel = 12345;
    const a = 0.75;
    const b = -3.5;
    // Multiples of 1/64 keep a*x + b exact in f32, with or without fused multiply-add.
    const x = Float32Array.from({ length: n }, (_, i) => (i - 5000) / 64);

    const params = new ArrayBuffer(16);
    new Float32Array(params, 0, 2).set([a, b]);
    new Uint32Array(params, 8, 1)[0] = n;
    const uniform = upload(device, params, GPUBufferUsage.UNIFORM);
    const xs = upload(device, x.buffer, GPUBufferUsage.STORAGE);
    const ys = upload(
      device,
      new Float32Array(n + pad).fill(sentinel).buffer,
      GPUBufferUsage.STORAGE,
    );

    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: {
        module: device.createShaderModule({
          code: /* wgsl */ `
            struct Params { a: f32, b: f32, n: u32 }
            @group(0) @binding(0) var<uniform> p: Params;
            @group(0) @binding(1) var<storage, read> x: array<f32>;
            @group(0) @binding(2) var<storage, read_write> y: array<f32>;

            @compute @workgroup_size(64)
            fn main(@builtin(global_invocation_id) id: vec3u) {
              if (id.x < p.n) { y[id.x] = p.a * x[id.x] + p.b; }
            }`,
        }),
      },
    });
    dispatch(device, pipeline, [uniform, xs, ys], Math.ceil(n / 64));
    const y = await readBack(device, ys);

    const wrong: string[] = [];
    for (let i = 0; i < n + pad && wrong.length < 5; i++) {
      const want = i < n ? a * x[i]! + b : sentinel;
      if (y[i] !== want) wrong.push(`y[${i}] = ${y[i]}, want ${want}`);
    }
    expect(wrong).toEqual([]);
    for (const buffer of [uniform, xs, ys]) buffer.destroy();
  });

  it("multiplies a 37x300 matrix by a vector, one workgroup of 64 per row", async () => {
    const { device } = gpu();
    const rows = 37;
    const cols = 300; // not a multiple of 64: every thread's stride loop ends differently
    const random = mulberry32(7);
    const w = Float32Array.from({ length: rows * cols }, () => random() * 2 - 1);
    const x = Float32Array.from({ length: cols }, () => random() * 2 - 1);

    const ws = upload(device, w.buffer, GPUBufferUsage.STORAGE);
    const xs = upload(device, x.buffer, GPUBufferUsage.STORAGE);
    const ys = upload(device, new Float32Array(rows).buffer, GPUBufferUsage.STORAGE);
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: {
        // The column count is a pipeline constant, as the compiler bakes model dimensions in.
        constants: { COLS: cols },
        module: device.createShaderModule({
          code: /* wgsl */ `
            override COLS: u32;
            @group(0) @binding(0) var<storage, read> w: array<f32>;
            @group(0) @binding(1) var<storage, read> x: array<f32>;
            @group(0) @binding(2) var<storage, read_write> y: array<f32>;
            var<workgroup> partial: array<f32, 64>;

            @compute @workgroup_size(64)
            fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
              let row = wg.x;
              var sum = 0.0;
              for (var k = lid; k < COLS; k += 64u) { sum += w[row * COLS + k] * x[k]; }
              partial[lid] = sum;
              workgroupBarrier();
              for (var half = 32u; half > 0u; half >>= 1u) {
                if (lid < half) { partial[lid] += partial[lid + half]; }
                workgroupBarrier();
              }
              if (lid == 0u) { y[row] = partial[0]; }
            }`,
        }),
      },
    });
    dispatch(device, pipeline, [ws, xs, ys], rows);
    const y = await readBack(device, ys);

    for (let r = 0; r < rows; r++) {
      let want = 0;
      let scale = 0; // float32 rounding error grows with the sum of |terms|
      for (let k = 0; k < cols; k++) {
        want += w[r * cols + k]! * x[k]!;
        scale += Math.abs(w[r * cols + k]! * x[k]!);
      }
      expect(Math.abs(y[r]! - want), `row ${r}: ${y[r]} vs ${want}`).toBeLessThanOrEqual(
        1e-6 * scale + 1e-7,
      );
    }
    for (const buffer of [ws, xs, ys]) buffer.destroy();
  });

  it("reports a bad kernel as a readable validation error", async () => {
    let report: (message: string) => void = () => {};
    const reported = new Promise<string>((resolve) => (report = resolve));
    const { device } = await acquireDevice({
      label: "bad-kernel",
      onUncapturedError: (error) => report(describeGpuError(error, "bad-kernel")),
    });
    try {
      device.createShaderModule({ code: "fn main( {" });
      const message = await withTimeout(reported, 5000);
      expect(message).toMatch(/^WebGPU validation error on device "bad-kernel": [^]*expected/);
    } finally {
      device.destroy();
    }
  });

  it("says nothing when a device is destroyed on purpose", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { device } = await acquireDevice({ label: "destroyed-on-purpose" });
      device.destroy();
      expect((await device.lost).reason).toBe("destroyed");
      await new Promise((resolve) => setTimeout(resolve, 10)); // let the lost handler run too
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });
});

function upload(device: GPUDevice, data: ArrayBufferLike, usage: number): GPUBuffer {
  const buffer = device.createBuffer({
    size: data.byteLength,
    usage: usage | GPUBufferUsage.COPY_SRC,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
  buffer.unmap();
  return buffer;
}

function dispatch(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: GPUBuffer[],
  groups: number,
): void {
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(groups);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

async function readBack(device: GPUDevice, source: GPUBuffer): Promise<Float32Array> {
  const staging = device.createBuffer({
    size: source.size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing arrived within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
