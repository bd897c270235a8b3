/**
 * Random masks of training graphs (dropout, recurrent dropout, zoneout, scheduled sampling's
 * coins). Every draw is the counter-based `uniform` op keyed by a per-site seed and a counter
 * built from the graph input `rng.step` — the trainer's step number — so a run is
 * reproducible bit for bit, and each training step draws fresh masks without recompiling.
 */
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import type { StepBuilder } from "./scan-builder.ts";

/** Steps of one scan are told apart in the counter's low 16 bits. */
const STEPS_PER_COUNT = 65536;

export class TrainingRandomness {
  private site = 0;

  constructor(
    private readonly graph: Graph,
    private readonly seed: number,
  ) {}

  /** The trainer's step number: a different value draws different masks. */
  counter(): Node {
    return this.graph.input("rng.step", "int", []);
  }

  /** A fresh seed for the next place that draws. */
  nextSeed(): number {
    this.site += 1;
    return (Math.imul(this.seed >>> 0, 0x9e3779b1) + this.site) >>> 0;
  }

  /** 1/(1-p) where a draw keeps the element (probability 1-p), else 0: x·mask is dropout(x, p). */
  dropoutMask(shape: readonly number[], p: number): Node {
    return keepMask(
      this.graph,
      this.graph.node("uniform", [this.counter()], { seed: this.nextSeed(), shape: [...shape] }),
      p,
      true,
    );
  }

  /** A draw per element for the current step of a scan (a different draw every step). */
  stepUniform(step: StepBuilder, shape: readonly number[], seed: number): Node {
    const body = step.body;
    const counter = step.constant("rng.step", this.counter());
    const perStep = body.node("add", [
      body.node("mul", [counter, body.constant(STEPS_PER_COUNT, "int", [])]),
      step.step,
    ]);
    return body.node("uniform", [perStep], { seed, shape: [...shape] });
  }
}

/** From uniform draws: 1 where u >= p (else 0), scaled by 1/(1-p) when `scaled`. */
export function keepMask(graph: Graph, draws: Node, p: number, scaled: boolean): Node {
  const keep = graph.node("sub", [
    graph.constant(1),
    graph.node("less", [draws, graph.constant(p)]),
  ]);
  return scaled ? graph.node("mul", [keep, graph.constant(1 / (1 - p))]) : keep;
}
