/**
 * Lowering `decode` and `generate` without beam search: a scan of the decoder step
 * (decoder-step.ts). With teacher forcing (training) the previous token is the target's
 * previous token; otherwise the step picks its token — greedy argmax or a seeded sample —
 * feeds it back, and after `eos` keeps emitting `eos`. Feature decoders (generate with
 * `features:`) feed back their own output vector.
 */
import type { DecoderInfo } from "../check/decode.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { lowerBeamSearch } from "./lower-beam.ts";
import type { TrainingRandomness } from "./randomness.ts";
import { decoderStep, type DecoderSources } from "./decoder-step.ts";

export interface DecodeInputs extends DecoderSources {
  /** Teacher forcing: the target sequence [B, T] (tokens) or [B, T, F] (features). */
  readonly teacher: Node | undefined;
  readonly seed: number;
  /** Training graphs: where scheduled sampling's coins come from (fresh every training step). */
  readonly randomness?: TrainingRandomness;
}

export interface Decoded {
  readonly tokens?: Node;
  readonly logits?: Node;
  readonly values?: Node;
}

/** A seeded draw from softmax(logits / temperature), among the top_k logits when given. */
function sample(
  body: Graph,
  logits: Node,
  step: Node,
  search: { temperature: number; topK: number | undefined },
  seed: number,
): Node {
  let candidates = logits;
  const vocab = logits.shape[1]!;
  if (search.topK !== undefined && search.topK < vocab) {
    const top = body.node("topk", [logits], { k: search.topK });
    const kth = body.node("slice", [top], { axis: 1, start: search.topK - 1, end: search.topK });
    const threshold = body.node("take_along", [logits, kth]);
    candidates = body.node("where", [
      body.node("less", [logits, threshold]),
      body.constant(-1e30),
      logits,
    ]);
  }
  return body.node("sample", [candidates, step], {
    seed: seed >>> 0,
    temperature: search.temperature,
  });
}

/** The decoder's own choice of token: a seeded sample or the argmax, as its search says. */
function pick(body: Graph, logits: Node, step: Node, info: DecoderInfo, seed: number): Node {
  return info.search.kind === "sample"
    ? sample(body, logits, step, info.search, seed)
    : body.node("argmax", [logits], { axis: 1 });
}

/** The teacher's inputs: [first, y_0, ..., y_{T-2}]. */
function shiftRight(graph: Graph, teacher: Node, first: Node): Node {
  const steps = teacher.shape[1]!;
  if (steps === 1) return first;
  const head = graph.node("slice", [teacher], { axis: 1, start: 0, end: steps - 1 });
  return graph.node("concat", [first, head], { axis: 1 });
}

/** from + (to - from) * min(k / steps, 1) at the trainer's step k (the input rng.step). */
function decayingRatio(
  graph: Graph,
  randomness: NonNullable<DecodeInputs["randomness"]>,
  decay: NonNullable<DecoderInfo["teacherForcingDecay"]>,
): Node {
  const k = graph.node("cast", [randomness.counter()], { to: "float" });
  const progress = graph.node("minimum", [
    graph.node("mul", [k, graph.constant(1 / decay.steps)]),
    graph.constant(1),
  ]);
  return graph.node("add", [
    graph.constant(decay.from),
    graph.node("mul", [progress, graph.constant(decay.to - decay.from)]),
  ]);
}

export function lowerDecode(graph: Graph, info: DecoderInfo, inputs: DecodeInputs): Decoded {
  const forced = inputs.teacher !== undefined;
  if (!forced && info.search.kind === "beam") return lowerBeamSearch(graph, info, inputs);
  const { batch } = inputs;
  const tokens = info.vocab !== undefined;
  const core = decoderStep(graph, info, inputs, batch, (n) => n);
  const { step } = core;
  const body = step.body;

  if (forced) {
    const first = tokens
      ? graph.constant(info.bos!, "int", [batch, 1])
      : graph.constant(0, "float", [batch, 1, info.features!]);
    const teacherPrevious = step.slice("previous", shiftRight(graph, inputs.teacher!, first));
    // Scheduled sampling (teacher_forcing: r < 1): each step and row feeds the target with
    // probability r, else the decoder's own previous prediction.
    const decay = inputs.randomness ? info.teacherForcingDecay : undefined;
    const scheduled = info.teacherForcing < 1 || decay !== undefined;
    const own = scheduled
      ? step.state(
          "own_previous",
          tokens
            ? graph.constant(info.bos!, "int", [batch])
            : graph.constant(0, "float", [batch, info.features!]),
        )
      : undefined;
    let previous = teacherPrevious;
    if (own) {
      const draw = inputs.randomness
        ? inputs.randomness.stepUniform(step, [batch], inputs.randomness.nextSeed())
        : body.node("uniform", [step.step], { seed: inputs.seed >>> 0, shape: [batch] });
      const ratio = decay
        ? step.constant("teacher_forcing", decayingRatio(graph, inputs.randomness!, decay))
        : body.constant(info.teacherForcing);
      const coin = body.node("less", [draw, ratio]);
      const useTarget = tokens ? coin : body.node("reshape", [coin], { shape: [batch, 1] });
      previous = body.node("where", [useTarget, teacherPrevious, own]);
    }
    const { head, nextStates } = core.run(previous);
    const prediction = !tokens
      ? head
      : own
        ? pick(body, head, step.step, info, inputs.seed)
        : body.node("argmax", [head], { axis: 1 });
    const outputs = tokens ? [prediction, head] : [head];
    const built = step.build(
      own ? [...nextStates, prediction] : nextStates,
      outputs,
      inputs.teacher!.shape[1]!,
      false,
    );
    return tokens
      ? { tokens: built.outputs[0]!, logits: built.outputs[1]! }
      : { values: built.outputs[0]! };
  }

  if (!tokens) {
    const previous = step.state("previous", graph.constant(0, "float", [batch, info.features!]));
    const { head, nextStates } = core.run(previous);
    const built = step.build([...nextStates, head], [head], info.maxSteps, false);
    return { values: built.outputs[0]! };
  }

  const previous = step.state("previous", graph.constant(info.bos!, "int", [batch]));
  const finished = step.state("finished", graph.constant(0, "float", [batch]));
  const { head, nextStates } = core.run(previous);
  const picked = pick(body, head, step.step, info, inputs.seed);
  const eos = body.constant(info.eos!, "int", [batch]);
  const token = body.node("where", [finished, eos, picked]);
  const nowFinished = body.node("maximum", [finished, body.node("equal", [token, eos])]);
  const built = step.build(
    [...nextStates, token, nowFinished],
    [token, head],
    info.maxSteps,
    false,
  );
  return { tokens: built.outputs[0]!, logits: built.outputs[1]! };
}
