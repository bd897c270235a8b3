/** What every benchmarked system provides for one workload. */
import type { MeasureOptions, Timing } from "../measure.ts";
import type { TorchTensor, HostInput, Workload } from "../workloads.ts";

export type Values = Float32Array | Float64Array | Int32Array | readonly number[];

export interface Prepared {
  /**
   * One run from a fresh state, for the correctness check (compared with rnnc's): the output
   * of a forward pass or decode; for a stream, the output of the third step after a reset;
   * for a training step, the losses of the first two steps from the initial weights.
   */
  check(): Promise<Values>;
  /** One timed run (its outputs read back to the host). */
  run(): Promise<unknown>;
  dispose?(): void | Promise<void>;
  /** Timings taken by the system itself (PyTorch's script), instead of timing `run`. */
  readonly timing?: Timing;
  /** Something the report should say about this cell (threads, schedule, ...). */
  readonly note?: string;
}

export interface BenchContext {
  readonly workload: Workload;
  readonly inputs: Readonly<Record<string, HostInput>>;
  /** rnnc's parameters (the spec's names). */
  readonly weights: ReadonlyMap<string, Float32Array>;
  /** The same parameters as bench/torch_bench.py's state_dict. */
  readonly torch: ReadonlyMap<string, TorchTensor>;
  /** The WebGPU device every WebGPU system shares (undefined: no adapter). */
  readonly device: GPUDevice | undefined;
  /** The timing protocol of this workload's cells. */
  readonly protocol: MeasureOptions;
}

export interface System {
  readonly id: string;
  readonly label: string;
  /** Prepares a workload, or says why this system does not run it. */
  prepare(ctx: BenchContext): Promise<Prepared | string>;
}
