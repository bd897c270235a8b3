"""PyTorch's side of `npm run bench` (bench/systems/torch.ts runs it once per workload).

Usage: python3 bench/torch_bench.py JOB_DIR

JOB_DIR holds job.json (the workload, the timing protocol, where each tensor lies), weights.bin
and inputs.bin (float32 / int32, little-endian) as written by bench/systems/torch.ts: the same
weights and inputs every other system gets. The modules below name their parameters as
bench/workloads.ts torchWeights does. Prints one JSON object: the check output, the timed
runs (ms), or why the workload was skipped.

Timing follows bench/measure.ts: warm-up runs, then timed runs until `runs` are done or `cap`
seconds are spent (at least `min_runs`).
"""

import copy
import json
import os
import sys
import time

# OpenMP threads spinning against OpenBLAS's make LSTM timings erratic on few cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


class Encoder(nn.Module):
    """Optional embedding, nn.LSTM / nn.GRU (batch_first), optional Linear on the final state."""

    def __init__(self, a):
        super().__init__()
        self.bidirectional = a["bidirectional"]
        self.lstm = a["cell"] == "lstm"
        width = a["input"]
        if a.get("embedding"):
            self.emb = nn.Embedding(a["embedding"]["vocab"], a["embedding"]["dim"])
            width = a["embedding"]["dim"]
        else:
            self.emb = None
        rnn = nn.LSTM if self.lstm else nn.GRU
        self.rnn = rnn(width, a["hidden"], a["layers"], batch_first=True,
                       bidirectional=self.bidirectional)
        dirs = 2 if self.bidirectional else 1
        self.head = nn.Linear(dirs * a["hidden"], a["head"]) if a.get("head") else None

    def final(self, h_n):
        return torch.cat((h_n[-2], h_n[-1]), 1) if self.bidirectional else h_n[-1]

    def forward(self, x):
        if self.emb is not None:
            x = self.emb(x)
        _, state = self.rnn(x)
        h_n = state[0] if self.lstm else state
        out = self.final(h_n)
        return self.head(out) if self.head is not None else out

    def step(self, x, state):
        """One step of a stream: x [B, 1, I], the state carried in and out."""
        _, state = self.rnn(x, state)
        h_n = state[0] if self.lstm else state
        out = self.final(h_n)
        return (self.head(out) if self.head is not None else out), state


class LayerNormLstmCell(nn.Module):
    """rnnc's stdlib layernorm_lstm (dsl/stdlib/variants.rnn)."""

    def __init__(self, inp, hidden):
        super().__init__()
        self.wx = nn.Parameter(torch.empty(4 * hidden, inp))
        self.ln_x = nn.LayerNorm(4 * hidden)
        self.wh = nn.Linear(hidden, 4 * hidden)
        self.ln_h = nn.LayerNorm(4 * hidden)
        self.ln_c = nn.LayerNorm(hidden)


