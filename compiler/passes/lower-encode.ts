/**
 * Lowering `encode`: one scan per layer and direction, each running the cell's step with
 * length masking — a step at or past a sequence's length leaves its states unchanged and
 * outputs zeros, which is exactly what PyTorch's packed sequences give (the reverse
 * direction then starts at each sequence's own last element). Layers read the merged
 * outputs of the layer below; `final` is each direction's output at its last valid step.
 */
import type { CellInstance } from "../check/cell-instance.ts";
import type { EncoderInfo } from "../check/model-types.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { lowerCellStep } from "./lower-cell.ts";
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
  const result = lowerCellStep(step.body, instance, {
    x,
    states,
    param: (name) =>
      step.param(`${prefix}.${name}`, instance.params.find((p) => p.name === name)!.shape),
  });
  const body = step.body;
  const mask = stepMask(body, lengthsFormal, step.step);
  const keep = (next: Node, current: Node) => body.node("where", [mask, next, current]);
  const nextStates = result.nextStates.map((n, i) => keep(n, states[i]!));
  if (lastOutput) nextStates.push(keep(result.output, lastOutput));
  const output = body.node("where", [mask, result.output, body.constant(0)]);
  const built = step.build(nextStates, [output], steps, reverse);
  const finalStates = built.finalStates.slice(0, instance.states.length);
  return {
    outputs: built.outputs[0]!,
    final: lastOutput ? built.finalStates[instance.states.length]! : finalStates[0]!,
    states: finalStates,
  };
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
): EncodedSequence {
  let layerInput = input;
  let top: DirectionResult[] = [];
  const allFinalStates = new Map<string, Node>();
  info.instances.forEach((instance, layer) => {
    const prefixes = info.prefixes[layer]!;
    top = prefixes.map((prefix, dir) => {
      const inits = instance.states.map((s) => initial(prefix, s.name, s.size));
      return runCell(graph, instance, layerInput, lengths, prefix, dir === 1, inits);
    });
    top.forEach((r, dir) => {
      instance.states.forEach((s, i) =>
        allFinalStates.set(stateSlotName(prefixes[dir]!, "final", s.name), r.states[i]!),
      );
    });
    // Dropout between layers is the identity at inference; training lowers it (issue 5).
    layerInput = merge(
      graph,
      top.map((r) => r.outputs),
      info.merge,
      2,
    );
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
