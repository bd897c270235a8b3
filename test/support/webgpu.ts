// The one rule for tests that need WebGPU: on a machine without an adapter they are skipped
// with the reason, except in CI (CI=true) or with RNNC_REQUIRE_WEBGPU=1, where they fail with
// NoWebGpuAdapterError's message, so a broken CI image cannot pass by skipping everything.
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "vitest";
import {
  acquireDevice,
  describeGpuError,
  NoWebGpuAdapterError,
  type AcquireDeviceOptions,
  type AcquiredDevice,
} from "../../runtime/webgpu/device.ts";

export const webGpuRequired = process.env.CI === "true" || process.env.RNNC_REQUIRE_WEBGPU === "1";

let warned = false;

/**
 * A describe block whose tests share one device, acquired before the first test and destroyed
 * after the last. `gpu()` returns it inside tests. Any uncaptured WebGPU error (a validation
 * error from a bad kernel, say) fails the test during which it arrived.
 */
export function describeWebGpu(
  name: string,
  body: (gpu: () => AcquiredDevice) => void,
  options: Omit<AcquireDeviceOptions, "onUncapturedError"> = {},
): void {
  describe(name, () => {
    let acquired: AcquiredDevice | undefined;
    let skipReason: string | undefined;
    const errors: string[] = [];

    beforeAll(async () => {
      const label = options.label ?? `test: ${name}`;
      try {
        acquired = await acquireDevice({
          ...options,
          label,
          onUncapturedError: (error) => errors.push(describeGpuError(error, label)),
        });
      } catch (error) {
        if (!(error instanceof NoWebGpuAdapterError) || webGpuRequired) throw error;
        skipReason = "no WebGPU adapter (RNNC_REQUIRE_WEBGPU=1 makes this a failure)";
        if (!warned) console.warn(`WebGPU tests skipped: ${error.message}`);
        warned = true;
      }
    });
    beforeEach((context) => {
      errors.length = 0;
      if (skipReason) context.skip(skipReason);
    });
    afterEach(() => {
      if (errors.length > 0) throw new Error(errors.join("\n"));
    });
    afterAll(() => acquired?.device.destroy());

    body(() => {
      if (!acquired) throw new Error("describeWebGpu: gpu() called outside a test");
      return acquired;
    });
  });
}
