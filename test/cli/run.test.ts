// `rnnc run`: reproduces PyTorch fixtures from files a person could write by hand, and turns
// bad weights and bad inputs into one clear error each (name, expected, got) with exit 1.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";
import { fromStored } from "../../compiler/driver/run-model.ts";
import { toNested } from "../../runtime/reference/tensor.ts";
import { writeSafetensorsFileSync } from "../../runtime/weights/safetensors-file.ts";
import { tensor, type Tensor } from "../../runtime/weights/safetensors.ts";
import { loadFixture } from "../fixtures/fixtures.ts";

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** A folder with the fixture's spec, weights-only safetensors and input JSON. */
function handWritten(
  name: string,
  edit: {
    weights?: (w: Map<string, Tensor>) => void;
    input?: (json: { inputs: Record<string, unknown>; lengths?: Record<string, number[]> }) => void;
  } = {},
) {
  const fixture = loadFixture(name);
  const dir = mkdtempSync(join(tmpdir(), "rnnc-run-"));
  const weights = new Map(fixture.weights);
  edit.weights?.(weights);
  writeSafetensorsFileSync(join(dir, "weights.safetensors"), weights);
  writeFileSync(join(dir, "model.rnn"), fixture.json.spec);
  const json = {
    inputs: Object.fromEntries([...fixture.inputs].map(([n, t]) => [n, toNested(fromStored(t))])),
    lengths: fixture.json.lengths as Record<string, number[]>,
  };
  edit.input?.(json);
  writeFileSync(join(dir, "input.json"), JSON.stringify(json));
  const args = [
    "run",
    join(dir, "model.rnn"),
    "--weights",
    join(dir, "weights.safetensors"),
    "--input",
    join(dir, "input.json"),
  ];
  return { fixture, dir, args };
}

function flat(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value as number];
}

describe("rnnc run", () => {
  it("reproduces a PyTorch fixture from hand-written files", async () => {
    const { fixture, args } = handWritten("peephole_lstm_l2_bi_varlen");
    const r = await run(...args);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as {
      outputs: Record<string, unknown>;
      lengths: Record<string, number[]>;
    };
    expect(result.lengths).toEqual(fixture.json.lengths);
    for (const [name, want] of fixture.expected) {
      const got = flat(result.outputs[name]);
      const expected = Array.from(want.data as Float64Array);
      expect(got.length).toBe(expected.length);
      expect(Math.max(...got.map((g, i) => Math.abs(g - expected[i]!)))).toBeLessThanOrEqual(1e-9);
    }
    expect(Object.keys(result.outputs)).toContain("enc.final_state.l1_reverse.c");
  });

  it("pads ragged sequences and takes their lengths", async () => {
    const { args } = handWritten("indrnn_varlen", {
      input: (json) => {
        const x = json.inputs.x as number[][][];
        json.inputs.x = x.map((seq, b) => seq.slice(0, json.lengths!.T![b]));
        delete json.lengths;
      },
    });
    const ragged = JSON.parse((await run(...args)).out) as {
      lengths: Record<string, number[]>;
      outputs: Record<string, unknown>;
    };
    const padded = JSON.parse(
      (await run(...handWritten("indrnn_varlen").args)).out,
    ) as typeof ragged;
    expect(ragged.lengths).toEqual({ T: [6, 2, 4, 5] });
    expect(ragged.outputs).toEqual(padded.outputs);
  });

  it("writes the output file atomically when asked", async () => {
    const { dir, args } = handWritten("rnn_tanh_l1");
    const path = join(dir, "out.json");
    expect((await run(...args, "--output", path, "--precision", "float32")).code).toBe(0);
    expect(JSON.parse(readFileSync(path, "utf8")).precision).toBe("float32");
  });

  const bad: [string, Parameters<typeof handWritten>[1], RegExp][] = [
    [
      "a missing weight",
      { weights: (w) => w.delete("enc.l0.u") },
      /RNN4207.*\n?.*enc\.l0\.u: missing \(expected shape \[5\]\)/,
    ],
    [
      "a weight of the wrong shape",
      { weights: (w) => w.set("enc.l0.u", tensor("F64", [4], [1, 2, 3, 4])) },
      /enc\.l0\.u: expected shape \[5\], got \[4\]/,
    ],
    [
      "a weight of the wrong dtype",
      { weights: (w) => w.set("enc.l0.u", tensor("I64", [5], [1, 2, 3, 4, 5])) },
      /enc\.l0\.u: expected dtype .*got I64/,
    ],
    [
      "an input of the wrong shape",
      {
        input: (j) =>
          (j.inputs.x = (j.inputs.x as number[][][]).map((s) => s.map((v) => v.slice(0, 2)))),
      },
      /RNN4208: input 'x'\[0\]\[0\]: expected 3 values, got 2/,
    ],
    [
      "an unknown input",
      { input: (j) => (j.inputs.y = [[1]]) },
      /RNN4208: input 'y': the model has no input of this name \(it has x\)/,
    ],
    [
      "lengths beyond the padded steps",
      { input: (j) => (j.lengths = { T: [9, 2, 4, 5] }) },
      /RNN4205: lengths of T: expected 4 whole numbers in \[1, 6\], got \[9, 2, 4, 5\]/,
    ],
  ];
  it.each(bad)("reports %s with exit 1", async (_, edit, message) => {
    const r = await run(...handWritten("indrnn_varlen", edit).args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("reports token ids outside the vocabulary", async () => {
    const { args } = handWritten("tagger_embedding_bigru_linear", {
      input: (j) => {
        const ids = j.inputs.tokens as number[][];
        ids[1]![2] = 999;
      },
    });
    const spec = readFileSync(args[1]!, "utf8");
    expect(spec).toContain("embedding(");
    const r = await run(...args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /RNN4206: input 'tokens': token id 999 at flat position \d+ is outside the vocabulary \[0, \d+\)/,
    );
  });
});
