// Bad bundles and bad inputs: each a clear RNN4xxx error, and a failed write leaves the
// bundle folder as it was.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeBundleDir } from "../../../compiler/bundle/write.ts";
import { BundleModel } from "../../../runtime/bundle/index.ts";
import { compileBundle } from "./support.ts";

const SPEC = `
model tokens {
  input ids: int[T]
  input extra: float[2]
  enc = encode(embedding(ids, vocab: 7, dim: 3), cell: gru(hidden: 4))
  output score = linear(concat(enc.final, extra), 1)
}`;

let dir: string;
beforeAll(async () => {
  dir = await compileBundle(SPEC, { batch: 2, steps: { T: 4 } });
});

/** A fresh copy of the bundle with `change` applied to it. */
async function broken(change: (copy: string) => void): Promise<string> {
  const copy = await compileBundle(SPEC, { batch: 2, steps: { T: 4 } });
  change(copy);
  return copy;
}

const load = (at: string) => BundleModel.load(at, { backend: "cpu" });
const ok = {
  ids: [[1, 2, 3], [4]],
  extra: [
    [0.5, -0.5],
    [1, 2],
  ],
};

describe("bundle inputs", () => {
  it("runs good inputs (ragged sequences padded, lengths taken)", async () => {
    const out = await (await load(dir)).run(ok);
    expect(out.score!.shape).toEqual([2, 1]);
  });

  it.each([
    [
      "an unknown name",
      { ...ok, idz: [[1]] },
      /RNN4505: input 'idz': the model has no input of this name \(it has ids, extra\)/,
    ],
    [
      "a missing input",
      { ids: ok.ids },
      /RNN4506: input 'extra': missing \(expected float\[B, 2\]\)/,
    ],
    [
      "floats for token ids",
      { ...ok, ids: [[1.5, 2], [3]] },
      /RNN4507: input 'ids'\[0\]\[0\]: expected a whole number/,
    ],
    [
      "an Int32Array for floats",
      { ...ok, extra: { data: new Int32Array(4), shape: [2, 2] } },
      /RNN4507: input 'extra': expected float values/,
    ],
    [
      "a wrong feature size",
      {
        ...ok,
        extra: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
      /RNN4508: input 'extra'\[0\]: expected 2 values, got 3/,
    ],
    [
      "disagreeing batches",
      { ...ok, extra: [[1, 2]] },
      /RNN4508: input 'extra': batch 1 differs from the other inputs' batch 2/,
    ],
    [
      "a batch beyond the limit",
      {
        ids: [[1], [1], [1]],
        extra: [
          [1, 2],
          [1, 2],
          [1, 2],
        ],
      },
      /RNN4509: input 'ids': batch 3 is beyond the bundle's limit of 2 sequences/,
    ],
    [
      "steps beyond the limit",
      { ...ok, ids: [[1, 2, 3, 4, 5], [1]] },
      /RNN4509: input 'ids': 5 steps is beyond the bundle's limit of 4 along T/,
    ],
    [
      "a token outside the vocabulary",
      { ...ok, ids: [[1, 9], [1]] },
      /RNN4511: input 'ids': token id 9/,
    ],
  ])("refuses %s", async (_, inputs, message) => {
    await expect((await load(dir)).run(inputs as never)).rejects.toThrow(message);
  });

  it("refuses bad lengths (RNN4510)", async () => {
    await expect((await load(dir)).run(ok, { lengths: { T: [3, 0] } })).rejects.toThrow(
      /RNN4510: lengths of T: expected 2 whole numbers in \[1, 3\], got \[3, 0\]/,
    );
  });

  it("refuses generate on a model without a decoder (RNN4513)", async () => {
    const model = await load(dir);
    expect(() => model.generate(ok)).toThrow(/RNN4513/);
  });
});

describe("bad bundles", () => {
  const weights = (copy: string) => join(copy, "weights.safetensors");

  it("a truncated weights file: RNN41xx from the safetensors reader", async () => {
    const copy = await broken((c) =>
      writeFileSync(weights(c), readFileSync(weights(c)).subarray(0, 100)),
    );
    await expect(load(copy)).rejects.toThrow(/RNN410\d: .*weights\.safetensors/);
  });

  it("a corrupted weights file (same size, other bytes): RNN4504", async () => {
    const copy = await broken((c) => {
      const bytes = readFileSync(weights(c));
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      writeFileSync(weights(c), bytes);
    });
    await expect(load(copy)).rejects.toThrow(/RNN4504: weights\.safetensors: its SHA-256 differs/);
  });

  it("a manifest of another schema version: RNN4502", async () => {
    const copy = await broken((c) => {
      const path = join(c, "manifest.json");
      writeFileSync(path, readFileSync(path, "utf8").replace('"version": 1', '"version": 2'));
    });
    await expect(load(copy)).rejects.toThrow(
      /RNN4502: manifest\.json: schema version 2; this runtime reads version 1/,
    );
  });

  it("no manifest, or not JSON: RNN4501", async () => {
    await expect(load(dirname(dir))).rejects.toThrow(/RNN4501: no manifest\.json/);
    const copy = await broken((c) => writeFileSync(join(c, "manifest.json"), "{ nope"));
    await expect(load(copy)).rejects.toThrow(/RNN4501: manifest\.json: not valid JSON/);
  });

  it("a missing plan: RNN4503; a changed one: RNN4504", async () => {
    const missing = await broken((c) => rmSync(join(c, "plan.cpu.json")));
    await expect(load(missing)).rejects.toThrow(
      /RNN4503: plan\.cpu\.json: cannot read the bundle's file \(missing\)/,
    );
    const changed = await broken((c) => writeFileSync(join(c, "graph.json"), "{}"));
    await expect(BundleModel.load(changed, { backend: "reference" })).rejects.toThrow(
      /RNN4504: graph\.json: 2 bytes/,
    );
  });

  it("a failed write leaves the old bundle whole and no temporary folder behind", async () => {
    const copy = await broken(() => {});
    const before = readdirSync(copy).sort();
    const files = new Map([["a/b.json", new Uint8Array(1)]]); // a subfolder: the write fails
    expect(() => writeBundleDir(copy, files)).toThrow();
    expect(readdirSync(copy).sort()).toEqual(before);
    expect(readdirSync(dirname(copy))).toEqual(["bundle"]);
    expect(existsSync(join(copy, "manifest.json"))).toBe(true);
  });
});
