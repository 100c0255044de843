"""The benchmark workloads and their FLOP counts.

FLOPs of one training step, counting only matrix products (2 FLOPs per multiply-add), per token:
    recurrent layer l:  forward 2 * G*H * (D_l + H)      (input and hidden products; G = 4 LSTM, 3 GRU, 1 RNN)
    decoder:            forward 2 * H * V
    training step = 3 x forward (forward, then the input-gradient and weight-gradient products)
Element-wise work (gates, softmax) is left out, so the achieved GFLOP/s is a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Workload", "WORKLOADS", "SAMPLING"]


@dataclass(frozen=True)
class Workload:
    name: str
    cell: str  # rnn | lstm | gru
    layers: int
    hidden: int
    batch: int  # N
    steps: int  # T
    vocab: int  # V
    embed: int | None = None

    @property
    def tokens(self) -> int:
        return self.batch * self.steps

    def forward_flops_per_token(self) -> int:
        G = {"rnn": 1, "lstm": 4, "gru": 3}[self.cell]
        H = self.hidden
        D = self.embed or H
        flops = 0
        for layer in range(self.layers):
            flops += 2 * G * H * ((D if layer == 0 else H) + H)
        return flops + 2 * H * self.vocab

    def train_flops(self) -> int:
        return 3 * self.forward_flops_per_token() * self.tokens


WORKLOADS = [
    Workload("word LSTM 2x200 (Zaremba small)", "lstm", 2, 200, 20, 20, 10000),
    Workload("char LSTM 2x512", "lstm", 2, 512, 32, 64, 50),
    Workload("char GRU 2x512", "gru", 2, 512, 32, 64, 50),
    Workload("char tanh RNN 1x256", "rnn", 1, 256, 64, 100, 50),
    Workload("char LSTM 1x1024", "lstm", 1, 1024, 64, 50, 50),
]
SAMPLING = Workload("sampling char LSTM 2x512, batch 1", "lstm", 2, 512, 1, 1, 50)
