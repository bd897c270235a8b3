// Prints the WebGPU adapter this machine gives rnnc, so CI logs say what the GPU tests ran on.
// Exits 1 with NoWebGpuAdapterError's advice when there is none.
import { acquireDevice, NoWebGpuAdapterError } from "../runtime/webgpu/device.ts";

try {
  const { device, adapterInfo, limits, features } = await acquireDevice({ label: "print-adapter" });
  const { backend, vendor, architecture, device: name, description } = adapterInfo;
  const software = adapterInfo.isFallbackAdapter ? ", software: timings are CPU times" : "";
  const limitList = Object.entries(limits).map(([key, value]) => `${key}=${value}`);
  console.log(`WebGPU adapter (${backend}${software}): ${vendor} / ${architecture} / ${name}`);
  console.log(`  ${description}`);
  console.log(`  limits: ${limitList.join(" ")}`);
  console.log(`  optional features: ${features.join(", ") || "none"}`);
  device.destroy();
} catch (error) {
  if (!(error instanceof NoWebGpuAdapterError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
