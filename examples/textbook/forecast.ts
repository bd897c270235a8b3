/**
 * Chapter 23.8's multi-step forecast, on any backend:
 *
 *   def forecast_multistep(model, initial_sequence, steps):
 *       ...
 *       for _ in range(steps):
 *           pred = model(current_seq)
 *           predictions.append(pred)
 *           current_seq = torch.cat([current_seq[:, 1:, :], pred.unsqueeze(1)], dim=1)
 *       return torch.cat(predictions, dim=0)
 *
 * `predict` runs the TimeSeriesLSTM spec (time_series.rnn) once on a window [B, T, F] and gives
 * its prediction [B, F]; each prediction is appended to the window, whose oldest step drops
 * out, and the model runs again from zero states. The result is step-major like the chapter's
 * torch.cat(..., dim=0): [steps * B, F].
 */
export interface Window {
  readonly shape: readonly [number, number, number];
  readonly data: Float32Array;
}

export type Predict = (window: Window) => Promise<ArrayLike<number>>;

export async function forecastMultistep(
  predict: Predict,
  initial: Window,
  steps: number,
): Promise<Float32Array> {
  const [batch, length, features] = initial.shape;
  const out = new Float32Array(steps * batch * features);
  let window = initial;
  for (let s = 0; s < steps; s++) {
    const prediction = await predict(window);
    out.set(Array.from(prediction), s * batch * features);
    const next = new Float32Array(window.data.length);
    for (let b = 0; b < batch; b++) {
      const row = b * length * features;
      next.set(window.data.subarray(row + features, row + length * features), row);
      for (let f = 0; f < features; f++)
        next[row + (length - 1) * features + f] = prediction[b * features + f]!;
    }
    window = { shape: initial.shape, data: next };
  }
  return out;
}