class LayerNormLstm(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.hidden = a["hidden"]
        self.cell = LayerNormLstmCell(a["input"], a["hidden"])

    def forward(self, x):
        cell = self.cell
        xs = cell.ln_x(x @ cell.wx.t())  # the input projection of every step at once
        b = x.shape[0]
        h = x.new_zeros(b, self.hidden)
        c = x.new_zeros(b, self.hidden)
        for t in range(x.shape[1]):
            gates = xs[:, t] + cell.ln_h(cell.wh(h))
            i, f, g, o = gates.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(cell.ln_c(c))
        return h


class Seq2Seq(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        self.enc_emb = nn.Embedding(a["vocab"], a["embed"])
        self.enc = nn.LSTM(a["embed"], a["hidden"], batch_first=True)
        self.dec_emb = nn.Embedding(a["vocab"], a["embed"])
        self.dec = nn.LSTMCell(a["embed"], a["hidden"])
        self.out = nn.Linear(a["hidden"], a["vocab"])

    def forward(self, src):
        a = self.a
        _, (h, c) = self.enc(self.enc_emb(src))
        h, c = h[0], c[0]
        prev = torch.full((src.shape[0],), a["bos"], dtype=torch.long)
        eos = torch.full_like(prev, a["eos"])
        tokens = []
        for _ in range(a["maxSteps"]):
            h, c = self.dec(self.dec_emb(prev), (h, c))
            best = self.out(h).argmax(1)
            prev = torch.where(prev == eos, eos, best)  # eos repeated once emitted
            tokens.append(prev)
        return torch.stack(tokens, 1)


class Gemm(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.lin = nn.Linear(a["input"], a["output"], bias=False)

    def forward(self, x):
        return self.lin(x)


def build(arch):
    if arch["kind"] == "gemm":
        return Gemm(arch)
    if arch["kind"] == "seq2seq":
        return Seq2Seq(arch)
    if arch["cell"] == "layernorm_lstm":
        return LayerNormLstm(arch)
    return Encoder(arch)


def load(job_dir, job, key, file):
    raw = open(os.path.join(job_dir, file), "rb").read()
    out = {}
    for name, e in job[key].items():
        dtype = np.int32 if e.get("dtype") == "int32" else np.float32
        arr = np.frombuffer(raw, dtype=dtype, count=int(np.prod(e["shape"])), offset=e["offset"])
        t = torch.from_numpy(arr.reshape(e["shape"]).copy())
        out[name] = t.long() if dtype == np.int32 else t
    return out


def measure(run, p, check_ms):
    warmup = 0
    start = time.perf_counter()
    warmups = 0 if check_ms > p["cap"] * 1000 / 10 else p["warmup"]
    min_runs = 1 if check_ms > p["cap"] * 1000 else p["min_runs"]
    for _ in range(warmups):
        run()
        warmup += 1
        if time.perf_counter() - start > p["cap"] / 4:
            break
    times = []
    timed = time.perf_counter()
    while len(times) < p["runs"]:
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - timed > p["cap"] and len(times) >= min_runs:
            break
    return {"times": times, "warmup": warmup, "capped": len(times) < p["runs"]}


def blas_library():
    """The BLAS shared library this process loaded (Debian's torch uses the system's libblas.so.3:
    the reference BLAS unless an optimised one such as libopenblas0-pthread is installed)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(os.path.realpath(p) for p in libs)) or "built in"
    except OSError:
        return "unknown"


def main():
    job_dir = sys.argv[1]
    job = json.load(open(os.path.join(job_dir, "job.json")))
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(threads)
    w = job["workload"]
    model = build(w["arch"])
    model.load_state_dict(load(job_dir, job, "weights", "weights.bin"), strict=True)
    model.eval()
    inputs = load(job_dir, job, "inputs", "inputs.bin")
    x = inputs[w["inputName"]]
    note = (f"{threads} threads, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
            f"BLAS {blas_library()}")
    mode = w["mode"]
    if mode in ("forward", "decode"):
        with torch.inference_mode():
            c0 = time.perf_counter()
            check = model(x)
            check_ms = (time.perf_counter() - c0) * 1000
            timing = measure(lambda: model(x), job["protocol"], check_ms)
    elif mode == "stream":
        a = w["arch"]
        zeros = torch.zeros(a["layers"], 1, a["hidden"])
        fresh = (lambda: (zeros, zeros)) if a["cell"] == "lstm" else (lambda: zeros)
        xs = x.reshape(1, 1, -1)
        with torch.inference_mode():
            state = fresh()
            check_ms = 0
            for _ in range(3):
                check, state = model.step(xs, state)
            carried = [state]

            def step():
                y, carried[0] = model.step(xs, carried[0])
                return y.tolist()  # read the output, as the other systems do

            timing = measure(step, job["protocol"], check_ms)
    elif mode == "train":
        model.train()
        y = inputs["y"]
        loss_fn = nn.MSELoss()

        def trainer(m):
            opt = torch.optim.Adam(m.parameters(), lr=1e-3)

            def step():
                opt.zero_grad()
                loss = loss_fn(m(x), y)
                loss.backward()
                opt.step()
                return loss.item()

            return step

        fresh = trainer(copy.deepcopy(model))
        c0 = time.perf_counter()
        check = torch.tensor([fresh(), fresh()])
        check_ms = (time.perf_counter() - c0) * 1000 / 2
        timing = measure(trainer(model), job["protocol"], check_ms)
    else:
        print(json.dumps({"skipped": f"unknown mode {mode}"}))
        return
    dtype = "int32" if check.dtype in (torch.int64, torch.int32) else "float32"
    print(json.dumps({"check": check.reshape(-1).tolist(), "dtype": dtype, "note": note, **timing}))


if __name__ == "__main__":
    main()
