/**
 * The activations exactly as PyTorch's CPU kernels compute them in float64: sigmoid as
 * 1/(1+exp(-x)), gelu with the exact erf, softplus linear above 20, selu and elu as
 * (exp(x)-1)·coefficient, relu and the clamps keeping NaN and -0.
 */
import { UNARY_ELEMENTWISE_NAMES } from "../ir/op-names.ts";
import { erf } from "./erf.ts";

export const ACTIVATION_NAMES = UNARY_ELEMENTWISE_NAMES;

export type ActivationName = (typeof ACTIVATION_NAMES)[number];

// PyTorch's SELU constants (torch.nn.functional.selu).
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_NEGATIVE = 1.6732632423543772848170429916717 * SELU_SCALE;

/**
 * The elementwise function `name` (with its parameter: elu's parameter, leaky_relu's slope). Every
 * backend that computes in float64 and rounds once uses these, so they agree bit for bit.
 */
export function activation(name: ActivationName, parameter: number): (v: number) => number {
  switch (name) {
    case "neg":
      return (v) => -v;
    case "sigmoid":
      return (v) => 1 / (1 + Math.exp(-v));
    case "tanh":
      return Math.tanh;
    case "relu":
      return (v) => (v < 0 ? 0 : v);
    case "hard_sigmoid":
      return (v) => (Number.isNaN(v) ? v : Math.min(Math.max(v + 3, 0), 6) / 6);
    case "hard_tanh":
      return (v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, -1), 1));
    case "softsign":
      return (v) => v / (Math.abs(v) + 1);
    case "gelu":
      return (v) => v * 0.5 * (1 + erf(v * Math.SQRT1_2));
    case "elu":
      return (v) => (v <= 0 ? (Math.exp(v) - 1) * parameter : v);
    case "selu":
      return (v) => (v <= 0 ? (Math.exp(v) - 1) * SELU_NEGATIVE : v * SELU_SCALE);
    case "silu":
      return (v) => v / (1 + Math.exp(-v));
    case "softplus":
      return (v) => (v > 20 ? v : Math.log1p(Math.exp(v)));
    case "leaky_relu":
      return (v) => (v > 0 ? v : v * parameter);
    case "exp":
      return Math.exp;
    case "log":
      return Math.log;
    case "sqrt":
      return Math.sqrt;
    case "abs":
      return Math.abs;
  }
}
