/**
 * One step of a decoder, shared by teacher forcing, greedy/sampled decoding and beam search:
 * embed the previous token (or take the previous feature vector), attend over the encoder's
 * outputs, run the cell, apply the output head.
 *
 * Attention follows docs/language.md: Luong "general" scores h_t·(W_a m_s) with input feeding
 * (the cell reads [embedding; previous attentional state]) and h~_t = tanh(W_c [ctx; h_t]);
 * Bahdanau scores v·tanh(W_q h_{t-1} + W_k m_s + b_k) and the cell reads [embedding; ctx].
 * Padded source positions are excluded from the softmax. Projections of the memory do not
 * depend on the step and are computed once, outside it.
 *
 * Rows: a step works on R rows — the batch, or batch × beams for beam search; `expand` maps
 * a per-example value [B, ...] to the step's rows [R, ...].
 */
import type { DecoderInfo } from "../check/decode.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import type { EncodedSequence } from "./lower-encode.ts";
import { lowerCellStep } from "./lower-cell.ts";
import { StepBuilder } from "./scan-builder.ts";

export interface DecoderSources {
  readonly encoded: EncodedSequence | undefined;
  /** generate's `init:` vector [B, n], for the first state. */
  readonly init: Node | undefined;
  readonly batch: number;
}

export interface DecoderStep {
  readonly step: StepBuilder;
  /** The step's state formals this core declared (cell states, then Luong's attentional state). */
  readonly stateCount: number;
  /** Builds the step for a previous token [R] (int) or vector [R, F]; returns the head's output and the next core states. */
  run(previous: Node): { head: Node; nextStates: Node[] };
}

const MASKED = -1e30;

export function decoderStep(
  graph: Graph,
  info: DecoderInfo,
  sources: DecoderSources,
  rows: number,
  expand: (n: Node) => Node,
): DecoderStep {
  const { batch } = sources;
  const instance = info.instance;
  const hidden = instance.outputSize;
  const prefix = info.prefix;
  const step = new StepBuilder(graph, `${prefix} step`);
  const body = step.body;
  const p = (name: string, shape: readonly number[]) => step.param(`${prefix}.${name}`, shape);

  const states = instance.states.map((s, i) => {
    const fromEncoder = sources.encoded?.finalStates.get(s.name);
    const init = fromEncoder ?? (i === 0 ? sources.init : undefined);
    return step.state(s.name, init ? expand(init) : graph.constant(0, "float", [rows, s.size]));
  });
  const attentional =
    info.attention === "luong"
      ? step.state("attentional", graph.constant(0, "float", [rows, hidden]))
      : undefined;

  let context: ((query: Node) => Node) | undefined;
  const encoded = sources.encoded;
  if (info.attention !== "none" && encoded) {
    const memory = expand(encoded.outputs);
    const [, sourceSteps, width] = memory.shape as [number, number, number];
    const positions = graph.node("iota", [], {
      axis: 1,
      dtype: "int",
      shape: [batch, sourceSteps],
    });
    const lengths = graph.node("reshape", [encoded.lengths], { shape: [batch, 1] });
    const valid = step.constant("source_mask", expand(graph.node("greater", [lengths, positions])));
    const memoryFormal = step.constant("memory", memory);
    const attend = (scores: Node) => {
      const weights = body.node(
        "softmax",
        [body.node("where", [valid, scores, body.constant(MASKED)])],
        { axis: 1 },
      );
      const mixed = body.node("matmul", [
        body.node("reshape", [weights], { shape: [rows, 1, sourceSteps] }),
        memoryFormal,
      ]);
      return body.node("reshape", [mixed], { shape: [rows, width] });
    };
    const scoresOf = (keys: Node, query: Node, size: number) =>
      body.node(
        "reshape",
        [body.node("matmul", [keys, body.node("reshape", [query], { shape: [rows, size, 1] })])],
        { shape: [rows, sourceSteps] },
      );
    if (info.attention === "luong") {
      const keys = step.constant(
        "keys",
        graph.node("matmul", [memory, graph.param(`${prefix}.attn.weight`, [hidden, width])], {
          transposeB: true,
        }),
      );
      context = (query) => attend(scoresOf(keys, query, hidden));
    } else {
      const size = info.attentionSize!;
      const projected = graph.node("add", [
        graph.node("matmul", [memory, graph.param(`${prefix}.attn.key.weight`, [size, width])], {
          transposeB: true,
        }),
        graph.param(`${prefix}.attn.key.bias`, [size]),
      ]);
      const keys = step.constant("keys", projected);
      context = (query) => {
        const q = body.node("matmul", [query, p("attn.query.weight", [size, hidden])], {
          transposeB: true,
        });
        const energy = body.node("tanh", [
          body.node("add", [keys, body.node("reshape", [q], { shape: [rows, 1, size] })]),
        ]);
        const v = body.node("reshape", [p("attn.v", [size])], { shape: [size, 1] });
        return attend(
          body.node("reshape", [body.node("matmul", [energy, v])], { shape: [rows, sourceSteps] }),
        );
      };
    }
  }

  const run = (previous: Node) => {
    const feed =
      info.vocab !== undefined
        ? body.node("gather", [p("embed.weight", [info.vocab, info.embed!]), previous])
        : previous;
    let cellInput = feed;
    let bahdanauContext: Node | undefined;
    if (attentional) cellInput = body.node("concat", [feed, attentional], { axis: 1 });
    if (info.attention === "bahdanau" && context) {
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
    const nextStates = [...result.nextStates];
    if (attentional && context) {
      const ctx = context(h);
      const combined = body.node("concat", [ctx, h], { axis: 1 });
      headInput = body.node("tanh", [
        body.node("matmul", [combined, p("attn.combine.weight", [hidden, combined.shape[1]!])], {
          transposeB: true,
        }),
      ]);
      nextStates.push(headInput);
    } else if (bahdanauContext) {
      headInput = body.node("concat", [h, bahdanauContext], { axis: 1 });
    }
    const outSize = info.vocab ?? info.features!;
    const head = body.node("add", [
      body.node("matmul", [headInput, p("out.weight", [outSize, headInput.shape[1]!])], {
        transposeB: true,
      }),
      p("out.bias", [outSize]),
    ]);
    return { head, nextStates };
  };
  return { step, stateCount: states.length + (attentional ? 1 : 0), run };
}
