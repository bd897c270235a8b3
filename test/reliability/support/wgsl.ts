/**
 * The WebGPU shader compiler as a judge of generated WGSL: `createShaderModule` inside a
 * validation error scope, then `getCompilationInfo`; optionally a compute pipeline too (which
 * checks the device's limits: workgroup size and storage, bindings). Any error message, or a
 * validation error caught by the scope, means rnnc emitted WGSL the device refuses.
 */
import type { Shader } from "./programs.ts";

/** The compiler's errors for `shader` on `device`: empty when it compiles. */
export async function wgslErrors(
  device: GPUDevice,
  shader: Shader,
  options: { pipeline?: boolean } = {},
): Promise<string[]> {
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code: shader.code });
  const info = await module.getCompilationInfo();
  const errors = info.messages
    .filter((m) => m.type === "error")
    .map((m) => `${m.lineNum}:${m.linePos}: ${m.message}`);
  if (options.pipeline && errors.length === 0) {
    try {
      await device.createComputePipelineAsync({
        layout: "auto",
        compute: { module, entryPoint: shader.entryPoint },
      });
    } catch (e) {
      errors.push(`pipeline: ${(e as Error).message}`);
    }
  }
  const scoped = await device.popErrorScope();
  if (scoped) errors.push(scoped.message);
  return errors;
}
