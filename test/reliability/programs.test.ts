/**
 * The compiler on hostile programs (CI's short form of `npm run test:reliability`): whatever
 * the text, parse, check, lowering and both backends' plans end in diagnostics with codes or
 * in plans, never in an exception; each limit refuses the first value beyond it; and the WGSL
 * of accepted programs compiles on the WebGPU device (getCompilationInfo, and pipelines).
 */
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { randomModel } from "../support/random-models.ts";
import { mutatedRnnText } from "../support/rnn-arbitraries.ts";
import { describeWebGpu } from "../support/webgpu.ts";
import { limitCases } from "./support/limit-cases.ts";
import {
  cliCrashed,
  cliProgram,
  compileProgram,
  fuzzProgram,
  programCorpus,
  type Outcome,
  type Shader,
} from "./support/programs.ts";
import { wgslErrors } from "./support/wgsl.ts";

const RUNS = Number(process.env.RNNC_RELIABILITY_RUNS ?? "600");
// A different slice of the input space on every run, reported so a failure can be replayed.
const SEED = Number(process.env.RNNC_RELIABILITY_SEED ?? Date.now() % 1_000_000);
const corpus = programCorpus();

function failure(outcome: Outcome, text: string, where: string): string | undefined {
  if (outcome.status !== "crash") return undefined;
  return `${where}: ${outcome.stage} threw ${outcome.error}\n--- input ---\n${text.slice(0, 2000)}`;
}

describe("the compiler on hostile programs", () => {
  it(`ends every mutated or generated program in diagnostics or plans (seed ${SEED})`, () => {
    const lowered = new Set<string>();
    const counts = { rejected: 0, accepted: 0 };
    for (let i = 0; i < RUNS; i++) {
      const program = fuzzProgram(corpus, SEED, i);
      const outcome = compileProgram(program.text, i, lowered);
      const bad = failure(outcome, program.text, `seed ${SEED} input ${i} (${program.edits})`);
      if (bad) throw new Error(bad);
      if (outcome.status !== "crash") counts[outcome.status]++;
    }
    // The inputs reach both sides: refusals, and programs lowered and planned.
    expect(counts.rejected).toBeGreaterThan(RUNS / 4);
    expect(counts.accepted).toBeGreaterThan(RUNS / 20);
  });

  it("fast-check: edited files and random models never throw", () => {
    fc.assert(
      fc.property(
        mutatedRnnText,
        (text) => failure(compileProgram(text, 0), text, "mutated") === undefined,
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(randomModel, (m) => {
        const outcome = compileProgram(m.source, 0);
        return outcome.status === "accepted";
      }),
      { numRuns: 40 },
    );
  });

  it("the command line: rnnc check and compile exit 0, 1 or 2, never 3 (an internal error)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rnnc-cli-fuzz-"));
    try {
      let compiled = 0;
      for (let i = 0; i < 60; i++) {
        const program = fuzzProgram(corpus, SEED + 2, i);
        const checked = await cliProgram(program.text, dir, false);
        if (cliCrashed(checked))
          throw new Error(`rnnc check crashed:\n${checked.output}\n--- input ---\n${program.text}`);
        if (checked.code !== 0 || compiled >= 3) continue;
        compiled++;
        const out = await cliProgram(program.text, dir, true);
        if (cliCrashed(out))
          throw new Error(`rnnc compile crashed:\n${out.output}\n--- input ---\n${program.text}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(limitCases().map((c) => [c.name, c] as const))("limits: %s", (_, c) => {
    const outcome = compileProgram(c.text, 0);
    expect(failure(outcome, c.text, c.name)).toBeUndefined();
    const got = outcome.status === "rejected" ? outcome.codes : [outcome.status];
    expect(got).toEqual([c.expect]);
  });
});

describeWebGpu("generated WGSL on the device's shader compiler", (gpu) => {
  it("compiles every kernel of fuzzed programs that check", async () => {
    const seen = new Set<string>();
    const shaders: Shader[] = [];
    for (let i = 0; shaders.length < 120 && i < 2000; i++) {
      const outcome = compileProgram(fuzzProgram(corpus, SEED + 1, i).text, i);
      if (outcome.status !== "accepted") continue;
      for (const s of outcome.wgsl)
        if (!seen.has(s.code)) {
          seen.add(s.code);
          shaders.push(s);
        }
    }
    expect(shaders.length).toBeGreaterThan(20);
    for (const [k, shader] of shaders.entries()) {
      const errors = await wgslErrors(gpu().device, shader, { pipeline: k < 15 });
      if (errors.length > 0)
        throw new Error(`${errors.join("\n")}\n--- WGSL (seed ${SEED + 1}) ---\n${shader.code}`);
    }
  });
});
