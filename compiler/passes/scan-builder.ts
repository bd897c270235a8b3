/**
 * Building `scan` nodes: a step graph with formal inputs (per-step slices, carried states,
 * constants, the step index) and the scan that runs it over the outer graph's values.
 * Constants are collected on first use, so a step graph asks for a parameter by name and
 * the scan passes the outer graph's parameter of that name.
 */
import { Graph } from "../ir/graph.ts";
import type { DType, Node } from "../ir/node.ts";

export class StepBuilder {
  readonly body: Graph;
  readonly slices: Node[] = [];
  readonly states: Node[] = [];
  readonly step: Node;
  private readonly sliceSources: Node[] = [];
  private readonly stateInits: Node[] = [];
  private readonly consts: { formal: Node; outer: Node }[] = [];

  constructor(
    private readonly outer: Graph,
    label: string,
  ) {
    this.body = new Graph(label);
    this.step = this.body.input("t", "int", []);
  }

  slice(name: string, sequence: Node): Node {
    const formal = this.body.input(name, sequence.dtype, [
      sequence.shape[0]!,
      ...sequence.shape.slice(2),
    ]);
    this.slices.push(formal);
    this.sliceSources.push(sequence);
    return formal;
  }

  state(name: string, init: Node): Node {
    const formal = this.body.input(name, init.dtype, init.shape);
    this.states.push(formal);
    this.stateInits.push(init);
    return formal;
  }

  /** A value of the outer graph that every step reads (a parameter, the memory, lengths). */
  constant(name: string, outer: Node): Node {
    const existing = this.consts.find((c) => c.outer === outer);
    if (existing) return existing.formal;
    const formal = this.body.input(name, outer.dtype, outer.shape);
    this.consts.push({ formal, outer });
    return formal;
  }

  /** The outer graph's parameter `name`, as seen inside the step. */
  param(name: string, shape: readonly number[]): Node {
    return this.constant(name, this.outer.param(name, shape));
  }

  formal(name: string, dtype: DType, shape: readonly number[]): Node {
    return this.body.input(name, dtype, shape);
  }

  /** Finishes the step graph and adds the scan to the outer graph; returns its results. */
  build(
    nextStates: readonly Node[],
    outputs: readonly Node[],
    steps: number,
    reverse: boolean,
  ): { finalStates: Node[]; outputs: Node[] } {
    // Constants in name order, so the scan does not depend on the order equations were written in.
    this.consts.sort((a, b) =>
      String(a.formal.attrs.name).localeCompare(String(b.formal.attrs.name)),
    );
    const scan = this.outer.node(
      "scan",
      [...this.sliceSources, ...this.stateInits, ...this.consts.map((c) => c.outer)],
      {
        slices: this.slices.length,
        states: this.states.length,
        consts: this.consts.length,
        steps,
        reverse,
      },
      {
        graph: this.body,
        slices: this.slices,
        states: this.states,
        consts: this.consts.map((c) => c.formal),
        step: this.step,
        nextStates,
        outputs,
      },
    );
    const results = this.outer.scanOutputs(scan);
    return {
      finalStates: results.slice(0, nextStates.length),
      outputs: results.slice(nextStates.length),
    };
  }
}

/** [B] lengths > t as a [B, 1] float mask. */
export function stepMask(body: Graph, lengths: Node, t: Node): Node {
  const batch = lengths.shape[0]!;
  return body.node("reshape", [body.node("greater", [lengths, t])], { shape: [batch, 1] });
}
