/**
 * The closed set of IR op names, in op-set order. Each op's meaning and shape rule is in
 * compiler/ir/ops.ts (whose table must have exactly these keys); the runtime needs only the
 * names, to type its kernel tables and to check a serialised graph.
 */
/**
 * The elementwise functions of one float operand (activations, neg, exp, ...), in op-set
 * order: the reference's activations and the kernels' op codes follow this list.
 */
export const UNARY_ELEMENTWISE_NAMES = [
  "neg",
  "sigmoid",
  "tanh",
  "relu",
  "hard_sigmoid",
  "hard_tanh",
  "softsign",
  "gelu",
  "elu",
  "selu",
  "silu",
  "softplus",
  "leaky_relu",
  "exp",
  "log",
  "sqrt",
  "abs",
] as const;

export const OP_NAMES = [
  "input",
  "param",
  "const",
  "iota",
  ...UNARY_ELEMENTWISE_NAMES,
  "add",
  "sub",
  "mul",
  "div",
  "minimum",
  "maximum",
  "floordiv",
  "mod",
  "less",
  "greater",
  "equal",
  "where",
  "cast",
  "matmul",
  "sum",
  "mean",
  "max",
  "argmax",
  "topk",
  "softmax",
  "log_softmax",
  "layernorm",
  "concat",
  "slice",
  "transpose",
  "reshape",
  "gather",
  "take_along",
  "sample",
  "uniform",
  "scan",
  "scan_output",
] as const;

export type OpName = (typeof OP_NAMES)[number];
