// WebGPU in Node: Dawn through the `webgpu` package. Only device.ts imports this file, and only
// when there is no navigator.gpu, so browser code paths never load it.
import { accessSync, constants, lstatSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type WebGpuModule = typeof import("webgpu");

let gpu: Promise<GPU> | undefined;

/** Dawn's GPU object for this process, created once: every create([]) builds a new Dawn instance. */
export function nodeGpu(): Promise<GPU> {
  if (!gpu) {
    gpu = createNodeGpu();
    // A failed attempt is not cached: the next call may come after the machine was fixed.
    gpu.catch(() => (gpu = undefined));
  }
  return gpu;
}

async function createNodeGpu(): Promise<GPU> {
  ensureXdgRuntimeDir();
  // A non-literal specifier keeps bundlers from following `webgpu` (a native addon) into a
  // browser bundle; Node resolves it from node_modules as usual.
  const specifier = "webgpu";
  const { create, globals } = (await import(/* @vite-ignore */ specifier)) as WebGpuModule;
  // Code written for browsers uses GPUBufferUsage, GPUMapMode, ... as globals; Dawn only
  // exports them. Never overwrite ones that exist (a second copy of the module, a polyfill).
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
    }
  }
  return create([]);
}

/**
 * Mesa's Vulkan drivers expect XDG_RUNTIME_DIR to name a writable, private folder; CI
 * containers and `sudo` shells often have none. Then use a per-user one under the temp folder
 * (the same one .ci/run makes), reused across processes since test workers are killed before
 * they could clean up after themselves.
 */
function ensureXdgRuntimeDir(): void {
  if (process.platform === "win32" || process.platform === "darwin") return; // no Mesa there
  const current = process.env.XDG_RUNTIME_DIR;
  if (current && isWritableDir(current)) return;
  process.env.XDG_RUNTIME_DIR = privateRuntimeDir();
}

function privateRuntimeDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = join(tmpdir(), `rnnc-runtime-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  // /tmp is shared: use a folder someone else made (or opened up) only if it is ours alone.
  const stats = lstatSync(dir);
  if (stats.isDirectory() && stats.uid === uid && (stats.mode & 0o077) === 0) return dir;
  return mkdtempSync(join(tmpdir(), "rnnc-runtime-")); // mkdtemp makes it 0700
}

function isWritableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
