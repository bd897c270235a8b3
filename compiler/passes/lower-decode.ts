/**
 * Lowering `decode` and `generate`: a scan whose step embeds the previous token (or takes the
 * previous feature vector), attends over the encoder's outputs (Luong or Bahdanau), runs the
 * cell, and applies the output head. With teacher forcing (training) the previous token is the
 * target's previous token; otherwise the step picks its token (greedy argmax, or a seeded
 * sample) and feeds it back, and after `eos` keeps emitting `eos`.
 *
 * Attention follows docs/language.md: Luong "general" scores h_t·(W_a m_s) with input feeding
 * (the cell reads [embedding; previous attentional state]) and h~_t = tanh(W_c [ctx; h_t]);
 * Bahdanau scores v·tanh(W_q h_{t-1} + W_k m_s + b_k) and the cell reads [embedding; ctx].
 * Padded source positions are excluded from the softmax.
 */
import type { DecoderInfo } from "../check/sequence.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import type { EncodedSequence } from "./lower-encode.ts";
import { lowerCellStep } from "./lower-cell.ts";
import { StepBuilder } from "./scan-builder.ts";

export interface DecodeInputs {
  readonly encoded: EncodedSequence | undefined;
  /** generate's `init:` vector [B, n], for the first state. */
  readonly init: Node | undefined;
  /** Teacher forcing: the target sequence [B, T] (tokens) or [B, T, F] (features). */
  readonly teacher: Node | undefined;
  readonly batch: number;
  readonly seed: number;
}

export interface Decoded {
  readonly tokens?: Node;
  readonly logits?: Node;
  readonly values?: Node;
}

const MASKED = -1e30;

/** The teacher's inputs: [bos, y_0, ..., y_{T-2}] (or a zero vector first for features). */
function shiftRight(graph: Graph, teacher: Node, first: Node): Node {
  const steps = teacher.shape[1]!;
  if (steps === 1) return first;
  const head = graph.node("slice", [teacher], { axis: 1, start: 0, end: steps - 1 });
  return graph.node("concat", [first, head], { axis: 1 });
}

