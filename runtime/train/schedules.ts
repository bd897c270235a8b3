/**
 * Learning-rate schedules, as torch.optim.lr_scheduler computes them (closed forms), plus a
 * linear warm-up that composes with any of them. `step` counts optimizer steps (or epochs:
 * the caller decides the unit).
 */
export type Schedule =
  | { readonly kind: "constant" }
  | { readonly kind: "step"; readonly stepSize: number; readonly gamma: number }
  | { readonly kind: "cosine"; readonly total: number; readonly minLr?: number };

export interface ScheduleOptions {
  readonly schedule: Schedule;
  /** Linear warm-up over this many steps from lr/warmup to lr (0: none). */
  readonly warmup?: number;
}

/** The learning rate at `step` (0-based) for base rate `lr`. */
export function learningRate(lr: number, step: number, options: ScheduleOptions): number {
  const { schedule, warmup = 0 } = options;
  let rate = lr;
  if (schedule.kind === "step") rate = lr * schedule.gamma ** Math.floor(step / schedule.stepSize);
  if (schedule.kind === "cosine") {
    const minLr = schedule.minLr ?? 0;
    // Past `total` the cosine carries on (rising again), as PyTorch's CosineAnnealingLR does.
    rate = minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * step) / schedule.total))) / 2;
  }
  return warmup > 0 && step < warmup ? (rate * (step + 1)) / warmup : rate;
}
