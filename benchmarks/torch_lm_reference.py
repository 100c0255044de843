"""The same language-model recipe in PyTorch, on the same data and batching, for comparison.

    python benchmarks/torch_lm_reference.py --preset zaremba-small --epochs 1 --data-dir ../shared/data

Uses rnnlab's corpus loading and batching (so both see identical batches) and rnnlab's resolved
config; the model, loss, clipping and optimiser are PyTorch's (torch.nn.LSTM/GRU/RNN, SGD or Adam).
Prints the validation perplexity after each epoch and writes it as JSON with --json-out.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch

from rnnlab.data import batchify, iterate, load_corpus
from rnnlab.tasks import resolve_config


class TorchLM(torch.nn.Module):
    def __init__(self, V, cfg):
        super().__init__()
        E = cfg.embed or cfg.hidden
        self.embedding = torch.nn.Embedding(V, E)
        self.drop = torch.nn.Dropout(cfg.dropout)
        kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cfg.cell]
        self.rnn = kind(E, cfg.hidden, cfg.layers, dropout=cfg.dropout)
        self.decoder = torch.nn.Linear(cfg.hidden, V)
        for p in self.parameters():
            torch.nn.init.uniform_(p, -cfg.init_scale, cfg.init_scale)
        if cfg.tie_weights:
            self.decoder.weight = self.embedding.weight

    def forward(self, x, state):
        h, state = self.rnn(self.drop(self.embedding(x)), state)
        return self.decoder(self.drop(h)), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else (None if state is None else state.detach())


def train_step(model, opt, x, y, state, cfg):
    """One step of the recipe on inputs x and targets y (T, N): mean cross-entropy, scaled by T when
    cfg.loss_scale is "sum_time", global-norm clipping at cfg.clip, optimiser step. Returns (mean loss,
    gradient norm before clipping, new state); the state is detached when passed to the next step."""
    logits, state = model(torch.from_numpy(x), detach(state))
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1))
    opt.zero_grad()
    (loss * x.shape[0] if cfg.loss_scale == "sum_time" else loss).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
    opt.step()
    return loss.item(), norm.item(), state


def evaluate(model, data, T):
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for _, x, y in iterate(data, T):
            logits, state = model(torch.from_numpy(x), state)
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                       torch.from_numpy(y).reshape(-1), reduction="sum").item()
            count += y.size
    model.train()
    return total / count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="zaremba-small")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--data-dir")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json-out")
    ap.add_argument("--dtype", choices=["float32", "float64"], default=None, help="default: the preset's")
    ap.add_argument("--same-init", action="store_true",
                    help="start from the exact initial weights rnnlab draws for this config and seed")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    flags = {"data_dir": args.data_dir, "epochs": args.epochs, "seed": args.seed}
    if args.dtype:
        flags["dtype"] = args.dtype
    cfg = resolve_config(args.preset, flags=flags)
    torch.manual_seed(cfg.seed)
    corpus = load_corpus(cfg.data, cfg.data_dir)
    train = batchify(corpus.vocab.encode(corpus.tokens("train")), cfg.batch_size)
    valid = batchify(corpus.vocab.encode(corpus.tokens("valid")), cfg.batch_size)
    model = TorchLM(len(corpus.vocab), cfg).to(getattr(torch, cfg.dtype))
    if args.same_init:
        from rnnlab.tasks import build_model

        ours = build_model(cfg, len(corpus.vocab))
        sd = {k: torch.from_numpy(v) for k, v in ours.state_dict().items()}
        if cfg.tie_weights:
            sd["decoder.weight"] = sd["embedding.weight"]
        model.load_state_dict(sd)
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    results = []
    for epoch in range(1, cfg.epochs + 1):
        lr = cfg.lr * (cfg.lr_decay ** max(0, epoch - cfg.decay_after) if cfg.schedule == "step" else 1.0)
        for g in opt.param_groups:
            g["lr"] = lr
        state, t0 = None, time.perf_counter()
        for _, x, y in iterate(train, cfg.seq_len):
            _, _, state = train_step(model, opt, x, y, state, cfg)
        v = evaluate(model, valid, cfg.seq_len)
        results.append({"epoch": epoch, "valid_loss": v, "valid_perplexity": math.exp(v),
                         "seconds": time.perf_counter() - t0})
        print(json.dumps(results[-1]), flush=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"preset": args.preset, "same_init": args.same_init, "seed": cfg.seed, "dtype": cfg.dtype,
                       "torch": torch.__version__, "numpy": np.__version__, "epochs": results}, f, indent=2)


if __name__ == "__main__":
    main()
