"""One measurement in a fresh process: python -m benchmarks.worker SIDE MODE INDEX REPS [THREADS].

SIDE rnnlab|torch|torch-nomkldnn (PyTorch with torch.backends.mkldnn.enabled = False: its own
kernels instead of oneDNN's, much faster for batch-1 sampling, where oneDNN's per-call set-up
dominates), MODE train|eval|sample, INDEX into WORKLOADS (ignored for sample).
Prints one JSON line: per-repetition seconds, tokens per repetition, peak resident memory (MB).
A fresh process per measurement makes the peak memory that of this workload alone.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from .workloads import SAMPLING, WORKLOADS

SAMPLE_TOKENS = 200


def rnnlab_side(w, mode):
    from rnnlab import keep_heap
    from rnnlab.models.generate import next_token
    from rnnlab.models import LanguageModel
    from rnnlab.models.stepper import Stepper
    from rnnlab.nn import SoftmaxCrossEntropy, no_grad
    from rnnlab.optim import SGD, clip_grad_norm

    keep_heap()  # as `rnnlab train` does (rnnlab.heap)
    cell = w.cell
    model = LanguageModel(w.vocab, cell, w.hidden, w.layers, w.embed, init_scale=0.1, seed=0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, w.vocab, size=(w.steps, w.batch))
    y = rng.integers(0, w.vocab, size=(w.steps, w.batch))
    params = list(model.named_parameters())
    grads = [g for _, _, g in params]
    opt = SGD(params, lr=0.1)
    ce = SoftmaxCrossEntropy()

    if mode == "train":
        def run():
            model.zero_grad()
            logits, _ = model.forward(x)
            ce.forward(logits, y)
            model.backward(ce.backward())
            clip_grad_norm(grads, 5.0)
            opt.step()
        return run, w.tokens
    if mode == "eval":
        model.eval()

        def run():
            with no_grad():
                logits, _ = model.forward(x)
                ce.forward(logits, y)
        return run, w.tokens
    model.eval()

    def run():  # the path of ``rnnlab sample``: one Stepper step per token
        stepper, tok = Stepper(model), np.zeros(1, np.int64)
        for _ in range(SAMPLE_TOKENS):
            tok[0] = next_token(stepper.step(tok)[0], rng, 1.0)
    return run, SAMPLE_TOKENS


def torch_side(w, mode):
    import torch

    torch.manual_seed(0)
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[w.cell]
    E = w.embed or w.hidden
    emb, rnn, dec = torch.nn.Embedding(w.vocab, E), kind(E, w.hidden, w.layers), torch.nn.Linear(w.hidden, w.vocab)
    params = [*emb.parameters(), *rnn.parameters(), *dec.parameters()]
    opt = torch.optim.SGD(params, lr=0.1)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, w.vocab, (w.steps, w.batch), generator=g)
    y = torch.randint(0, w.vocab, (w.steps, w.batch), generator=g)

    def loss_fn():
        h, _ = rnn(emb(x))
        return torch.nn.functional.cross_entropy(dec(h).reshape(-1, w.vocab), y.reshape(-1))

    if mode == "train":
        def run():
            opt.zero_grad()
            loss_fn().backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
        return run, w.tokens
    if mode == "eval":
        def run():
            with torch.no_grad():
                loss_fn()
        return run, w.tokens

    def run():
        with torch.no_grad():
            tok, state = torch.zeros((1, 1), dtype=torch.long), None
            for _ in range(SAMPLE_TOKENS):
                h, state = rnn(emb(tok), state)
                p = torch.softmax(dec(h)[-1, 0], dim=-1)
                tok = torch.multinomial(p, 1, generator=g).reshape(1, 1)
    return run, SAMPLE_TOKENS


def main(argv):
    side, mode, index, reps = argv[0], argv[1], int(argv[2]), int(argv[3])
    threads = int(argv[4]) if len(argv) > 4 else 0
    if side.startswith("torch"):
        import torch

        if threads:
            torch.set_num_threads(threads)
        if side == "torch-nomkldnn":
            torch.backends.mkldnn.enabled = False
    w = SAMPLING if mode == "sample" else WORKLOADS[index]
    run, tokens = (rnnlab_side if side == "rnnlab" else torch_side)(w, mode)
    run()  # warm-up: first-touch allocations, BLAS thread start
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    print(json.dumps({"seconds": times, "tokens": tokens, "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; getrusage's ru_maxrss does not
    (Linux keeps the forking parent's peak across execve, which made every workload read 361 MB)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main(sys.argv[1:])
