/** Stored tensors (safetensors, any dtype) as the reference interpreter's tensors. */
import type { Tensor as StoredTensor } from "../weights/safetensors.ts";
import { tensor, type Tensor } from "./tensor.ts";

/** A stored tensor (safetensors dtypes) as an interpreter tensor. */
export function fromStored(t: StoredTensor): Tensor {
  const floats = t.dtype === "F64" || t.dtype === "F32" || t.dtype === "F16" || t.dtype === "BF16";
  const values = t.data instanceof BigInt64Array ? Array.from(t.data, (v) => Number(v)) : t.data;
  return tensor(floats ? "float" : "int", t.shape, values);
}
