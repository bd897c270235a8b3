#!/usr/bin/python3
"""The PyTorch side of `rnnc export-torch` / `rnnc import-torch` (docs/interop.md).

For each case below: write its spec, draw rnnc's initial weights (`rnnc init --seed`), export
them with `rnnc export-torch` into test/fixtures/torch-interop/<case>.safetensors, build the
torch.nn modules the file's metadata describes, load the file into them with
`load_state_dict(strict=True)` (every tensor name and shape must be exactly torch's), run the
case's forward pass in float64 (packed sequences for variable lengths), and write inputs,
lengths and outputs to test/fixtures/torch-interop/torch-outputs.json. Tests read those files
and never need PyTorch (test/interop/torch-roundtrip.test.ts).

    /usr/bin/python3 scripts/torch-interop.py          # rewrite the fixtures
    /usr/bin/python3 scripts/torch-interop.py --check  # exit 1 if a committed file differs

Needs Debian's python3-torch and node (it runs bin/rnnc.js). No safetensors package: the
format is read by hand (u64 little-endian header length, JSON header, raw little-endian data).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "torch-interop")
B, T = 3, 6

def sequence_case(name, cell, options, export_map, lengths, module):
    """`enc = encode(x, cell: ...)` with outputs `outputs` and `final`; torch names it `module`."""
    spec = f"""model {name} {{
  input x: float[T, 3]

  enc = encode(x, cell: {cell}{options})

  output outputs = enc.outputs
  output final = enc.final
}}
"""
    forward = lambda m, i, n: dict(zip(["outputs", "final"], encode(m[module], i["x"], n)))
    return name, spec, export_map, lengths, forward


CASES = [
    # name, spec, --map for export, lengths, forward(modules by torch name, inputs, lengths)
    (
        "rnn_tanh_l1",
        """model rnn_tanh_l1 {
  input x: float[T, 3]

  enc = encode(x, cell: rnn(hidden: 4))

  output outputs = enc.outputs
  output y = linear(enc.final, 2, bias: false)
}
""",
        "",
        [6, 6, 6],
        lambda m, i, n: (lambda o, f: {"outputs": o, "y": m["y"](f)})(*encode(m["enc"], i["x"], n)),
    ),
    sequence_case("rnn_relu_l2_bi_varlen", "rnn_relu(hidden: 4)", ", layers: 2, bidirectional", "rnn=enc", [6, 3, 1], "rnn"),
    (
        "lstm_l1_linear",
        """model lstm_l1_linear {
  input x: float[T, 3]

  enc = encode(x, cell: lstm(hidden: 5))

  output y = linear(enc.final, 2)
}
""",
        "lstm=enc,fc=y",
        [6, 4, 5],
        lambda m, i, n: {"y": m["fc"](encode(m["lstm"], i["x"], n)[1])},
    ),
    sequence_case("lstm_l2_bi_varlen", "lstm(hidden: 5)", ", layers: 2, bidirectional", "rnn=enc", [6, 2, 5], "rnn"),
    sequence_case(
        "lstm_proj_l2_bi_varlen", "lstm_proj(hidden: 5, proj: 3)", ", layers: 2, bidirectional", "", [5, 6, 1], "enc"
    ),
    sequence_case("gru_l1_bi_varlen", "gru(hidden: 4)", ", bidirectional", "gru=enc", [3, 6, 2], "gru"),
    (
        "gru_l2_embedding_linear_varlen",
        """model gru_l2_embedding_linear_varlen {
  input tokens: int[T]

  e = embedding(tokens, vocab: 11, dim: 4)
  enc = encode(e, cell: gru(hidden: 5), layers: 2)

  output logits = linear(enc.outputs, 7)
}
""",
        "emb=e,rnn=enc,fc=logits",
        [6, 3, 4],
        lambda m, i, n: {"logits": m["fc"](encode(m["rnn"], m["emb"](i["tokens"]), n)[0])},
    ),
]

# Outputs with a time axis: only steps t < length are compared (padded steps are 0 in both
# worlds for enc.outputs, but a linear over them gives its bias in torch and rnnc alike).
PER_STEP = {"outputs", "logits"}


def encode(rnn, x, lengths):
    """rnnc's encode: padded outputs [B, T, D*H] and `final` = cat(h_n[-2], h_n[-1]) or h_n[-1]."""
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out, h = rnn(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    h_n = h[0] if isinstance(h, tuple) else h
    final = torch.cat((h_n[-2], h_n[-1]), 1) if rnn.bidirectional else h_n[-1]
    return out, final


# ---------------------------------------------------------------------------------------------
# safetensors, read by hand

ST_DTYPES = {"F64": np.float64, "F32": np.float32, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        a = np.frombuffer(data[base + begin : base + end], dtype=np.dtype(ST_DTYPES[e["dtype"]]).newbyteorder("<"))
        tensors[name] = torch.from_numpy(a.astype(a.dtype.newbyteorder("="))).reshape(e["shape"])
    return tensors, metadata


# ---------------------------------------------------------------------------------------------
# The modules the metadata describes


def build(record):
    kind, (a, b) = record["module"], record["args"]
    if kind == "Linear":
        return nn.Linear(a, b, bias=record["bias"])
    if kind == "Embedding":
        return nn.Embedding(a, b)
    options = dict(num_layers=record["num_layers"], bidirectional=record["bidirectional"], batch_first=True)
    if kind == "LSTM":
        return nn.LSTM(a, b, proj_size=record["proj_size"], **options)
    if kind == "GRU":
        return nn.GRU(a, b, **options)
    return nn.RNN(a, b, nonlinearity=record["nonlinearity"], **options)


def model_of(records):
    """One nn.Module whose attribute paths are the records' names (`h.encode` nests)."""
    root = nn.Module()
    for r in records:
        *path, last = r["name"].split(".")
        parent = root
        for part in path:
            if not hasattr(parent, part):
                parent.add_module(part, nn.Module())
            parent = getattr(parent, part)
        parent.add_module(last, build(r))
    return root


# ---------------------------------------------------------------------------------------------


def rnnc(*args):
    subprocess.run(["node", os.path.join(ROOT, "bin", "rnnc.js"), *args], check=True, cwd=ROOT)


def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def nested(t):
    return t.detach().to(torch.float64).tolist() if t.dtype.is_floating_point else t.tolist()


def run_case(name, spec, export_map, lengths, forward, out_dir):
    spec_path = os.path.join(out_dir, f"{name}.rnn")
    with open(spec_path, "w") as f:
        f.write(spec)
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "w.safetensors")
        rnnc("init", spec_path, "--seed", str(seed_of(name) % 1000), "--output", weights)
        exported = os.path.join(out_dir, f"{name}.safetensors")
        rnnc("export-torch", spec_path, "--weights", weights, "-o", exported, *(["--map", export_map] if export_map else []))
    state_dict, metadata = read_safetensors(exported)
    records = json.loads(metadata["torch_modules"])
    model = model_of(records)
    model.load_state_dict(state_dict, strict=True)  # every name and shape exactly torch's
    model = model.double().eval()
    modules = dict(model.named_modules())

    torch.manual_seed(seed_of(name))
    if "tokens" in spec:
        vocab = next(r["args"][0] for r in records if r["module"] == "Embedding")
        x = torch.randint(0, vocab, (B, T))
        inputs = {"tokens": x}
    else:
        x = torch.randn(B, T, 3, dtype=torch.float64)
        for b, n in enumerate(lengths):
            x[b, n:] = 7 + torch.randn(T - n, 3, dtype=torch.float64)  # junk: must not matter
        inputs = {"x": x}
    with torch.no_grad():
        outputs = forward(modules, inputs, lengths)
    return {
        "spec": f"test/fixtures/torch-interop/{name}.rnn",
        "state_dict": f"test/fixtures/torch-interop/{name}.safetensors",
        "seed": seed_of(name) % 1000,
        "map": export_map,
        "modules": records,
        "torch_call": "; ".join(repr(build(r)) for r in records),
        "lengths": {"T": lengths},
        "inputs": {k: nested(v) for k, v in inputs.items()},
        "per_step": sorted(k for k in outputs if k in PER_STEP),
        "outputs": {k: nested(v) for k, v in outputs.items()},
    }


def write_all(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    results = {}
    for case in CASES:
        results[case[0]] = run_case(*case, out_dir)
        print(f"{case[0]}: loaded with strict=True into {results[case[0]]['torch_call']}")
    path = os.path.join(out_dir, "torch-outputs.json")
    with open(path, "w") as f:
        json.dump({"generator": "scripts/torch-interop.py", "torch": torch.__version__, "cases": results}, f)
    subprocess.run(["node", os.path.join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--config", os.path.join(ROOT, ".prettierrc.json"), "--write", path], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def main(argv):
    if "--check" not in argv:
        write_all(OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_all(tmp)
        differ = [f for f in sorted(os.listdir(tmp)) if open(os.path.join(tmp, f), "rb").read() != open(os.path.join(OUT, f), "rb").read()]
    for f in differ:
        print(f"differs from the committed file: test/fixtures/torch-interop/{f}", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
