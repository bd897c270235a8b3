/**
 * Lowering beam search for `decode` / `generate` with `search: beam(width: k)`.
 *
 * The decoder step runs on B × k rows (row r belongs to example r / k). Each step scores
 * every (beam, token) continuation by its summed log-probability, keeps the k best per
 * example (topk over k × V), and reorders the rows' states by the beams they extend. A
 * finished beam continues only with `eos`, at no cost, so it keeps its score. Beam 0 starts
 * alone (the others start at -1e30) so the first step does not pick k copies of one token.
 * After the last step the best beam by score / length^length_penalty is traced back through
 * the recorded parents by a second, reverse scan, which also picks that path's logits.
 */
import type { DecoderInfo } from "../check/decode.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { decoderStep } from "./decoder-step.ts";
import type { DecodeInputs, Decoded } from "./lower-decode.ts";
import { StepBuilder } from "./scan-builder.ts";

const MASKED = -1e30;

export function lowerBeamSearch(graph: Graph, info: DecoderInfo, inputs: DecodeInputs): Decoded {
  if (info.search.kind !== "beam" || info.vocab === undefined)
    throw new Error("internal: beam search needs a token decoder");
  const { width: k, lengthPenalty } = info.search;
  const batch = inputs.batch;
  const rows = batch * k;
  const vocab = info.vocab;
  const g = graph;
  const int = (value: number) => g.constant(value, "int", []);
  const exampleOfRow = g.node("floordiv", [
    g.node("iota", [], { axis: 0, dtype: "int", shape: [rows] }),
    int(k),
  ]);
  const core = decoderStep(graph, info, inputs, rows, (n) => g.node("gather", [n, exampleOfRow]));
  const { step } = core;
  const b = step.body;
  const bInt = (value: number) => b.constant(value, "int", []);

  const previous = step.state("previous", g.constant(info.bos!, "int", [rows]));
  const finished = step.state("finished", g.constant(0, "float", [rows]));
  const beamIndex = g.node("iota", [], { axis: 1, dtype: "int", shape: [batch, k] });
  const startScores = g.node("where", [
    g.node("equal", [beamIndex, int(0)]),
    g.constant(0),
    g.constant(MASKED),
  ]);
  const scores = step.state("scores", startScores);
  const lengths = step.state("lengths", g.constant(0, "float", [rows]));

  const { head, nextStates } = core.run(previous);
  const logp = b.node("log_softmax", [head], { axis: 1 });
  const onlyEos = b.node("where", [
    b.node("equal", [
      b.node("iota", [], { axis: 1, dtype: "int", shape: [1, vocab] }),
      bInt(info.eos!),
    ]),
    b.constant(0),
    b.constant(MASKED),
  ]);
  const stepLogp = b.node("where", [
    b.node("reshape", [finished], { shape: [rows, 1] }),
    onlyEos,
    logp,
  ]);
  const candidates = b.node(
    "reshape",
    [b.node("add", [b.node("reshape", [scores], { shape: [rows, 1] }), stepLogp])],
    { shape: [batch, k * vocab] },
  );
  const best = b.node("topk", [candidates], { k });
  const newScores = b.node("take_along", [candidates, best]);
  const parentBeam = b.node("floordiv", [best, bInt(vocab)]);
  const token = b.node("reshape", [b.node("mod", [best, bInt(vocab)])], { shape: [rows] });
  const exampleBase = b.node("mul", [
    b.node("iota", [], { axis: 0, dtype: "int", shape: [batch, k] }),
    bInt(k),
  ]);
  const parentRow = b.node("reshape", [b.node("add", [exampleBase, parentBeam])], {
    shape: [rows],
  });
  const reorder = (n: Node) => b.node("gather", [n, parentRow]);
  const wasFinished = reorder(finished);
  const nowFinished = b.node("maximum", [wasFinished, b.node("equal", [token, bInt(info.eos!)])]);
  const newLengths = b.node("add", [reorder(lengths), b.node("sub", [b.constant(1), wasFinished])]);
  const built = step.build(
    [...nextStates.map(reorder), token, nowFinished, newScores, newLengths],
    [b.node("reshape", [token], { shape: [batch, k] }), parentBeam, reorder(head)],
    info.maxSteps,
    false,
  );
  const [finalScores, finalLengths] = built.finalStates.slice(-2) as [Node, Node];
  const [stepTokens, stepParents, stepLogits] = built.outputs as [Node, Node, Node];

  // The best beam by length-normalised score, then its path, traced backwards.
  const penalty = g.node("exp", [
    g.node("mul", [
      g.constant(lengthPenalty),
      g.node("log", [g.node("reshape", [finalLengths], { shape: [batch, k] })]),
    ]),
  ]);
  const chosen = g.node("argmax", [g.node("div", [finalScores, penalty])], { axis: 1 });
  return traceBack(graph, chosen, stepTokens, stepParents, stepLogits, k);
}

/** A reverse scan that follows parents from the chosen beam: tokens and logits of the path. */
function traceBack(
  graph: Graph,
  chosen: Node,
  tokens: Node,
  parents: Node,
  logits: Node,
  k: number,
): Decoded {
  const [batch, steps] = tokens.shape as [number, number];
  const step = new StepBuilder(graph, "beam trace-back step");
  const b = step.body;
  const tokenSlice = step.slice("tokens", tokens);
  const parentSlice = step.slice("parents", parents);
  const logitSlice = step.slice("logits", logits);
  const beam = step.state("beam", chosen);
  const column = b.node("reshape", [beam], { shape: [batch, 1] });
  const pick = (slice: Node) =>
    b.node("reshape", [b.node("take_along", [slice, column])], { shape: [batch] });
  const row = b.node("add", [
    b.node("mul", [
      b.node("iota", [], { axis: 0, dtype: "int", shape: [batch] }),
      b.constant(k, "int", []),
    ]),
    beam,
  ]);
  const built = step.build(
    [pick(parentSlice)],
    [pick(tokenSlice), b.node("gather", [logitSlice, row])],
    steps,
    true,
  );
  return { tokens: built.outputs[0]!, logits: built.outputs[1]! };
}
