/**
 * Types of model values. Batch is implicit. A tensor is either per sequence (`float[256]`)
 * or per step of a sequence whose length varies (`float[T, 256]`, time axis `T`). Records are
 * the results of encode / decode / generate, read through their fields (`enc.final`).
 */
import type { CellInstance } from "./cell-instance.ts";

export type DType = "int" | "float";

/** Where a value came from, to tell the model's topology. */
export type Origin = "final" | "decode" | "generate";

export interface Tensor {
  readonly kind: "tensor";
  readonly dtype: DType;
  /** The time axis symbol for per-step values; undefined for per-sequence values. */
  readonly time: string | undefined;
  /** Feature dimensions after the time axis. */
  readonly dims: readonly number[];
  readonly origins: ReadonlySet<Origin>;
}

export interface EncoderInfo {
  readonly layers: number;
  readonly bidirectional: boolean;
  readonly merge: "concat" | "sum" | "mean";
  /** Dropout between layers (training only), as torch.nn.LSTM(dropout=p). */
  readonly dropout: number;
  /** Dropout of the first state where the step reads it, one mask per sequence for all steps. */
  readonly recurrentDropout: number;
  /** Zoneout: each state unit keeps its previous value with this probability (training). */
  readonly zoneout: number;
  /** One instance per layer (both directions share sizes). */
  readonly instances: readonly CellInstance[];
  /** Parameter name prefix of each layer and direction: `enc.l0`, `enc.l0_reverse`. */
  readonly prefixes: readonly (readonly string[])[];
  /** Width of the top layer's final states after merging directions. */
  readonly finalStates: readonly { name: string; size: number }[];
  readonly width: number;
}

export interface RecordType {
  readonly kind: "record";
  /** What made it, for messages: "encode(...)". */
  readonly label: string;
  readonly fields: ReadonlyMap<string, Tensor>;
  readonly encoder?: EncoderInfo;
}

export type ModelType = Tensor | RecordType;

export function tensor(
  dtype: DType,
  time: string | undefined,
  dims: readonly number[],
  origins: Iterable<Origin> = [],
): Tensor {
  return { kind: "tensor", dtype, time, dims, origins: new Set(origins) };
}

export function formatType(type: ModelType): string {
  if (type.kind === "record")
    return `the result of ${type.label} (fields: ${[...type.fields.keys()].join(", ")})`;
  return `${type.dtype}[${[...(type.time ? [type.time] : []), ...type.dims].join(", ")}]`;
}

export function sameTensorShape(a: Tensor, b: Tensor): boolean {
  return (
    a.time === b.time && a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i])
  );
}
