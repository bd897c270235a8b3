// Acquiring a WebGPU device for compute, the same way in Node (Dawn, `webgpu` package) and in a
// browser (navigator.gpu). Everything the compiler and executor need to know about the adapter
// (limits, optional features) is read here once and handed back as plain data.

/** The limits a compute compiler plans around: workgroup shapes, shared memory, buffer sizes. */
export const COMPUTE_LIMITS = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxStorageBuffersPerShaderStage",
  "maxUniformBufferBindingSize",
  "maxUniformBuffersPerShaderStage",
  "maxBindGroups",
  "maxBindingsPerBindGroup",
  "minStorageBufferOffsetAlignment",
  "minUniformBufferOffsetAlignment",
] as const;

export type ComputeLimitName = (typeof COMPUTE_LIMITS)[number];
export type ComputeLimits = Record<ComputeLimitName, number>;

/** Features used when the adapter has them; kernels check `features` before relying on one. */
export const DEFAULT_OPTIONAL_FEATURES: readonly GPUFeatureName[] = [
  "shader-f16",
  "subgroups",
  "timestamp-query",
];

export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (lavapipe, SwiftShader, WARP): correct, but timings are CPU times. */
  isFallbackAdapter: boolean;
  backend: "dawn-node" | "browser";
}

export interface AcquireDeviceOptions {
  powerPreference?: GPUPowerPreference;
  /**
   * Overrides of the limits requested from the adapter. By default every limit in
   * COMPUTE_LIMITS is requested at the adapter's best value rather than WebGPU's defaults
   * (e.g. 16 KiB workgroup memory, 8 storage buffers per stage), which would make a persistent
   * recurrence or a fused kernel with many operands fail on hardware that could run it.
   */
  requiredLimits?: Partial<ComputeLimits>;
  /** Features to enable when the adapter has them (default DEFAULT_OPTIONAL_FEATURES). */
  optionalFeatures?: readonly GPUFeatureName[];
  label?: string;
  /** Called when the device is lost for any reason but destroy(); default: console.error. */
  onLost?: (info: GPUDeviceLostInfo) => void;
  /** Called for errors no error scope caught; default: console.error. */
  onUncapturedError?: (error: GPUError) => void;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapterInfo: WebGpuAdapterInfo;
  /** What this device allows (not the WebGPU defaults): plan kernels against these. */
  limits: ComputeLimits;
  /** The optional features enabled on this device. */
  features: readonly GPUFeatureName[];
}

/** No WebGPU adapter on this machine; the message says how to get one. */
export class NoWebGpuAdapterError extends Error {
  override readonly name = "NoWebGpuAdapterError";

  constructor(backend: WebGpuAdapterInfo["backend"], options?: ErrorOptions) {
    const problem =
      options?.cause === undefined
        ? "found no Vulkan driver"
        : `could not be loaded (${messageOf(options.cause)})`;
    super(
      backend === "browser"
        ? "No WebGPU adapter: this browser has WebGPU turned off or unsupported. Use a " +
            "WebGPU-capable browser (recent Chrome, Edge, Safari or Firefox), or the CPU backend."
        : `No WebGPU adapter: Dawn (the \`webgpu\` package) ${problem}. ` +
            "On Debian bookworm, add bookworm-backports and run `apt-get install -t " +
            "bookworm-backports libvulkan1 mesa-vulkan-drivers` (or run `.ci/setup-system` as " +
            "root); Mesa >= 24 is needed. Set XDG_RUNTIME_DIR to a writable 0700 folder. Or use " +
            "the CPU backend.",
      options,
    );
  }
}

