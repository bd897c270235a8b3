/**
 * PyTorch (CPU), through bench/torch_bench.py in a child process, one per workload: the job
 * (workload, timing protocol, weights and inputs as raw float32/int32) is written to a temp
 * folder; the script checks, times and answers in JSON. Skipped with a note when no python3
 * with torch is found (RNNC_BENCH_PYTHON names one; else python3, then /usr/bin/python3).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchContext, Prepared, System } from "./types.ts";

const SCRIPT = fileURLToPath(new URL("../torch_bench.py", import.meta.url));

let found: { python: string; version: string } | null | undefined;

function findPython(): { python: string; version: string } | null {
  if (found !== undefined) return found;
  const candidates = [process.env.RNNC_BENCH_PYTHON, "python3", "/usr/bin/python3"].filter(
    (p): p is string => !!p,
  );
  found = null;
  for (const python of candidates) {
    try {
      const version = execFileSync(
        python,
        ["-c", "import torch, numpy; print(torch.__version__)"],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        },
      ).trim();
      found = { python, version };
      break;
    } catch {
      // try the next
    }
  }
  return found;
}

export async function torchVersion(): Promise<string | undefined> {
  return findPython()?.version;
}

/** Concatenates tensors into one buffer; returns it and each one's offset and shape. */
function pack(
  entries: Iterable<[string, { shape: readonly number[]; data: Float32Array | Int32Array }]>,
) {
  const index: Record<string, { offset: number; shape: readonly number[]; dtype: string }> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    index[name] = {
      offset,
      shape: t.shape,
      dtype: t.data instanceof Int32Array ? "int32" : "float32",
    };
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    offset += t.data.byteLength;
  }
  return { index, bytes: Buffer.concat(parts) };
}

interface Answer {
  readonly skipped?: string;
  readonly check?: number[];
  readonly dtype?: "int32" | "float32";
  readonly note?: string;
  readonly times?: number[];
  readonly warmup?: number;
  readonly capped?: boolean;
}

export const TORCH_SYSTEM: System = {
  id: "pytorch",
  label: "PyTorch (CPU)",
  async prepare(ctx: BenchContext): Promise<Prepared | string> {
    const py = findPython();
    if (!py) return "no python3 with torch and numpy here (set RNNC_BENCH_PYTHON)";
    const dir = mkdtempSync(join(tmpdir(), "rnnc-bench-torch-"));
    try {
      const weights = pack(ctx.torch);
      const inputs = pack(Object.entries(ctx.inputs));
      writeFileSync(join(dir, "weights.bin"), weights.bytes);
      writeFileSync(join(dir, "inputs.bin"), inputs.bytes);
      writeFileSync(
        join(dir, "job.json"),
        JSON.stringify({
          workload: ctx.workload,
          protocol: {
            runs: ctx.protocol.runs,
            warmup: ctx.protocol.warmup,
            cap: ctx.protocol.capSeconds,
            min_runs: ctx.protocol.minRuns,
          },
          weights: weights.index,
          inputs: inputs.index,
        }),
      );
      const result = spawnSync(py.python, [SCRIPT, dir], {
        encoding: "utf8",
        env: { ...process.env, OMP_WAIT_POLICY: "PASSIVE" },
        maxBuffer: 64 * 2 ** 20,
      });
      if (result.status !== 0)
        return `failed: ${(result.stderr || result.error?.message || "").trim().split("\n").at(-1)}`;
      const answer = JSON.parse(result.stdout) as Answer;
      if (answer.skipped) return answer.skipped;
      const check =
        answer.dtype === "int32"
          ? Int32Array.from(answer.check!)
          : Float32Array.from(answer.check!);
      return {
        check: async () => check,
        run: async () => {
          throw new Error("internal: PyTorch times itself");
        },
        timing: { times: answer.times!, warmup: answer.warmup!, capped: answer.capped! },
        note: `torch ${py.version}, ${answer.note}`,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
