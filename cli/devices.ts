/**
 * `rnnc devices`: which backend rnnc will use here. Prints the WebGPU adapter (name, limits,
 * features) or, when there is none, says the CPU backend will be used and how to get WebGPU.
 * With `--require` a missing adapter is an error (CI uses this before the WebGPU tests).
 */
import { acquireDevice, NoWebGpuAdapterError } from "../runtime/webgpu/device.ts";
import type { Output } from "./check.ts";

export async function runDevices(options: { require?: boolean }, io: Output): Promise<number> {
  try {
    const { device, adapterInfo, limits, features } = await acquireDevice({
      label: "rnnc devices",
    });
    const { backend, vendor, architecture, device: name, description } = adapterInfo;
    const software = adapterInfo.isFallbackAdapter ? ", software: timings are CPU times" : "";
    io.out(`WebGPU adapter (${backend}${software}): ${vendor} / ${architecture} / ${name}`);
    io.out(`  ${description}`);
    io.out(
      `  limits: ${Object.entries(limits)
        .map(([key, value]) => `${key}=${value}`)
        .join(" ")}`,
    );
    io.out(`  optional features: ${features.join(", ") || "none"}`);
    device.destroy();
    return 0;
  } catch (error) {
    if (!(error instanceof NoWebGpuAdapterError)) throw error;
    if (options.require) {
      io.err(error.message);
      return 1;
    }
    io.out("no WebGPU adapter: rnnc will run on its CPU backend.");
    io.out(error.message);
    return 0;
  }
}
