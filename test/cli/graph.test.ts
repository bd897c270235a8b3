// rnnc graph SPEC: the model graph and the fused kernel schedule as DOT (and SVG with
// Graphviz): one box per dispatch of the bundle's WebGPU plan, each listing the ops it fuses;
// without Graphviz the DOT is still written and a note says why there is no SVG.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { webgpuPlan } from "../../compiler/bundle/plans.ts";
import { main } from "../../cli/main.ts";
import { checkOk } from "../support/check.ts";

const work = mkdtempSync(join(tmpdir(), "rnnc-graph-"));

async function rnnc(...argv: string[]) {
  const err: string[] = [];
  const code = await main(argv, { out: () => {}, err: (l) => err.push(l) });
  return { code, err: err.join("\n") };
}

function hasDot(): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => existsSync(join(d, "dot")));
}

describe("rnnc graph", () => {
  it("writes the model graph and one box per fused dispatch, listing the ops it fuses", async () => {
    const dir = join(work, "textbook");
    const r = await rnnc(
      "graph",
      "examples/textbook.rnn",
      "-o",
      dir,
      "--batch",
      "4",
      "--steps",
      "T=10",
    );
    expect(r.code, r.err).toBe(0);
    const schedule = readFileSync(join(dir, "textbook_lstm.schedule.dot"), "utf8");
    const graph = readFileSync(join(dir, "textbook_lstm.graph.dot"), "utf8");

    const model = checkOk(readFileSync("examples/textbook.rnn", "utf8")).models[0]!;
    const plan = webgpuPlan(model, { batch: 4, steps: { T: 10 } });
    const boxes = [...schedule.matchAll(/dispatch (\d+): (\w+) \(([^)]*)\)/g)];
    expect(boxes.map((b) => [Number(b[1]), b[2], b[3]])).toEqual(
      plan.dispatches.map((d, i) => [i, plan.shaders[d.shader]!.name, d.label]),
    );
    // The 2-layer LSTM: each layer's recurrence one persistent kernel with its whole step.
    const scans = boxes.filter((b) => b[2] === "persistent_scan");
    expect(scans).toHaveLength(2);
    expect(schedule).toMatch(/%\d+ scan: 10 steps, \d+ rows per workgroup/);
    expect(schedule).toContain("sigmoid ×3");
    expect(schedule).toContain("tanh ×2");
    expect(schedule).toContain('subgraph "cluster_params"');
    expect(schedule).toContain('"output prediction"');
    expect(graph).toContain("step of %");
    expect(graph).toContain("enc.l1.o.h.weight");
    expect(graph).toContain("→ next state 1");

    if (hasDot() || process.env.CI) {
      expect(r.err).not.toContain("note:");
      for (const stem of ["graph", "schedule"])
        expect(readFileSync(join(dir, `textbook_lstm.${stem}.svg`), "utf8")).toContain("<svg");
    }
  });

  it("without Graphviz: the DOT files, a note, exit 0", async () => {
    const dir = join(work, "no-dot");
    const path = process.env.PATH;
    process.env.PATH = join(work, "empty");
    try {
      const r = await rnnc("graph", "examples/co2.rnn", "--out", dir, "--batch", "2");
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(
        "note: no SVG: Graphviz's 'dot' is not installed (Debian: apt-get install graphviz); the .dot files are written",
      );
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(join(dir, "co2_forecast.graph.dot"))).toBe(true);
    expect(existsSync(join(dir, "co2_forecast.schedule.dot"))).toBe(true);
    expect(existsSync(join(dir, "co2_forecast.graph.svg"))).toBe(false);
  });

  it("a model the fused schedule cannot run: the naive schedule, and why", async () => {
    const dir = join(work, "g2p");
    const r = await rnnc("graph", "examples/g2p.rnn", "-o", dir, "--batch", "2", "--steps", "S=4");
    expect(r.code, r.err).toBe(0);
    const schedule = readFileSync(join(dir, "g2p.schedule.dot"), "utf8");
    expect(schedule).toMatch(/naive schedule, \d+ dispatches: %\d+ scan: .* has no batch axis/);
  });

  it("a spec with errors: positioned diagnostics, exit 1", async () => {
    const r = await rnnc(
      "graph",
      "test/errors/001-unexpected-character.rnn",
      "-o",
      join(work, "bad"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/001-unexpected-character\.rnn:\d+:\d+: error RNN1/);
  });
});
