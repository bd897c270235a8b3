// The shared conformance suite: every case of cases.ts (PyTorch fixtures forward and
// backward, every stdlib cell, every example, the decoders) runs on each backend of
// backends.ts (the CPU executor, and WebGPU where an adapter exists: lavapipe in CI) and must
// match the reference interpreter in float32: floats within 1e-4 absolute, ints exactly
// (decoded tokens: see compare.ts for the one allowance, a near tie of the logits). The
// reference runs once per case and is shared by the backends. Each backend prints its
// largest difference per group of cases and its time at the end.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { prelude } from "../../compiler/check/index.ts";
import { tensor, type Tensor } from "../../runtime/reference/tensor.ts";
import { fixtureNames } from "../fixtures/fixtures.ts";
import { checkOk } from "../support/check.ts";
import { describeBackends, fusedKinds, reference } from "./backends.ts";
import {
  conformanceCases,
  exampleFiles,
  EXAMPLES_DIR,
  type ConformanceCase,
  type Group,
  type Prepared,
} from "./cases.ts";
import { compareOutputs } from "./compare.ts";

const CASES = conformanceCases();

const FUSED_BACKWARD_SAMPLE = new Set(
  ["rnn_tanh_l1", "gru_l1", "lstm_l1_bf_varlen", "mingru_varlen", "indrnn_varlen"].map(
    (f) => `fixture ${f}, backward`,
  ),
);

/** Each case prepared and run on the reference once, for all backends. */
const oracles = new Map<string, { prepared: Prepared; want: Record<string, Tensor> }>();

function oracle(c: ConformanceCase) {
  let o = oracles.get(c.name);
  if (!o) {
    const prepared = c.prepare();
    const want = reference(prepared.graph, prepared.feeds);
    prepared.sanity?.(want);
    oracles.set(c.name, (o = { prepared, want }));
  }
  return o;
}

describe("the conformance case list", () => {
  it("covers every fixture, stdlib cell and example model", () => {
    const names = CASES.map((c) => c.name);
    for (const f of fixtureNames()) {
      expect(names).toContain(`fixture ${f}`);
      expect(names).toContain(`fixture ${f}, backward`);
    }
    for (const cell of prelude().keys())
      expect(names.filter((n) => n.startsWith(`stdlib ${cell},`))).toHaveLength(2);
    let models = 0;
    for (const file of exampleFiles())
      models += checkOk(readFileSync(new URL(file, EXAMPLES_DIR), "utf8")).models.length;
    expect(names.filter((n) => n.startsWith("example ") && n.endsWith(", infer"))).toHaveLength(
      models,
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it("compares floats within 1e-4, ints exactly, and excuses a token only at a near tie", () => {
    const want = {
      tokens: tensor("int", [2, 3], [3, 1, 2, 4, 4, 2]),
      // Row 0, step 1: logits 1 and 3 tie (gap 5e-6); row 1, step 0: no tie.
      logits: tensor("float", [2, 3, 2], [0, 1, 0.5, 0.500005, 0, 1, 0, 2, 0, 1, 1, 0]),
      x: tensor("float", [2], [1, -1]),
    };
    const out = (tokens: number[], x = [1 + 9e-5, -1]) => ({
      tokens: { shape: [2, 3], data: Int32Array.from(tokens) },
      logits: { shape: [2, 3, 2], data: Float32Array.from(want.logits.data) },
      x: { shape: [2], data: Float32Array.from(x) },
    });
    const decisions = [{ tokens: "tokens", logits: "logits" }];
    const same = compareOutputs(out([3, 1, 2, 4, 4, 2]), want, { decisions });
    expect(same.failures).toEqual([]);
    expect(same.maxAbs).toBeGreaterThan(8e-5);
    expect(compareOutputs(out([3, 1, 2, 4, 4, 2], [1.0002, -1]), want, {}).failures).toHaveLength(
      1,
    );
    // A flip at the tie excuses the rest of row 0 (another path follows).
    const flipped = compareOutputs(out([3, 0, 0, 4, 4, 2]), want, { decisions });
    expect(flipped.failures).toEqual([]);
    expect(flipped.excused).toHaveLength(1);
    // Not at a tie, or without the logits: a failure.
    expect(compareOutputs(out([3, 1, 2, 0, 4, 2]), want, { decisions }).failures).toHaveLength(1);
    expect(compareOutputs(out([3, 0, 2, 4, 4, 2]), want, {}).failures).toHaveLength(1);
  });
});

describeBackends("conformance with the reference interpreter (float32)", (backend, kind) => {
  const worst = new Map<Group, { abs: number; where: string }>();
  const excused: string[] = [];
  let cases = 0;
  let ms = 0;

  // Gradients on the fused schedule: a training graph's kernels take lavapipe seconds to
  // build, so by default a sample of cells is checked; RNNC_FUSED_BACKWARD=all runs every
  // fixture (with a longer --testTimeout: multi-layer bidirectional ones take over a minute).
  const applicable =
    kind === "webgpu-fused" && process.env.RNNC_FUSED_BACKWARD !== "all"
      ? CASES.filter((c) => c.group !== "backward" || FUSED_BACKWARD_SAMPLE.has(c.name))
      : CASES;
  it.each(applicable)("$name", async (c) => {
    const { prepared, want } = oracle(c);
    const started = performance.now();
    const got = await backend().run(prepared);
    ms += performance.now() - started;
    cases++;
    const result = compareOutputs(got, want, prepared);
    excused.push(...result.excused.map((e) => `${c.name}: ${e}`));
    const w = worst.get(c.group);
    if (!w || result.maxAbs > w.abs)
      worst.set(c.group, { abs: result.maxAbs, where: `${c.name}: ${result.where}` });
    expect(result.failures, c.name).toEqual([]);
  });

  afterAll(() => {
    if (cases === 0) return;
    const lines = [...worst].map(
      ([group, w]) =>
        `  ${group}: ${w.abs === 0 ? "0, bit-exact" : `${w.abs.toExponential(2)} (${w.where})`}`,
    );
    console.log(
      `${backend().name}: ${cases} cases in ${(ms / 1000).toFixed(1)} s (backend runs only); ` +
        `largest |${backend().name} - reference| per group:\n${lines.join("\n")}` +
        (excused.length > 0 ? `\n  tokens excused at ties: ${excused.join("; ")}` : "") +
        (backend().name === "webgpu-fused"
          ? `\n  fused plans: ${fusedKinds.fused}; naive fallbacks: ${fusedKinds.naive.length}` +
            fusedKinds.naive.map((r) => `\n    ${r}`).join("")
          : ""),
    );
  });
});
