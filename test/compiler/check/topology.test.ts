import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkOk } from "../../support/check.ts";

function topologies(path: string): string[] {
  return checkOk(readFileSync(path, "utf8")).models.flatMap((m) => [...m.topologies]);
}

describe("examples cover the four topologies", () => {
  it.each([
    ["examples/spam.rnn", "many-to-one"],
    ["examples/co2.rnn", "many-to-one"],
    ["examples/textbook.rnn", "many-to-one"],
    ["examples/stress.rnn", "many-to-many"],
    ["examples/names.rnn", "one-to-many"],
    ["examples/g2p.rnn", "encoder-decoder"],
  ])("%s is %s", (path, topology) => {
    expect(topologies(path)).toEqual([topology]);
  });
});

describe("shape inference", () => {
  it("infers a linear's size from the state it updates", () => {
    const cell = checkOk(
      `cell c(hidden: H) {\n  input x\n  state h: [H]\n  h' = tanh(linear(x))\n}`,
    ).cells[0]!;
    expect(cell.params.map((p) => p.shape.map((d) => [...d.keys()].join("")))).toEqual([
      ["H", "I"],
      ["H"],
    ]);
  });

  it("records encoder and decoder structure for lowering", () => {
    const model = checkOk(readFileSync("examples/g2p.rnn", "utf8")).models[0]!;
    const [encoder] = [...model.encoders.values()];
    const [decoder] = [...model.decoders.values()];
    expect(encoder).toMatchObject({ layers: 1, bidirectional: true, width: 256 });
    expect(encoder!.finalStates).toEqual([
      { name: "h", size: 256 },
      { name: "c", size: 256 },
    ]);
    expect(decoder).toMatchObject({
      attention: "luong",
      vocab: 73,
      bos: 1,
      eos: 2,
      maxSteps: 30,
      search: { kind: "beam", width: 4 },
    });
    expect(decoder!.instance.inputSize).toBe(64 + 256);
  });
});
