/** bench/RESULTS.md (and RESULTS.json) from one run's cells. */
import { formatDifference } from "./compare.ts";
import type { BenchArgs, CellResult } from "./main.ts";
import type { MachineInfo } from "./machine.ts";
import { WORKLOADS, type Workload } from "./workloads.ts";

export interface ReportInput {
  readonly args: BenchArgs;
  readonly results: readonly CellResult[];
  readonly machine: MachineInfo;
  readonly started: Date;
  readonly finished: Date;
}

/** A time in the workload's unit, 3 significant digits. */
export function formatTime(ms: number, unit: Workload["unit"]): string {
  const v = unit === "µs" ? ms * 1000 : ms;
  if (v >= 1000) return Math.round(v).toLocaleString("en-US");
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** `system / rnnc`: above 1, rnnc is faster. */
export function formatRatio(system: number, rnnc: number | undefined): string {
  if (rnnc === undefined) return "—";
  const r = system / rnnc;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function gflops(flops: number, ms: number): string {
  const g = flops / ms / 1e6;
  return g >= 10 ? g.toFixed(0) : g >= 1 ? g.toFixed(1) : g.toFixed(2);
}

function escape(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The issue-7 targets, each measured in this run: met, missed, or not measured. */
function targets(input: ReportInput): string[] {
  const { results } = input;
  const median = (w: string, s: string) =>
    results.find((r) => r.workload === w && r.system === s)?.stats?.median;
  const rows: string[] = [];
  const verdict = (ok: boolean | undefined) =>
    ok === undefined ? "not measured" : ok ? "met" : "**missed**";
  const speedup = (w: string, peer: string, rnnc: string, want: number, what: string) => {
    const [p, r] = [median(w, peer), median(w, rnnc)];
    const got = p !== undefined && r !== undefined ? p / r : undefined;
    rows.push(
      `| ${what} | ${got === undefined ? "—" : `${got >= 10 ? got.toFixed(0) : got.toFixed(2)}×`} | ${want === 1 ? "rnnc faster (> 1×)" : want < 1 ? `within ${1 / want}× (> ${want}×)` : `≥ ${want}×`} | ${verdict(got === undefined ? undefined : got > want || (want === 1 && got > 1))} |`,
    );
  };
  for (const w of ["W1", "W2", "W3", "W6", "W4"]) {
    speedup(w, "ort-web-webgpu", "rnnc-webgpu", 10, `${w}: ORT web WebGPU / rnnc WebGPU`);
    speedup(w, "tfjs-webgpu", "rnnc-webgpu", 10, `${w}: tfjs WebGPU / rnnc WebGPU`);
  }
  speedup("W1", "ort-web-wasm", "rnnc-cpu", 1, "W1: ORT web wasm / rnnc CPU");
  speedup("W4", "ort-web-wasm", "rnnc-cpu", 1, "W4: ORT web wasm / rnnc CPU");
  speedup("W1", "ort-node", "rnnc-cpu", 0.5, "W1: ORT node / rnnc CPU");
  for (const peer of ["tfjs-cpu", "tfjs-wasm", "tfjs-webgpu"]) {
    const best = ["rnnc-cpu", "rnnc-webgpu"]
      .map((s) => median("W5", s))
      .filter((x): x is number => x !== undefined);
    const p = median("W5", peer);
    const got = p !== undefined && best.length ? p / Math.min(...best) : undefined;
    rows.push(
      `| W5: ${peer} / rnnc (faster backend) | ${got === undefined ? "—" : `${got.toFixed(1)}×`} | ≥ 10× | ${verdict(got === undefined ? undefined : got >= 10)} |`,
    );
  }
  speedup("W5", "pytorch", "rnnc-cpu", 1, "W5: PyTorch / rnnc CPU");
  const gemm = WORKLOADS.find((w) => w.id === "GEMM")!;
  const gpuGemm = ["rnnc-webgpu", "ort-web-webgpu", "tfjs-webgpu"]
    .map((s) => median("GEMM", s))
    .filter((x): x is number => x !== undefined);
  const rnncGemm = median("GEMM", "rnnc-webgpu");
  if (gpuGemm.length > 0 && rnncGemm !== undefined) {
    const best = gemm.flops / Math.min(...gpuGemm) / 1e6;
    const own = gemm.flops / rnncGemm / 1e6;
    rows.push(
      `| GEMM: rnnc WebGPU's matmul / the best on the adapter (${best.toFixed(1)} GFLOP/s) | ${((100 * own) / best).toFixed(0)}% | ≥ 50% | ${verdict(own >= best / 2)} |`,
    );
    for (const id of ["W1", "W3", "W6"]) {
      const w = WORKLOADS.find((x) => x.id === id)!;
      const m = median(id, "rnnc-webgpu");
      if (m === undefined) continue;
      const g = w.flops / m / 1e6;
      rows.push(
        `| ${id}: rnnc WebGPU's ${g.toFixed(2)} GFLOP/s / the best matmul on the adapter | ${((100 * g) / best).toFixed(0)}% | ≥ 50% | ${verdict(g >= best / 2)} |`,
      );
    }
  }
  return [
    "",
    "## Issue 7's targets in this run",
    "",
    "Ratios of medians (peer / rnnc: above 1×, rnnc is faster). The best matmul on the adapter is the fastest WebGPU system on the GEMM workload, timed as every run is (inputs uploaded, output read back).",
    "",
    "| target | got | wanted | |",
    "|---|---|---|---|",
    ...rows,
  ];
}

/** What a reader needs to know about this run's cells. */
function notes(input: ReportInput): string[] {
  const out: string[] = [];
  const torch = input.results.find((r) => r.system === "pytorch" && r.note)?.note ?? "";
  if (/\/blas\/libblas\.so/.test(torch))
    out.push(
      "- PyTorch ran on the reference BLAS (Debian's torch uses the system's `libblas.so.3`; no optimised BLAS such as `libopenblas0-pthread` is installed here): its matrix products reach a few GFLOP/s, so its times are far from what PyTorch does with OpenBLAS or MKL.",
    );
  if (input.machine.adapter?.isFallbackAdapter)
    out.push(
      "- The WebGPU adapter is a software one: WebGPU times are CPU times of lavapipe's threads, and WebGPU systems compete for the same cores as the CPU systems would (cells run one at a time).",
    );
  if (input.args.workloads.some((w) => w.id === "W7"))
    out.push(
      "- W7's |diff| (~1e-4 for every system, rnnc's CPU backend included) is float32 rounding amplified by the layer norms over 100 steps: PyTorch float32 and float64 differ by 1.4e-4 on the same model.",
    );
  return out.length > 0 ? ["", "## Notes", "", ...out] : [];
}

export function writeReport(input: ReportInput): { markdown: string; json: unknown } {
  const { args, results, machine } = input;
  const systems = args.systems;
  const workloads = args.workloads;
  const label = new Map(systems.map((s) => [s.id, s.label]));
  const cell = (w: string, s: string) => results.find((r) => r.workload === w && r.system === s);
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const minutes = ((input.finished.getTime() - input.started.getTime()) / 60000).toFixed(1);

  push(
    "# rnnc benchmark results",
    "",
    `Written by \`npm run bench\` (scripts/bench.ts) on ${input.started.toISOString().slice(0, 16).replace("T", " ")} UTC in ${minutes} min, at commit ${machine.commit}; ` +
      "docs/benchmarks.md explains the workloads, systems and method. Every number below comes from this one run.",
    "",
    `Command: \`npm run bench -- --workloads ${workloads.map((w) => w.id).join(",")} --systems ${systems.map((s) => s.id).join(",")} --runs ${args.runs} --warmup ${args.warmup} --cap ${args.capSeconds} --min-runs ${args.minRuns} --max-run ${args.maxRunSeconds}\``,
    "",
    `Protocol: ${args.warmup} warm-up run(s) after the correctness check, then ${args.runs} timed runs (W4: ${args.runs * 10} steps), or fewer (at least ${args.minRuns}; 1 when one run outlasts the cap) when a cell's timed runs pass ${args.capSeconds} s; median [min–max]. ` +
      "A run includes uploading the inputs and reading the outputs back to the host. Times in ms (W4: µs per step).",
    "",
    "## Machine",
    "",
    `- CPU: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.os}; Node ${machine.node}`,
  );
  const a = machine.adapter;
  push(
    a
      ? `- WebGPU adapter (requestAdapter().info): vendor \`${a.vendor}\`, architecture \`${a.architecture}\`, device \`${a.device}\`, description \`${a.description}\`${a.isFallbackAdapter ? " (fallback adapter)" : ""}; Dawn through the \`webgpu\` package. One device is shared by rnnc, onnxruntime-web and tfjs-backend-webgpu.`
      : "- WebGPU: no adapter; WebGPU systems skipped.",
    `- Versions: ${Object.entries(machine.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    machine.busy.length > 0 || machine.load > machine.cores * 0.5
      ? `- **Other processes were running** (load average ${machine.load.toFixed(1)} on ${machine.cores} cores when the report was written${machine.busy.length ? `; busy: ${machine.busy.join(", ")}` : ""}): times are inflated and noisier than on an idle machine; compare systems within this run only.`
      : `- Load average ${machine.load.toFixed(1)} when the report was written.`,
    "",
    "## Medians",
    "",
    `| workload | GFLOP | ${systems.map((s) => s.label).join(" | ")} |`,
    `|---|---|${systems.map(() => "---").join("|")}|`,
  );
  for (const w of workloads) {
    const row = systems.map((s) => {
      const r = cell(w.id, s.id);
      if (!r || r.skipped) return "—";
      const t = formatTime(r.stats!.median, w.unit);
      return `${t}${r.capped ? "†" : ""}${r.mismatch ? " ≠" : ""}`;
    });
    push(
      `| ${w.id} ${w.title} (${w.unit}) | ${(w.flops / 1e9).toPrecision(3)} | ${row.join(" | ")} |`,
    );
  }
  push(
    "",
    "— skipped (reasons below); † fewer timed runs than asked (time cap); ≠ output differs from rnnc's beyond tolerance.",
    "",
    "## Per workload",
    "",
    "Ratios are the system's median over rnnc's (above 1×: rnnc is faster). |diff| is the largest absolute difference of the checked output from rnnc WebGPU's (the first rnnc system run); for W5 the checked output is the losses of the first two training steps, for W8 the decoded tokens.",
  );
  for (const w of workloads) {
    const rnncGpu = cell(w.id, "rnnc-webgpu")?.stats?.median;
    const rnncCpu = cell(w.id, "rnnc-cpu")?.stats?.median;
    push(
      "",
      `### ${w.id}: ${w.title}`,
      "",
      `bench/specs/${w.spec}; ${(w.flops / 1e9).toPrecision(4)} GFLOP per ${w.mode === "stream" ? "step" : w.mode === "train" ? "training step" : "run"}.`,
      "",
      `| system | median (${w.unit}) | min | max | runs | GFLOP/s | vs rnnc WebGPU | vs rnnc CPU | \\|diff\\| vs rnnc | notes |`,
      "|---|---|---|---|---|---|---|---|---|---|",
    );
    for (const s of systems) {
      const r = cell(w.id, s.id);
      if (!r) continue;
      if (r.skipped) {
        push(`| ${s.label} | — | | | | | | | | skipped: ${escape(r.skipped)} |`);
        continue;
      }
      const st = r.stats!;
      const diff = r.difference
        ? `${formatDifference(r.difference)}${r.mismatch ? " **≠**" : ""}`
        : "(reference)";
      const notes = [r.capped ? `time cap: ${st.runs} runs` : "", r.note ?? ""]
        .filter(Boolean)
        .join("; ");
      push(
        `| ${s.label} | ${formatTime(st.median, w.unit)} | ${formatTime(st.min, w.unit)} | ${formatTime(st.max, w.unit)} | ${st.runs} | ${gflops(w.flops, st.median)} | ${formatRatio(st.median, rnncGpu)} | ${formatRatio(st.median, rnncCpu)} | ${diff} | ${escape(notes)} |`,
      );
    }
  }
  push(...targets(input), ...notes(input));
  push(
    "",
    "## FLOP counts",
    "",
    "2 × the multiply-adds of the gate matrix products, 2·B·T·G·H·(I_l + H) per layer and direction (G = 4 for LSTM and the layer-norm LSTM, 3 for GRU; I_l the layer's input width), plus 2·B·in·out for a Linear head (per decoding step for W8, whose encoder counts the same way); embeddings, activations and layer norms count zero; a training step counts 3 × the forward pass.",
    "",
    `| workload | ${WORKLOADS.filter((w) => workloads.includes(w))
      .map((w) => w.id)
      .join(" | ")} |`,
    `|---|${workloads.map(() => "---").join("|")}|`,
    `| GFLOP | ${workloads.map((w) => (w.flops / 1e9).toPrecision(4)).join(" | ")} |`,
    "",
  );
  const json = {
    started: input.started.toISOString(),
    finished: input.finished.toISOString(),
    systems: systems.map((s) => s.id),
    protocol: {
      maxRunSeconds: args.maxRunSeconds,
      runs: args.runs,
      warmup: args.warmup,
      capSeconds: args.capSeconds,
      minRuns: args.minRuns,
    },
    machine,
    workloads: workloads.map((w) => ({ id: w.id, title: w.title, flops: w.flops, unit: w.unit })),
    results,
  };
  return { markdown: `${lines.join("\n")}\n`, json };
}
