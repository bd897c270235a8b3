/**
 * Weights: safetensors read/write, PyTorch name mapping, checking weights against a model.
 * Browser-safe; the Node file helpers (atomic writes) are in safetensors-file.ts.
 */
export { WEIGHTS_CODES, WeightsError, type WeightsCode } from "./errors.ts";
export {
  DTYPES,
  MAX_HEADER_BYTES,
  allocate,
  bf16ToNumber,
  f16ToNumber,
  formatShape,
  isDType,
  numberToBf16,
  numberToF16,
  numel,
  readSafetensors,
  tensor,
  tensorProblem,
  writeSafetensors,
  type DType,
  type Safetensors,
  type Tensor,
  type TensorData,
  type TensorMap,
  type TensorsInput,
} from "./safetensors.ts";
export {
  GATE_ORDERS,
  TORCH_GATES,
  fromTorch,
  nameMappings,
  rnncCell,
  rnncParams,
  toTorch,
  torchParams,
  type ConvertOptions,
  type GateOrder,
  type ModuleSizes,
  type NameMapping,
  type NamedShape,
  type RecurrentModule,
  type TorchEmbedding,
  type TorchLinear,
  type TorchModule,
  type TorchRecurrent,
} from "./torch-names.ts";
export {
  assertWeights,
  checkWeights,
  formatWeightProblems,
  weightsError,
  type CheckWeightsOptions,
  type ExpectedParam,
  type WeightProblem,
  type WeightProblemKind,
} from "./check.ts";
