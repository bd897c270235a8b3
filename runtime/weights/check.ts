/**
 * Matching weights against a model's parameter table: every parameter present, nothing extra,
 * every shape and dtype right. Each problem is one line that names the tensor, what was
 * expected and what was found:
 *
 *   enc.l0.i.x.weight: expected shape [5, 3], got [3, 5]
 *   enc.l0.f.x.bias: missing (expected shape [5]); did you mean 'enc.l0.f.x.bais'?
 *   enc.l0.f.x.bais: unexpected (the model has no parameter of this name)
 *   enc.l0.g.x.bias: expected dtype F32 or F64 (float32/float64), got I64
 *   enc.l0.h.weight: element 17 is NaN (weights must be finite float32 numbers)
 *
 * `weightsError` turns the list into one WeightsError with all of them.
 */
import { WEIGHTS_CODES, WeightsError, type WeightsCode } from "./errors.ts";
import { DTYPES, formatShape, type DType, type Tensor, type TensorsInput } from "./safetensors.ts";

export interface ExpectedParam {
  readonly name: string;
  readonly shape: readonly number[];
}

export type WeightProblemKind = "missing" | "unexpected" | "shape" | "dtype" | "value";

export interface WeightProblem {
  readonly kind: WeightProblemKind;
  readonly code: WeightsCode;
  readonly name: string;
  /** One line: name, expected, got. */
  readonly message: string;
}

export interface CheckWeightsOptions {
  /** The dtypes a weight may have (default F32 and F64). */
  readonly dtypes?: readonly DType[];
}

/**
 * Every problem with `tensors` as the weights of a model whose parameters are `expected`:
 * missing and wrong-shape / wrong-dtype ones in parameter order, then unexpected ones in the
 * tensors' order. An empty list means the weights fit.
 */
export function checkWeights(
  expected: readonly ExpectedParam[],
  tensors: TensorsInput,
  options: CheckWeightsOptions = {},
): WeightProblem[] {
  const dict: ReadonlyMap<string, Tensor> =
    tensors instanceof Map
      ? (tensors as ReadonlyMap<string, Tensor>)
      : new Map(Object.entries(tensors as Record<string, Tensor>));
  const dtypes = options.dtypes ?? ["F32", "F64"];
  const wanted = new Set(expected.map((p) => p.name));
  const extra = [...dict.keys()].filter((n) => !wanted.has(n));
  const absent = expected.filter((p) => !dict.has(p.name)).map((p) => p.name);
  const problems: WeightProblem[] = [];
  for (const p of expected) {
    const t = dict.get(p.name);
    if (!t) {
      const guess = closest(p.name, extra);
      problems.push({
        kind: "missing",
        code: WEIGHTS_CODES.missing,
        name: p.name,
        message:
          `${p.name}: missing (expected shape ${formatShape(p.shape)})` +
          (guess ? `; did you mean '${guess}'?` : ""),
      });
      continue;
    }
    if (!sameShape(t.shape, p.shape)) {
      problems.push({
        kind: "shape",
        code: WEIGHTS_CODES.wrongShape,
        name: p.name,
        message: `${p.name}: expected shape ${formatShape(p.shape)}, got ${formatShape(t.shape)}`,
      });
    }
    if (!dtypes.includes(t.dtype)) {
      const plain = dtypes.map((d) => DTYPES[d]?.plain ?? d).join("/");
      problems.push({
        kind: "dtype",
        code: WEIGHTS_CODES.wrongDtype,
        name: p.name,
        message: `${p.name}: expected dtype ${orList(dtypes)} (${plain}), got ${t.dtype}`,
      });
    }
    const bad = nonFinite(t);
    if (bad >= 0)
      problems.push({
        kind: "value",
        code: WEIGHTS_CODES.nonFinite,
        name: p.name,
        message: `${p.name}: element ${bad} is ${t.data[bad]} (weights must be finite float32 numbers)`,
      });
  }
  for (const name of extra) {
    const guess = closest(name, absent);
    problems.push({
      kind: "unexpected",
      code: WEIGHTS_CODES.unexpected,
      name,
      message:
        `${name}: unexpected (the model has no parameter of this name)` +
        (guess ? `; did you mean '${guess}'?` : ""),
    });
  }
  return problems;
}

/**
 * One message for all problems: a first line that says what is wrong and where, then one line
 * per problem, then a hint when the names look like PyTorch's.
 */
export function formatWeightProblems(problems: readonly WeightProblem[], context?: string): string {
  const where = context ? ` ${context}` : "";
  const words = { shape: "wrong shape", dtype: "wrong dtype", value: "not finite" } as const;
  const counts = (["missing", "unexpected", "shape", "dtype", "value"] as const)
    .map((k) => [k, problems.filter((p) => p.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k in words ? words[k as keyof typeof words] : k}`);
  const lines = [
    `the weights${where} do not match the model's parameters (${counts.join(", ")}):`,
    ...problems.map((p) => `  ${p.message}`),
  ];
  if (problems.some((p) => p.kind === "unexpected" && /_(ih|hh|hr)_l\d+/.test(p.name))) {
    lines.push(
      "  help: these look like PyTorch state_dict names; convert them with fromTorch() " +
        "(runtime/weights/torch-names.ts) first",
    );
  }
  return lines.join("\n");
}

/** The code an error about these problems carries: the first problem's. */
function codeOf(problems: readonly WeightProblem[]): WeightsCode {
  return problems[0]?.code ?? WEIGHTS_CODES.missing;
}

export function weightsError(problems: readonly WeightProblem[], context?: string): WeightsError {
  return new WeightsError(
    codeOf(problems),
    formatWeightProblems(problems, context),
    problems.map((p) => p.message),
  );
}

/** Throws one WeightsError listing every problem, if there is any. */
export function assertWeights(
  expected: readonly ExpectedParam[],
  tensors: TensorsInput,
  options: CheckWeightsOptions & { readonly context?: string } = {},
): void {
  const problems = checkWeights(expected, tensors, options);
  if (problems.length > 0) throw weightsError(problems, options.context);
}

/** The index of the first NaN or infinity of a float tensor, or -1. */
function nonFinite(t: Tensor): number {
  const data = t.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return -1;
  // float64 values beyond float32's range would be infinity on the float32 backends.
  for (let i = 0; i < data.length; i++) if (!(Math.abs(data[i]!) <= F32_MAX)) return i;
  return -1;
}

const F32_MAX = 3.4028234663852886e38;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** Edits (insert, delete, substitute, swap neighbours) from a to b. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate `name` was most likely meant as: one that differs only by a prefix ending in
 * '.' (`model.enc.l0...` for `enc.l0...`), else the closest by edit distance, if close enough.
 */
function closest(name: string, candidates: readonly string[]): string | undefined {
  const byPrefix = candidates.filter((c) => c.endsWith(`.${name}`) || name.endsWith(`.${c}`));
  if (byPrefix.length > 0) return [...byPrefix].sort((a, b) => a.length - b.length)[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (Math.abs(c.length - name.length) > 3) continue;
    const d = editDistance(name, c);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 4)));
  return bestDistance <= limit ? best : undefined;
}