export function lowerDecode(graph: Graph, info: DecoderInfo, inputs: DecodeInputs): Decoded {
  const { batch } = inputs;
  const instance = info.instance;
  const hidden = instance.outputSize;
  const prefix = info.prefix;
  const tokens = info.vocab !== undefined;
  const forced = inputs.teacher !== undefined;
  const steps = forced ? inputs.teacher!.shape[1]! : info.maxSteps;
  const step = new StepBuilder(graph, `${prefix} step`);
  const body = step.body;
  const p = (name: string, shape: readonly number[]) => step.param(`${prefix}.${name}`, shape);

  // Per-step input: the teacher's previous token/vector, or the fed-back one (a state).
  let previous: Node;
  let previousState: Node | undefined;
  if (forced) {
    const first = tokens
      ? graph.constant(info.bos!, "int", [batch, 1])
      : graph.constant(0, "float", [batch, 1, info.features!]);
    previous = step.slice("previous", shiftRight(graph, inputs.teacher!, first));
  } else {
    previousState = tokens
      ? step.state("previous", graph.constant(info.bos!, "int", [batch]))
      : step.state("previous", graph.constant(0, "float", [batch, info.features!]));
    previous = previousState;
  }
  const finished =
    !forced && tokens ? step.state("finished", graph.constant(0, "float", [batch])) : undefined;

  // Initial states: an encoder's final states by name, or generate's init for the first state.
  const states = instance.states.map((s, i) => {
    const fromEncoder = inputs.encoded?.finalStates.get(s.name);
    const init =
      fromEncoder ??
      (i === 0 ? inputs.init : undefined) ??
      graph.constant(0, "float", [batch, s.size]);
    return step.state(s.name, init);
  });
  const attentional =
    info.attention === "luong"
      ? step.state("attentional", graph.constant(0, "float", [batch, hidden]))
      : undefined;

  const feed = tokens
    ? body.node("gather", [p("embed.weight", [info.vocab!, info.embed!]), previous])
    : previous;

  // Attention over the encoder's outputs; projections of the memory are hoisted out of the step.
  const encoded = inputs.encoded;
  let context: (query: Node) => Node = () => {
    throw new Error("internal: attention without an encoder");
  };
  if (info.attention !== "none" && encoded) {
    const memory = encoded.outputs;
    const [, sourceSteps, width] = memory.shape as [number, number, number];
    const positions = graph.node("iota", [], {
      axis: 1,
      dtype: "int",
      shape: [batch, sourceSteps],
    });
    const lengths = graph.node("reshape", [encoded.lengths], { shape: [batch, 1] });
    const valid = step.constant("source_mask", graph.node("greater", [lengths, positions]));
    const memoryFormal = step.constant("memory", memory);
    const attend = (scores: Node) => {
      const weights = body.node(
        "softmax",
        [body.node("where", [valid, scores, body.constant(MASKED)])],
        { axis: 1 },
      );
      const mixed = body.node("matmul", [
        body.node("reshape", [weights], { shape: [batch, 1, sourceSteps] }),
        memoryFormal,
      ]);
      return body.node("reshape", [mixed], { shape: [batch, width] });
    };
    if (info.attention === "luong") {
      const keys = step.constant(
        "keys",
        graph.node("matmul", [memory, graph.param(`${prefix}.attn.weight`, [hidden, width])], {
          transposeB: true,
        }),
      );
      context = (query) =>
        attend(
          body.node(
            "reshape",
            [
              body.node("matmul", [
                keys,
                body.node("reshape", [query], { shape: [batch, hidden, 1] }),
              ]),
            ],
            { shape: [batch, sourceSteps] },
          ),
        );
    } else {
      const size = info.attentionSize!;
      const projected = graph.node("add", [
        graph.node("matmul", [memory, graph.param(`${prefix}.attn.key.weight`, [size, width])], {
          transposeB: true,
        }),
        graph.param(`${prefix}.attn.key.bias`, [size]),
      ]);
      const keys = step.constant("keys", projected);
      const v = body.node("reshape", [p("attn.v", [size])], { shape: [size, 1] });
      context = (query) => {
        const q = body.node("matmul", [query, p("attn.query.weight", [size, hidden])], {
          transposeB: true,
        });
        const energy = body.node("tanh", [
          body.node("add", [keys, body.node("reshape", [q], { shape: [batch, 1, size] })]),
        ]);
        return attend(
          body.node("reshape", [body.node("matmul", [energy, v])], { shape: [batch, sourceSteps] }),
        );
      };
    }
  }

  let cellInput = feed;
  let bahdanauContext: Node | undefined;
  if (info.attention === "luong")
    cellInput = body.node("concat", [feed, attentional!], { axis: 1 });
  if (info.attention === "bahdanau") {
    bahdanauContext = context(states[0]!);
    cellInput = body.node("concat", [feed, bahdanauContext], { axis: 1 });
  }
  const result = lowerCellStep(body, instance, {
    x: cellInput,
    states,
    param: (name) => p(`cell.${name}`, instance.params.find((q) => q.name === name)!.shape),
  });
  const h = result.output;
  let headInput = h;
  let nextAttentional: Node | undefined;
  if (info.attention === "luong") {
    const ctx = context(h);
    nextAttentional = body.node("tanh", [
      body.node(
        "matmul",
        [
          body.node("concat", [ctx, h], { axis: 1 }),
          p("attn.combine.weight", [hidden, ctx.shape[1]! + hidden]),
        ],
        { transposeB: true },
      ),
    ]);
    headInput = nextAttentional;
  } else if (info.attention === "bahdanau") {
    headInput = body.node("concat", [h, bahdanauContext!], { axis: 1 });
  }
  const outSize = tokens ? info.vocab! : info.features!;
  const head = body.node("add", [
    body.node("matmul", [headInput, p("out.weight", [outSize, headInput.shape[1]!])], {
      transposeB: true,
    }),
    p("out.bias", [outSize]),
  ]);

  const nextStates: Node[] = [];
  const outputs: Node[] = [];
  if (tokens) {
    let token =
      info.search.kind === "sample" && !forced
        ? body.node("sample", [head, step.step], {
            seed: inputs.seed >>> 0,
            temperature: info.search.temperature,
          })
        : body.node("argmax", [head], { axis: 1 });
    if (finished) {
      const eos = body.constant(info.eos!, "int", [batch]);
      token = body.node("where", [finished, eos, token]);
      nextStates.push(token, body.node("maximum", [finished, body.node("equal", [token, eos])]));
    }
    outputs.push(token, head);
  } else {
    if (previousState) nextStates.push(head);
    outputs.push(head);
  }
  nextStates.push(...result.nextStates);
  if (nextAttentional) nextStates.push(nextAttentional);
  // States were declared in the order: previous, finished, cell states, attentional.
  const built = step.build(nextStates, outputs, steps, false);
  return tokens
    ? { tokens: built.outputs[0]!, logits: built.outputs[1]! }
    : { values: built.outputs[0]! };
}
