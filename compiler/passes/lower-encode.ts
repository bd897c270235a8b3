/**
 * Lowering `encode`: one scan per layer and direction, each running the cell's step with
 * length masking — a step at or past a sequence's length leaves its states unchanged and
 * outputs zeros, which is exactly what PyTorch's packed sequences give (the reverse
 * direction then starts at each sequence's own last element). Layers read the merged
 * outputs of the layer below; `final` is each direction's output at its last valid step.
 * In training graphs, dropout between layers, recurrent dropout and zoneout draw their masks
 * from `TrainingRandomness`; zoneout in evaluation uses its expectation.
 */
import type { CellInstance } from "../check/cell-instance.ts";
import type { EncoderInfo } from "../check/model-types.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { lowerCellStep } from "./lower-cell.ts";
import type { TrainingRandomness } from "./randomness.ts";
import { StepBuilder, stepMask } from "./scan-builder.ts";

export interface EncodedSequence {
  /** Top layer outputs [B, T, W], zeros past each length. */
  readonly outputs: Node;
  /** Top layer output at each sequence's last step (directions merged) [B, W]. */
  readonly final: Node;
  /** Final states by cell state name, top layer, directions merged: what decoders start from. */
  readonly finalStates: ReadonlyMap<string, Node>;
  /** Every layer's and direction's final states by output name: `enc.final_state.l0_reverse.c`. */
  readonly allFinalStates: ReadonlyMap<string, Node>;
  readonly lengths: Node;
}

interface DirectionResult {
  readonly outputs: Node;
  readonly final: Node;
  readonly states: readonly Node[];
}

/** One direction of one layer: a scan of the cell step over `input` [B, T, I]. */
export function runCell(
  graph: Graph,
  instance: CellInstance,
  input: Node,
  lengths: Node,
  prefix: string,
  reverse: boolean,
  inits?: readonly (Node | undefined)[],
  regularisers: Regularisers = {},
): DirectionResult {
  const batch = input.shape[0]!;
  const steps = input.shape[1]!;
  const cell = instance.cell;
  const step = new StepBuilder(graph, `${prefix}${reverse ? " (reverse)" : ""} step`);
  const x = step.slice("x", input);
  const zeros = (size: number) => graph.constant(0, "float", [batch, size]);
  const states = instance.states.map((s, i) => step.state(s.name, inits?.[i] ?? zeros(s.size)));
  // A cell with its own `output` carries its last valid output as an extra state for `final`.
  const carriesOutput = cell.output.expr !== undefined;
  const lastOutput = carriesOutput
    ? step.state("last_output", zeros(instance.outputSize))
    : undefined;
  const lengthsFormal = step.constant("lengths", lengths);
  const body = step.body;
  // Recurrent dropout: the first state, where the step reads it, times a mask drawn once per
  // sequence and kept for every step (Gal & Ghahramani); the carried state itself is not masked.
  const read = [...states];
  if (regularisers.recurrentMask) {
    read[0] = body.node("mul", [
      states[0]!,
      step.constant("recurrent_mask", regularisers.recurrentMask),
    ]);
  }
  const result = lowerCellStep(body, instance, {
    x,
    states: read,
    param: (name) =>
      step.param(`${prefix}.${name}`, instance.params.find((p) => p.name === name)!.shape),
  });
  const mask = stepMask(body, lengthsFormal, step.step);
  const keep = (next: Node, current: Node) => body.node("where", [mask, next, current]);
  const zoned = result.nextStates.map((n, i) => zoneout(step, regularisers, n, states[i]!));
  const nextStates = zoned.map((n, i) => keep(n, states[i]!));
  // The step's output is its first state's new value (after zoneout), unless the cell names one.
  const stepOutput = carriesOutput ? result.output : zoned[0]!;
  if (lastOutput) nextStates.push(keep(stepOutput, lastOutput));
  const output = body.node("where", [mask, stepOutput, body.constant(0)]);
  const built = step.build(nextStates, [output], steps, reverse);
  const finalStates = built.finalStates.slice(0, instance.states.length);
  return {
    outputs: built.outputs[0]!,
    final: lastOutput ? built.finalStates[instance.states.length]! : finalStates[0]!,
    states: finalStates,
  };
}

/** Training-time regularisers of one direction of one layer. */
export interface Regularisers {
  /** Recurrent dropout's mask for the first state [B, size] (already scaled). */
  readonly recurrentMask?: Node;
  /** Zoneout probability; with `randomness` a unit keeps its old value at random, else by expectation. */
  readonly zoneout?: number;
  readonly randomness?: TrainingRandomness;
}

