/** The machine, adapter and versions the report states. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, totalmem, type } from "node:os";
import type { WebGpuAdapterInfo } from "../runtime/webgpu/device.ts";
import { torchVersion } from "./systems/torch.ts";

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly adapter: WebGpuAdapterInfo | undefined;
  readonly versions: Readonly<Record<string, string>>;
  /** 1-minute load average when the report was written, and other busy processes. */
  readonly load: number;
  readonly busy: readonly string[];
  readonly commit: string;
}

const ROOT = new URL("../", import.meta.url);

function packageVersion(name: string): string {
  try {
    const json = JSON.parse(
      readFileSync(new URL(`node_modules/${name}/package.json`, ROOT), "utf8"),
    );
    return String(json.version);
  } catch {
    return "not installed";
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? "unknown";
}

function flags(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("flags"));
    const have = new Set(line?.split(":")[1]?.trim().split(" ") ?? []);
    return ["avx2", "fma", "avx512f"].filter((f) => have.has(f)).join(", ");
  } catch {
    return "";
  }
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}

/** Processes other than this one using a noticeable share of a CPU. */
function busyProcesses(): string[] {
  const out = run("ps", ["-eo", "pid,pcpu,comm", "--sort=-pcpu", "--no-headers"]);
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(
      ([pid, pcpu, comm]) => Number(pid) !== process.pid && comm !== "ps" && Number(pcpu) >= 20,
    )
    .slice(0, 6)
    .map(([, pcpu, comm]) => `${comm} (${pcpu}% CPU)`);
}

export async function machineInfo(adapter: WebGpuAdapterInfo | undefined): Promise<MachineInfo> {
  const simd = flags();
  const rnnc = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")).version as string;
  return {
    cpu: simd ? `${cpuModel()} (${simd})` : cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    adapter,
    versions: {
      rnnc,
      webgpu: packageVersion("webgpu"),
      "onnxruntime-node": packageVersion("onnxruntime-node"),
      "onnxruntime-web": packageVersion("onnxruntime-web"),
      "@tensorflow/tfjs": packageVersion("@tensorflow/tfjs"),
      "@tensorflow/tfjs-backend-wasm": packageVersion("@tensorflow/tfjs-backend-wasm"),
      "@tensorflow/tfjs-backend-webgpu": packageVersion("@tensorflow/tfjs-backend-webgpu"),
      torch: (await torchVersion()) ?? "not found",
    },
    load: loadavg()[0]!,
    busy: busyProcesses(),
    commit: run("git", ["rev-parse", "--short", "HEAD"]),
  };
}
