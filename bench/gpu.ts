/**
 * One WebGPU device for every WebGPU system: rnnc's own (acquireDevice: the adapter's best
 * limits), handed to onnxruntime-web (env.webgpu.device) and tfjs-backend-webgpu (its backend
 * constructed on it), so all of them run on the same Dawn adapter and device.
 *
 * Shims for the peers in Node: `navigator.gpu` (tfjs looks for it), and a copy before
 * `queue.writeBuffer` when the data is a view of a SharedArrayBuffer (ORT's threaded wasm heap;
 * Dawn in Node rejects such views with "Invalid argument").
 */
import { acquireDevice, type WebGpuAdapterInfo } from "../runtime/webgpu/device.ts";
import { nodeGpu } from "../runtime/webgpu/node-gpu.ts";

export interface SharedGpu {
  readonly device: GPUDevice;
  readonly info: WebGpuAdapterInfo;
}

function patchWriteBuffer(queue: GPUQueue): void {
  const proto = Object.getPrototypeOf(queue) as GPUQueue & { __benchPatched?: boolean };
  if (proto.__benchPatched) return;
  const original = proto.writeBuffer;
  proto.writeBuffer = function (
    this: GPUQueue,
    buffer: GPUBuffer,
    offset: number,
    data: BufferSource | SharedArrayBuffer,
    dataOffset?: number,
    size?: number,
  ) {
    let source: unknown = data;
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
      const Ctor = data.constructor as new (b: ArrayBuffer) => ArrayBufferView;
      source = data instanceof DataView ? new DataView(bytes.buffer) : new Ctor(bytes.buffer);
    } else if (data instanceof SharedArrayBuffer) {
      source = new Uint8Array(data).slice().buffer;
    }
    return original.call(this, buffer, offset, source as BufferSource, dataOffset, size);
  } as GPUQueue["writeBuffer"];
  proto.__benchPatched = true;
}

/** The shared device, or the reason there is none. */
export async function sharedGpu(): Promise<SharedGpu | string> {
  try {
    const acquired = await acquireDevice({
      label: "rnnc bench",
      onUncapturedError: (e) => console.error(`WebGPU error: ${e.message}`),
    });
    const gpu = await nodeGpu();
    if (
      !("navigator" in globalThis) ||
      !(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu
    ) {
      Object.defineProperty(globalThis, "navigator", {
        value: { gpu, userAgent: "node", hardwareConcurrency: 2 },
        configurable: true,
        writable: true,
      });
    }
    patchWriteBuffer(acquired.device.queue);
    return { device: acquired.device, info: acquired.adapterInfo };
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
