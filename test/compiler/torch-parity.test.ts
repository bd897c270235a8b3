// Every PyTorch fixture (test/fixtures, written by make_fixtures.py) run through the whole
// front end, lowering, unrolling and the reference interpreter: outputs and final states must
// equal PyTorch's to 1e-9 in float64 and 1e-5 in float32 (max absolute error).
import { describe, expect, it } from "vitest";
import { compileModel } from "../../compiler/pipeline.ts";
import { evaluate } from "../../runtime/reference/interpreter.ts";
import { fromStored, runReference } from "../../compiler/driver/run-model.ts";
import { tensor, type Tensor } from "../../runtime/reference/tensor.ts";
import { fixtureNames, loadFixture, type Fixture } from "../fixtures/fixtures.ts";
import { checkOk } from "../support/check.ts";

function modelOf(fixture: Fixture) {
  return checkOk(fixture.json.spec).models[0]!;
}

function modeOf(fixture: Fixture, model: ReturnType<typeof modelOf>): "train" | "infer" {
  return model.inputs.some((i) => i.training && fixture.inputs.has(i.name)) ? "train" : "infer";
}

function run(fixture: Fixture, precision: "float64" | "float32") {
  const model = modelOf(fixture);
  const inputs = new Map([...fixture.inputs].map(([name, t]) => [name, fromStored(t)]));
  return runReference(
    model,
    { inputs, lengths: fixture.json.lengths, weights: fixture.weights },
    { precision, mode: modeOf(fixture, model), verify: true },
  );
}

/** Max |got - want| over the compared positions (valid steps only where the fixture says so). */
function maxError(
  fixture: Fixture,
  name: string,
  got: Tensor,
  want: { shape: readonly number[]; data: ArrayLike<number | bigint> },
): number {
  expect(got.shape).toEqual([...want.shape]);
  const axis = fixture.json.time_axes[name];
  const lengths = axis && fixture.json.valid_steps_only ? fixture.json.lengths[axis] : undefined;
  const [, steps = 1] = got.shape;
  const perStep = got.shape.slice(2).reduce((a, b) => a * b, 1);
  let worst = 0;
  for (let i = 0; i < got.data.length; i++) {
    if (lengths) {
      const b = Math.floor(i / (steps * perStep));
      const t = Math.floor(i / perStep) % steps;
      if (t >= lengths[b]!) continue;
    }
    worst = Math.max(worst, Math.abs(got.data[i]! - Number(want.data[i]!)));
  }
  return worst;
}

/** PyTorch's h_n [layers * dirs, B, H] against rnnc's `<enc>.final_state.l<k>[_reverse].<state>`. */
function finalStateErrors(fixture: Fixture, outputs: Readonly<Record<string, Tensor>>): number[] {
  const errors: number[] = [];
  for (const [state, torch] of fixture.finalStates) {
    const [rows, batch, size] = torch.shape as [number, number, number];
    const names = Object.keys(outputs).filter(
      (n) => n.includes(".final_state.") && n.endsWith(`.${state}`),
    );
    const bidirectional = names.some((n) => n.includes("_reverse."));
    expect(names.length).toBe(rows);
    for (let row = 0; row < rows; row++) {
      const layer = bidirectional ? Math.floor(row / 2) : row;
      const suffix = `.final_state.l${layer}${bidirectional && row % 2 === 1 ? "_reverse" : ""}.${state}`;
      const name = names.find((n) => n.endsWith(suffix))!;
      const got = outputs[name]!;
      expect(got.shape).toEqual([batch, size]);
      const want = {
        shape: [batch, size],
        data: Array.from({ length: batch * size }, (_, i) =>
          Number(torch.data[row * batch * size + i]!),
        ),
      };
      errors.push(maxError(fixture, name, got, want));
    }
  }
  return errors;
}

const names = fixtureNames();

describe("PyTorch parity of the reference interpreter", () => {
  it.each(names)("%s", (name) => {
    const fixture = loadFixture(name);
    for (const [precision, tolerance] of [
      ["float64", 1e-9],
      ["float32", 1e-5],
    ] as const) {
      const { outputs } = run(fixture, precision);
      for (const [output, want] of fixture.expected) {
        const error = maxError(fixture, output, outputs[output]!, want);
        expect(error, `${name} ${output} in ${precision}`).toBeLessThanOrEqual(tolerance);
      }
      for (const error of finalStateErrors(fixture, outputs))
        expect(error, `${name} final states in ${precision}`).toBeLessThanOrEqual(tolerance);
    }
  });
});

describe("the passes (gate fusion, hoisting, unrolling) preserve the lowered result bit for bit", () => {
  it.each(names)("%s", (name) => {
    const fixture = loadFixture(name);
    const model = modelOf(fixture);
    const { batch, lengths } = run(fixture, "float64");
    const steps: Record<string, number> = {};
    for (const input of model.inputs) {
      const given = fixture.inputs.get(input.name);
      if (input.type.time && given) steps[input.type.time] = given.shape[1]!;
    }
    const feeds = {
      inputs: Object.fromEntries([
        ...[...fixture.inputs].map(([n, t]) => [n, fromStored(t)] as const),
        ...Object.entries(lengths).map(
          ([axis, l]) => [`lengths.${axis}`, tensor("int", [batch], l)] as const,
        ),
      ]),
      params: Object.fromEntries(
        model.params.map((p) => [p.name, fromStored(fixture.weights.get(p.name)!)]),
      ),
    };
    const options = { batch, steps, mode: modeOf(fixture, model) } as const;
    const scanned = evaluate(compileModel(model, { ...options, until: "lower" }), feeds);
    const unrolled = evaluate(compileModel(model, options), feeds);
    for (const key of Object.keys(unrolled))
      expect(Array.from(scanned[key]!.data)).toEqual(Array.from(unrolled[key]!.data));
  });
});
