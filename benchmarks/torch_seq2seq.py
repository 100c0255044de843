"""The same encoder-decoder recipe in PyTorch, on the same data and batches, for comparison.

    python -m benchmarks.torch_seq2seq LABEL [rnnlab train flags for --task seq2seq...]

Uses rnnlab's Seq2SeqTask for the data, vocabularies, batches (the same pairs in the same order) and
its model's initial weights; the model (the equations of rnnlab.models.Seq2Seq, written with torch.nn
layers), loss, clipping and Adam are PyTorch's. After each epoch the weights are copied into rnnlab's model
and validated by the task's own code, as rnnlab's trainer does (loss and greedy BLEU, so both sides pay for
the same decoding); the validation loss drives a plateau schedule and the task's criterion picks the best
epoch, whose weights are then scored by the same code as rnnlab's (greedy and beam 5, valid and test). Writes benchmarks/results/seq2seq/LABEL.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from rnnlab.optim import make_schedule
from rnnlab.tasks.seq2seq import Seq2SeqTask
from rnnlab.tasks import resolve_config

RESULTS = Path(__file__).parent / "results" / "seq2seq"


class Attention(torch.nn.Module):
    def __init__(self, kind, H):
        super().__init__()
        self.kind = kind
        if kind == "additive":
            self.key_weight = torch.nn.Parameter(torch.empty(H, H))
            self.query_weight = torch.nn.Parameter(torch.empty(H, H))
            self.score_weight = torch.nn.Parameter(torch.empty(H))
        elif kind == "general":
            self.weight = torch.nn.Parameter(torch.empty(H, H))

    def keys(self, m):
        return m @ self.key_weight.T if self.kind == "additive" else m @ self.weight.T if self.kind == "general" else m

    def forward(self, s, k, m, valid):
        if self.kind == "additive":
            e = torch.tanh(s @ self.query_weight.T + k) @ self.score_weight
        else:
            e = torch.einsum("ns,tns->tn", s, k)
        a = torch.softmax(e.masked_fill(~valid, float("-inf")), dim=0)
        return torch.einsum("tn,tnh->nh", a, m)


class TorchSeq2Seq(torch.nn.Module):
    """rnnlab.models.Seq2Seq's equations; parameter names equal its state_dict's."""

    def __init__(self, cfg, V_src, V_tgt):
        super().__init__()
        H, L, E = cfg.hidden, cfg.layers, cfg.embed or cfg.hidden
        self.cfg, self.lstm = cfg, cfg.cell == "lstm"
        rnn, cell = {"lstm": (torch.nn.LSTM, torch.nn.LSTMCell), "gru": (torch.nn.GRU, torch.nn.GRUCell)}[cfg.cell]
        self.source_embedding = torch.nn.Embedding(V_src, E)
        self.target_embedding = torch.nn.Embedding(V_tgt, E)
        self.drop = torch.nn.Dropout(cfg.dropout)
        self.encoder = rnn(E, H // 2, L, bidirectional=True, dropout=cfg.dropout if L > 1 else 0.0)
        self.bridge = torch.nn.Linear(H, H)
        if self.lstm:
            self.bridge_c = torch.nn.Linear(H, H)
        self.feeding = cfg.input_feeding and cfg.attention != "none"
        self.cells = torch.nn.ModuleList([cell(E + (H if self.feeding else 0) if l == 0 else H, H) for l in range(L)])
        if cfg.attention != "none":
            self.attention = Attention(cfg.attention, H)
            self.combine = torch.nn.Linear(2 * H, H)
        self.out = torch.nn.Linear(H, V_tgt)

    def forward(self, x, lengths, y_in):
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        packed = pack_padded_sequence(self.drop(self.source_embedding(x)), lengths, enforce_sorted=False)
        out, finals = self.encoder(packed)
        m, _ = pad_packed_sequence(out, total_length=x.shape[0])
        both = [torch.cat([f[0::2], f[1::2]], dim=2) for f in (finals if self.lstm else (finals,))]
        h0 = torch.tanh(self.bridge(both[0]))
        state = [(h0[l], self.bridge_c(both[1])[l]) if self.lstm else h0[l] for l in range(len(self.cells))]
        valid = torch.arange(x.shape[0])[:, None] < lengths[None, :]
        keys = self.attention.keys(m) if self.cfg.attention != "none" else None
        feed = torch.zeros(x.shape[1], self.cfg.hidden)
        logits = []
        for i in range(y_in.shape[0]):
            u = self.target_embedding(y_in[i])
            if self.feeding:
                u = torch.cat([u, feed], dim=1)
            for l, cell in enumerate(self.cells):
                state[l] = cell(self.drop(u), state[l])
                u = state[l][0] if self.lstm else state[l]
            if keys is not None:
                feed = torch.tanh(self.combine(torch.cat([self.attention(u, keys, m, valid), u], dim=1)))
            else:
                feed = u
            logits.append(self.out(self.drop(feed)))
        return torch.stack(logits)


def loss_of(model, batch):
    x, lengths, y_in, y, mask = (torch.from_numpy(np.asarray(a)) for a in batch[:5])
    logits = model(x, lengths, y_in)
    nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
    w = mask.reshape(-1)
    return (nll * w).sum() / w.sum(), w.sum()


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.torch_seq2seq")
    ap.add_argument("label")
    ap.add_argument("--beam", type=int, default=5)
    args, flags = ap.parse_known_args()
    from rnnlab.cli.args import settings_given
    from rnnlab.cli.parser import build_parser

    argv = ["train", "--task", "seq2seq", *flags]
    given = build_parser(argv).parse_args(argv)
    cfg = resolve_config(given.preset, given.config, settings_given(given))
    if cfg.teacher_forcing != 1.0 or cfg.schedule not in ("constant", "cosine", "plateau") or cfg.optimizer != "adam":
        raise SystemExit("this reference implements teacher forcing 1, a constant, cosine or plateau learning rate and "
                         "Adam "
                         "only")
    task = Seq2SeqTask(cfg)
    torch.manual_seed(cfg.seed)
    model = TorchSeq2Seq(cfg, len(task.source_vocab), len(task.target_vocab))
    with torch.no_grad():  # rnnlab's initial weights
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(task.model.state_dict()[name]))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    # the learning rate of every step from rnnlab's own schedule, as its trainer sets it before each step
    schedule = make_schedule(cfg.schedule, cfg.lr, total_steps=cfg.total_steps(task.batches_per_epoch) or 1,
                             warmup=cfg.warmup)
    step = 0
    start, best, history = time.perf_counter(), (np.inf, None), []
    epoch = 0
    while epoch < cfg.last_epoch():  # unbounded under a time budget without --epochs, as rnnlab's trainer
        epoch += 1
        model.train()
        over = False
        for i in range(task.batches_per_epoch):
            if cfg.time_budget and time.perf_counter() - start >= cfg.time_budget:
                over = True  # as rnnlab's trainer: checked before each step, the stopping weights validated
                break
            step += 1
            for group in opt.param_groups:
                group["lr"] = schedule.lr(step, epoch)
            loss, _ = loss_of(model, task.batch(epoch, i))
            opt.zero_grad()
            loss.backward()
            if cfg.clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
        with torch.no_grad():
            weights = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        task.model.load_state_dict(weights)
        measures = task.evaluate("valid")
        schedule.on_validation(measures["loss"])
        history.append({"epoch": epoch, "step": step, "seconds": time.perf_counter() - start,
                        **{k: measures[k] for k in ("loss", "bleu", "chrf") if k in measures}})
        print(history[-1], flush=True)
        if task.criterion(measures) < best[0]:
            best = (task.criterion(measures), weights)
        if over:
            break
    task.model.load_state_dict(best[1])
    record = {"label": args.label, "flags": flags, "train_seconds": history[-1]["seconds"], "history": history,
              "torch": torch.__version__, "threads": torch.get_num_threads(),
              "machine": platform.processor() or platform.machine()}
    for split in ("valid", "test"):
        for beam in (1, args.beam):
            record[f"{split} beam {beam}"] = task.evaluate(split, beam)
            print(f"{args.label} {split} beam {beam}: {record[f'{split} beam {beam}']}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.label}.json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