/**
 * Zoneout (Krueger et al. 2017): in training each unit keeps its previous value with
 * probability p; in evaluation the next state is p·previous + (1-p)·next.
 */
function zoneout(step: StepBuilder, r: Regularisers, next: Node, current: Node): Node {
  const p = r.zoneout ?? 0;
  if (p === 0) return next;
  const body = step.body;
  if (!r.randomness) {
    return body.node("add", [
      body.node("mul", [current, body.constant(p)]),
      body.node("mul", [next, body.constant(1 - p)]),
    ]);
  }
  const draws = r.randomness.stepUniform(step, next.shape, r.randomness.nextSeed());
  return body.node("where", [body.node("less", [draws, body.constant(p)]), current, next]);
}

function merge(
  graph: Graph,
  parts: readonly Node[],
  how: EncoderInfo["merge"],
  axis: number,
): Node {
  if (parts.length === 1) return parts[0]!;
  if (how === "concat") return graph.node("concat", parts, { axis });
  const sum = graph.node("add", [parts[0]!, parts[1]!]);
  return how === "sum" ? sum : graph.node("mul", [sum, graph.constant(0.5)]);
}

/**
 * The name of a layer's and direction's initial or final state as a graph input or output:
 * layer prefix `enc.l0_reverse`, state `h` → `enc.initial_state.l0_reverse.h`.
 */
export function stateSlotName(
  layerPrefix: string,
  kind: "initial" | "final",
  state: string,
): string {
  const dot = layerPrefix.lastIndexOf(".");
  return `${layerPrefix.slice(0, dot)}.${kind}_state.${layerPrefix.slice(dot + 1)}.${state}`;
}

/** Every encoder state slot of a model: its layer prefix, state name and size. */
export function encoderStateSlots(
  encoders: Iterable<EncoderInfo>,
): { prefix: string; state: string; size: number }[] {
  const out: { prefix: string; state: string; size: number }[] = [];
  for (const info of encoders) {
    info.instances.forEach((instance, layer) => {
      for (const prefix of info.prefixes[layer]!) {
        for (const s of instance.states) out.push({ prefix, state: s.name, size: s.size });
      }
    });
  }
  return out;
}

/**
 * Lowers an encoder over `input` [B, T, I]. `initial(prefix, state)` gives a layer's and
 * direction's initial state when the caller supplies one; zeros otherwise.
 */
export function lowerEncode(
  graph: Graph,
  info: EncoderInfo,
  input: Node,
  lengths: Node,
  initial: (prefix: string, state: string, size: number) => Node | undefined = () => undefined,
  randomness?: TrainingRandomness,
): EncodedSequence {
  let layerInput = input;
  let top: DirectionResult[] = [];
  const allFinalStates = new Map<string, Node>();
  info.instances.forEach((instance, layer) => {
    const prefixes = info.prefixes[layer]!;
    top = prefixes.map((prefix, dir) => {
      const inits = instance.states.map((s) => initial(prefix, s.name, s.size));
      const first = instance.states[0]!;
      const regularisers: Regularisers = {
        zoneout: info.zoneout,
        randomness,
        recurrentMask:
          randomness && info.recurrentDropout > 0
            ? randomness.dropoutMask([layerInput.shape[0]!, first.size], info.recurrentDropout)
            : undefined,
      };
      return runCell(graph, instance, layerInput, lengths, prefix, dir === 1, inits, regularisers);
    });
    top.forEach((r, dir) => {
      instance.states.forEach((s, i) =>
        allFinalStates.set(stateSlotName(prefixes[dir]!, "final", s.name), r.states[i]!),
      );
    });
    layerInput = merge(
      graph,
      top.map((r) => r.outputs),
      info.merge,
      2,
    );
    // Dropout between layers, in training, as torch.nn.LSTM(dropout=p): not after the last.
    if (randomness && info.dropout > 0 && layer < info.instances.length - 1) {
      layerInput = graph.node("mul", [
        layerInput,
        randomness.dropoutMask(layerInput.shape, info.dropout),
      ]);
    }
  });
  const topInstance = info.instances[info.instances.length - 1]!;
  const finalStates = new Map<string, Node>();
  topInstance.states.forEach((s, i) =>
    finalStates.set(
      s.name,
      merge(
        graph,
        top.map((r) => r.states[i]!),
        info.merge,
        1,
      ),
    ),
  );
  return {
    outputs: layerInput,
    final: merge(
      graph,
      top.map((r) => r.final),
      info.merge,
      1,
    ),
    finalStates,
    allFinalStates,
    lengths,
  };
}
