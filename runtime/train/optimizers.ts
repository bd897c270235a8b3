/**
 * Optimisers, exactly as torch.optim computes them (same operation order, so float64 runs
 * agree with PyTorch to rounding): SGD with momentum, dampening and Nesterov; Adam; AdamW;
 * weight decay; and clipping by global norm as torch.nn.utils.clip_grad_norm_. They update
 * parameters in place; their state (moments, step count) can be saved and restored.
 */

export type FloatArray = Float64Array | Float32Array;

export interface SgdOptions {
  readonly kind: "sgd";
  readonly lr: number;
  readonly momentum?: number;
  readonly dampening?: number;
  readonly nesterov?: boolean;
  readonly weightDecay?: number;
}

export interface AdamOptions {
  readonly kind: "adam" | "adamw";
  readonly lr: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  /** Adam: L2 added to the gradient; AdamW: decoupled decay (PyTorch's default 0.01 for AdamW). */
  readonly weightDecay?: number;
}

export type OptimizerOptions = SgdOptions | AdamOptions;

/** Per-parameter state, by name: momentum buffers or Adam's moments. */
export interface OptimizerState {
  step: number;
  readonly buffers: Map<string, FloatArray[]>;
}

export class Optimizer {
  readonly state: OptimizerState = { step: 0, buffers: new Map() };

  constructor(readonly options: OptimizerOptions) {}

  /** One update of every parameter from its gradient, at learning rate `lr` (a schedule's). */
  step(
    params: ReadonlyMap<string, FloatArray>,
    grads: ReadonlyMap<string, FloatArray>,
    lr = this.options.lr,
  ): void {
    this.state.step += 1;
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      if (this.options.kind === "sgd") this.sgd(name, p, g, lr, this.options);
      else this.adam(name, p, g, lr, this.options);
    }
  }

  private buffers(
    name: string,
    like: FloatArray,
    count: number,
  ): { fresh: boolean; list: FloatArray[] } {
    const existing = this.state.buffers.get(name);
    if (existing) return { fresh: false, list: existing };
    const list = Array.from(
      { length: count },
      () => new (like.constructor as { new (n: number): FloatArray })(like.length),
    );
    this.state.buffers.set(name, list);
    return { fresh: true, list };
  }

  private sgd(name: string, p: FloatArray, grad: FloatArray, lr: number, o: SgdOptions): void {
    const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = o;
    const g = Float64Array.from(grad);
    if (weightDecay !== 0) for (let i = 0; i < g.length; i++) g[i] = g[i]! + weightDecay * p[i]!;
    if (momentum !== 0) {
      const { fresh, list } = this.buffers(name, p, 1);
      const buf = list[0]!;
      for (let i = 0; i < g.length; i++) {
        buf[i] = fresh ? g[i]! : momentum * buf[i]! + (1 - dampening) * g[i]!;
        g[i] = nesterov ? g[i]! + momentum * buf[i]! : buf[i]!;
      }
    }
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * g[i]!;
  }

  private adam(name: string, p: FloatArray, grad: FloatArray, lr: number, o: AdamOptions): void {
    const [beta1, beta2] = o.betas ?? [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    const weightDecay = o.weightDecay ?? (o.kind === "adamw" ? 0.01 : 0);
    const { list } = this.buffers(name, p, 2);
    const [m, v] = list as [FloatArray, FloatArray];
    const t = this.state.step;
    if (o.kind === "adamw" && weightDecay !== 0)
      for (let i = 0; i < p.length; i++) p[i] = p[i]! * (1 - lr * weightDecay);
    const correction1 = 1 - beta1 ** t;
    const correction2Sqrt = Math.sqrt(1 - beta2 ** t);
    const stepSize = lr / correction1;
    for (let i = 0; i < p.length; i++) {
      const g = o.kind === "adam" && weightDecay !== 0 ? grad[i]! + weightDecay * p[i]! : grad[i]!;
      // torch: m.lerp_(g, 1 - beta1); v.mul_(beta2).addcmul_(g, g, 1 - beta2)
      m[i] = m[i]! + (1 - beta1) * (g - m[i]!);
      v[i] = v[i]! * beta2 + (1 - beta2) * g * g;
      const denom = Math.sqrt(v[i]!) / correction2Sqrt + eps;
      p[i] = p[i]! - stepSize * (m[i]! / denom);
    }
  }
}

/**
 * Scales all gradients so their global L2 norm is at most `maxNorm` (torch's
 * clip_grad_norm_: coefficient maxNorm / (norm + 1e-6), applied when below 1). Returns the
 * norm before clipping.
 */
export function clipGradNorm(grads: ReadonlyMap<string, FloatArray>, maxNorm: number): number {
  let sum = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  const norm = Math.sqrt(sum);
  const coefficient = maxNorm / (norm + 1e-6);
  if (coefficient < 1)
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coefficient;
  return norm;
}
