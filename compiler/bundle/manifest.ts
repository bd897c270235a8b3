/**
 * The manifest of a bundle (schema: runtime/bundle/manifest.ts, docs/bundles.md) from the
 * checked model, its compiled run graph and the files written beside it.
 */
import type { CheckedModel } from "../check/model.ts";
import { vocabularies } from "../driver/run-model.ts";
import type { Graph } from "../ir/graph.ts";
import { encoderStateSlots, stateSlotName } from "../passes/lower-encode.ts";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type FileEntry,
  type Manifest,
  type StreamState,
  type TensorSpec,
} from "../../runtime/bundle/manifest.ts";
import type { BundleLimits } from "./plans.ts";

export const RNNC_VERSION = "0.1.0";

/** The glue's class name: textbook_lstm → TextbookLstm. */
export function className(model: string): string {
  const name = model
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
  return /^[A-Za-z]/.test(name) ? name : `Model${name}`;
}

/** The model's inputs at inference (inputs marked `for training` are not). */
export function inputSpecs(model: CheckedModel): TensorSpec[] {
  const vocab = vocabularies(model);
  return model.inputs
    .filter((i) => !i.training)
    .map((i) => ({
      name: i.name,
      dtype: i.type.dtype,
      shape: ["B", ...(i.type.time ? [i.type.time] : []), ...i.type.dims],
      ...(i.type.time ? { time: i.type.time } : {}),
      ...(vocab.has(i.name) ? { vocab: vocab.get(i.name)! } : {}),
    }));
}

/** The run graph's outputs: the model's, then the encoders' final states. */
export function outputSpecs(model: CheckedModel, graph: Graph, limits: BundleLimits): TensorSpec[] {
  const specs = [...graph.outputs].map(([name, node]): TensorSpec => {
    const declared = model.outputs.find((o) => o.name === name);
    const time = declared?.type.time;
    const timed = time !== undefined && limits.steps[time] !== undefined;
    return {
      name,
      dtype: node.dtype,
      shape: ["B", ...(timed ? [time] : []), ...node.shape.slice(timed ? 2 : 1)],
      ...(timed ? { time } : {}),
    };
  });
  const declared = (s: TensorSpec) => model.outputs.some((o) => o.name === s.name);
  return [...specs.filter(declared), ...specs.filter((s) => !declared(s))];
}

/**
 * How the model streams, or null: only when its encoders all run forwards (a reverse
 * direction needs the future), it has no decoder, and its inputs share one time axis.
 */
export function streamOf(model: CheckedModel): Manifest["stream"] {
  const axes = new Set(inputSpecs(model).flatMap((s) => (s.time ? [s.time] : [])));
  const encoders = [...model.encoders.values()];
  if (model.decoders.size > 0 || axes.size !== 1 || encoders.length === 0) return null;
  if (encoders.some((e) => e.bidirectional)) return null;
  const states: StreamState[] = encoderStateSlots(encoders).map((s) => ({
    input: stateSlotName(s.prefix, "initial", s.state),
    output: stateSlotName(s.prefix, "final", s.state),
    size: s.size,
  }));
  return { axis: [...axes][0]!, states };
}

export interface ManifestParts {
  readonly model: CheckedModel;
  readonly graph: Graph;
  readonly limits: BundleLimits;
  readonly seed: number | null;
  readonly glue: string;
  readonly weights: string;
  readonly kernels: string;
  readonly backends: Manifest["backends"];
  readonly files: readonly FileEntry[];
}

export function buildManifest(parts: ManifestParts): Manifest {
  const { model } = parts;
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    rnnc: RNNC_VERSION,
    model: model.name,
    className: className(model.name),
    glue: parts.glue,
    topologies: [...model.topologies].sort(),
    limits: parts.limits,
    inputs: inputSpecs(model),
    outputs: outputSpecs(model, parts.graph, parts.limits),
    params: model.params.map((p) => ({ name: p.name, shape: [...p.shape] })),
    seed: parts.seed,
    weights: parts.weights,
    kernels: parts.kernels,
    backends: parts.backends,
    stream: streamOf(model),
    generates: model.decoders.size > 0,
    files: [...parts.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}
