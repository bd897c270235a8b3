/**
 * The sequence functions of a model: `encode` (encode.ts) runs a cell over a sequence;
 * `decode` and `generate` (decode.ts) run a cell that feeds its own outputs back. This file
 * dispatches to them; cell-option.ts resolves the `cell:` option they share.
 */
import type { Call } from "../../dsl/ast.ts";
import { decoder } from "./decode.ts";
import { encode } from "./encode.ts";
import type { ModelScope } from "./model-scope.ts";
import type { RecordType } from "./model-types.ts";

export function checkSequenceCall(scope: ModelScope, call: Call): RecordType | undefined {
  switch (call.callee.name) {
    case "encode":
      return encode(scope, call);
    case "decode":
      return decoder(scope, call, "decode");
    default:
      return decoder(scope, call, "generate");
  }
}
