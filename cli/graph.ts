/**
 * `rnnc graph SPEC [-o DIR]`: the model graph and its fused WebGPU kernel schedule as DOT and
 * SVG — `<model>.graph.dot|svg` (the IR in scan form) and `<model>.schedule.dot|svg` (one box
 * per dispatch listing the ops it fuses). The SVGs need Graphviz's `dot`; without it the DOT
 * files are still written and a note says how to get the SVGs.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { webgpuPlan } from "../compiler/bundle/plans.ts";
import { decomposeNormalisations } from "../compiler/codegen/wgsl/fused/decompose.ts";
import { transposeWeights } from "../compiler/codegen/wgsl/fused/weight-layout.ts";
import { kernelsOf, scheduleDot } from "../compiler/graphviz/kernel-schedule.ts";
import { modelGraphDot } from "../compiler/graphviz/model-graph.ts";
import { naiveScheduleDot } from "../compiler/graphviz/naive-schedule.ts";
import { renderSvg } from "../compiler/graphviz/svg.ts";
import { compileModel } from "../compiler/pipeline.ts";
import type { Output } from "./check.ts";
import { bundleLimits, formatLimits, parseSeed } from "./compile.ts";
import { writeTextAtomic } from "./io.ts";
import { loadModel } from "./spec.ts";

export interface GraphOptions {
  readonly output?: string;
  readonly out?: string;
  readonly model?: string;
  readonly batch?: string;
  readonly steps?: string;
  readonly seed?: string;
}

export function runGraph(spec: string, options: GraphOptions, io: Output): number {
  const dir = options.output ?? options.out ?? ".";
  const seed = parseSeed(options.seed);
  const model = loadModel(spec, options.model, io);
  if (!model) return 1;
  const limits = bundleLimits(model, options);
  const scanForm = compileModel(model, {
    ...limits,
    mode: "infer",
    seed,
    until: "hoist-input-projections",
  });
  const at = `limits: ${formatLimits(limits)}`;
  const schedule = kernelsOf(scanForm);
  const files: [string, string][] = [
    [
      `${model.name}.graph`,
      modelGraphDot(
        transposeWeights(decomposeNormalisations(scanForm)),
        `model ${model.name}: the IR in scan form, weights transposed as the fused kernels read them (${at})`,
      ),
    ],
    [
      `${model.name}.schedule`,
      schedule.kind === "fused"
        ? scheduleDot(
            schedule,
            `model ${model.name}: fused WebGPU schedule, ${schedule.kernels.filter((k) => !k.params).length} dispatches per run (${at})`,
          )
        : naiveScheduleDot(
            webgpuPlan(model, limits, { seed }),
            schedule.reason,
            `model ${model.name} (${at})`,
          ),
    ],
  ];
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  let note: string | undefined;
  for (const [stem, dot] of files) {
    writeTextAtomic(join(dir, `${stem}.dot`), dot);
    written.push(`${stem}.dot`);
    if (note) continue;
    const svg = renderSvg(dot);
    if (svg.ok) {
      writeTextAtomic(join(dir, `${stem}.svg`), svg.svg);
      written.push(`${stem}.svg`);
    } else note = svg.message;
  }
  io.err(`wrote ${written.map((f) => join(dir, f)).join(", ")}`);
  if (note)
    io.err(`note: no SVG: ${note}; the .dot files are written (render them with dot -Tsvg)`);
  return 0;
}
