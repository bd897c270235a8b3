/**
 * The functions of the language, by where they may be written. The checkers implement each;
 * this table is what "unknown function" suggestions, "not here" messages and the language
 * reference (docs/language.md) list.
 */

/** Elementwise functions of one value, with the numeric options each accepts. */
export const ACTIVATIONS: Readonly<Record<string, readonly string[]>> = {
  sigmoid: [],
  tanh: [],
  relu: [],
  hard_sigmoid: [],
  hard_tanh: [],
  softsign: [],
  gelu: [],
  elu: ["alpha"],
  selu: [],
  silu: [],
  softplus: [],
  leaky_relu: ["slope"],
  exp: [],
  log: [],
  sqrt: [],
  abs: [],
};

/** Functions of cell bodies besides the activations. */
export const CELL_FUNCTIONS = [
  "linear",
  "layernorm",
  "concat",
  "split",
  "clip",
  "min",
  "max",
  "sum",
  "mean",
  "softmax",
] as const;

/** Functions of model bodies besides the activations. */
export const MODEL_FUNCTIONS = [
  "embedding",
  "encode",
  "decode",
  "generate",
  "linear",
  "dropout",
  "layernorm",
  "concat",
  "last",
  "softmax",
  "log_softmax",
] as const;

/** Losses, written after `loss` in a model. */
export const LOSSES = ["mse", "cross_entropy", "bce_with_logits"] as const;

export function isActivation(name: string): boolean {
  return Object.hasOwn(ACTIVATIONS, name);
}

export const CELL_CALLABLE: readonly string[] = [...Object.keys(ACTIVATIONS), ...CELL_FUNCTIONS];
export const MODEL_CALLABLE: readonly string[] = [...Object.keys(ACTIVATIONS), ...MODEL_FUNCTIONS];