/** Requests an adapter and a compute-ready device; throws NoWebGpuAdapterError when none exists. */
export async function acquireDevice(options: AcquireDeviceOptions = {}): Promise<AcquiredDevice> {
  const { gpu, backend } = await locateGpu();
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) throw new NoWebGpuAdapterError(backend);

  const requiredLimits: Record<string, number> = {};
  for (const name of COMPUTE_LIMITS) {
    const value = options.requiredLimits?.[name] ?? adapter.limits[name];
    // Older implementations may lack a limit; asking for an unknown one fails the request.
    if (typeof value === "number") requiredLimits[name] = value;
  }
  const wanted = options.optionalFeatures ?? DEFAULT_OPTIONAL_FEATURES;
  const features = wanted.filter((f) => adapter.features.has(f));

  const label = options.label ?? "rnnc";
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label, requiredLimits, requiredFeatures: features });
  } catch (cause) {
    throw new Error(
      `WebGPU requestDevice failed for "${label}" with limits ${JSON.stringify(requiredLimits)} ` +
        `and features [${features.join(", ")}]: ${messageOf(cause)}`,
      { cause },
    );
  }
  watch(device, label, options);

  const info = adapter.info as Partial<GPUAdapterInfo> | undefined; // absent before Chrome 127
  return {
    device,
    adapterInfo: {
      vendor: info?.vendor ?? "",
      architecture: info?.architecture ?? "",
      device: info?.device ?? "",
      description: info?.description ?? "",
      isFallbackAdapter: info?.isFallbackAdapter ?? false,
      backend,
    },
    limits: readLimits(device.limits),
    features,
  };
}

let available: Promise<boolean> | undefined;

/** Whether an adapter exists, for choosing between the WebGPU and CPU backends. Cached; never throws. */
export function webGpuAvailable(): Promise<boolean> {
  available ??= locateGpu()
    .then(({ gpu }) => gpu.requestAdapter())
    .then((adapter) => adapter !== null)
    .catch(() => false);
  return available;
}

/** A one-line description of a GPUError, naming its kind (validation, out-of-memory, internal). */
export function describeGpuError(error: GPUError, label = "rnnc"): string {
  const kind =
    typeof GPUValidationError !== "undefined" && error instanceof GPUValidationError
      ? "validation error"
      : typeof GPUOutOfMemoryError !== "undefined" && error instanceof GPUOutOfMemoryError
        ? "out of memory"
        : typeof GPUInternalError !== "undefined" && error instanceof GPUInternalError
          ? "internal error"
          : "error";
  return `WebGPU ${kind} on device "${label}": ${error.message.trim()}`;
}

async function locateGpu(): Promise<{ gpu: GPU; backend: WebGpuAdapterInfo["backend"] }> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu) return { gpu: navigatorGpu, backend: "browser" };
  try {
    const { nodeGpu } = await import("./node-gpu.ts");
    return { gpu: await nodeGpu(), backend: "dawn-node" };
  } catch (cause) {
    // The `webgpu` package is missing, or its native addon does not load on this platform.
    throw new NoWebGpuAdapterError("dawn-node", { cause });
  }
}

// Device loss and uncaptured errors are asynchronous: by default Dawn prints them to stderr and
// browsers to the console, and nothing fails, so a broken kernel shows up only as wrong numbers.
// Here they go to the caller (tests fail on them) or at least say which device and what kind.
function watch(device: GPUDevice, label: string, options: AcquireDeviceOptions): void {
  void device.lost.then((info) => {
    if (info.reason === "destroyed") return; // destroy() was called on purpose
    if (options.onLost) options.onLost(info);
    else console.error(`WebGPU device "${label}" lost (${info.reason}): ${info.message}`);
  });
  device.addEventListener("uncapturederror", (event) => {
    const { error } = event as GPUUncapturedErrorEvent;
    event.preventDefault(); // browsers would log it a second time
    if (options.onUncapturedError) options.onUncapturedError(error);
    else console.error(describeGpuError(error, label));
  });
}

function readLimits(limits: GPUSupportedLimits): ComputeLimits {
  const out = {} as ComputeLimits;
  for (const name of COMPUTE_LIMITS) out[name] = limits[name] ?? 0;
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
