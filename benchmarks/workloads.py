"""The benchmark workloads and their FLOP counts.

FLOPs of one training step, counting only matrix products (2 FLOPs per multiply-add), per token:
    recurrent layer l:  forward 2 * G*H * (D_l + H)      (input and hidden products; G = 4 LSTM, 3 GRU, 1 RNN)
    decoder:            forward 2 * H * V
    training step = 3 x forward (forward, then the input-gradient and weight-gradient products)
Element-wise work (gates, softmax) is left out. This "standard" count is the work of the textbook
algorithm, the same for both sides, so standard FLOPs / time is an effective rate that compares them.

rnnlab executes fewer: with a small vocabulary it fuses the embedding into the first layer's input
product (rnnlab.models.language_model), replacing that layer's three T*N-row products
(3 * 2*G*H*D per token) by V-row ones: the table E W_ih^T (2*V*E*G*H), the per-token sums of its
gradient (2*V*T*N*G*H, a one-hot product) and dW_ih, dE (2 * 2*V*G*H*E). ``executed_train_flops``
counts those; executed FLOPs / time is the rate the BLAS actually ran at, the figure to hold against
the matrix-product peak.
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
        """Standard FLOPs of one training step (module docstring)."""
        return 3 * self.forward_flops_per_token() * self.tokens

    def fused(self) -> bool:
        """Whether rnnlab's LanguageModel fuses embedding and first input product (its _fuses rule)."""
        V, E, TN = self.vocab, self.embed or self.hidden, self.tokens
        return 3 * V * E + V * TN < 3 * TN * E

    def executed_train_flops(self) -> int:
        """Matrix-product FLOPs rnnlab runs for one training step (module docstring)."""
        if not self.fused():
            return self.train_flops()
        G = {"rnn": 1, "lstm": 4, "gru": 3}[self.cell]
        GH, V, E, TN = G * self.hidden, self.vocab, self.embed or self.hidden, self.tokens
        return self.train_flops() - 3 * 2 * GH * E * TN + 2 * V * E * GH + 2 * V * TN * GH + 4 * V * GH * E


WORKLOADS = [
    Workload("word LSTM 2x200 (Zaremba small)", "lstm", 2, 200, 20, 20, 10000),
    Workload("char LSTM 2x512", "lstm", 2, 512, 32, 64, 50),
    Workload("char GRU 2x512", "gru", 2, 512, 32, 64, 50),
    Workload("char tanh RNN 1x256", "rnn", 1, 256, 64, 100, 50),
    Workload("char LSTM 1x1024", "lstm", 1, 1024, 64, 50, 50),
]
SAMPLING = Workload("sampling char LSTM 2x512, batch 1", "lstm", 2, 512, 1, 1, 50)
