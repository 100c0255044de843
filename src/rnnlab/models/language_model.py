"""LanguageModel: embedding -> recurrent stack -> linear decoder, with dropout and weight tying.

    x (T, N) ids -> e = drop(E[x]) (T, N, E) -> h, state = RNN(e, state) (T, N, R)
                 -> logits = drop(h) W_dec^T + b_dec (T, N, V)

R = H, or P for an LSTM with projections (``proj_size``: each layer's h_t = W_hr (o * tanh c_t), P < H;
Sak et al. 2014), whose c stays H wide. With ``top_size`` K the last layer is a stack of its own, K
wide (AWD-LSTM's 400 over 1150), reading the others' output through the between-layer dropout:

    h', state' = RNN_{L-1 layers}(e, state');  h, state_top = RNN_top(drop(h'), state_top)   (T, N, K)

and the state is (h', c', h_top, c_top) (an LSTM's; a GRU's (h', h_top)).

Dropout is on the non-recurrent connections only (Zaremba et al. 2014): the embedding output, between
recurrent layers (inside the RNN) and before the decoder. With ``tie_weights`` the decoder uses the
embedding matrix (Press & Wolf 2017; Inan et al. 2017): W_dec = E, so E = R is required, and the
gradient of the shared matrix is the sum of both uses.

With a small vocabulary the embedding and the first layer's input product fuse: E[x] W_ih^T is
(E W_ih^T)[x], a V-row table looked up per token, so the per-token product of T*N rows becomes one of
V rows. Backward likewise: with dP (T, N, G*H) the gradient of the looked-up rows and
Gv = sum of dP over the positions holding token v (V, G*H),

    dW_ih = Gv^T E        dE = Gv W_ih

This is exact algebra (only the rounding differs); it needs no dropout on the embedding output, and it
is used when it costs fewer FLOPs (``fuses_input``), unless ``fuse_input`` says otherwise.

The AWD-LSTM regularisers (Merity et al. 2017; ``rnnlab.nn.regularisers``) are options: ``locked``
masks shared by all steps of a batch (embedding output, between layers, before the decoder) at rates
``dropout_input``, ``dropout_hidden`` and ``dropout`` (the first two default to ``dropout``);
``dropout_embed`` drops whole words of E; ``weight_drop`` is DropConnect on each W_hh; ``ar`` and
``tar`` add alpha mean(drop(h)^2) + beta mean((h_{t+1} - h_t)^2) of the last layer's output h to the
loss the model is trained on (their gradients join in ``backward``; the loss reported is the
cross-entropy alone, as the authors report it).
"""

from __future__ import annotations

import numpy as np

from ..functional import sum_rows_by_index
from ..nn import Dropout, Embedding, Linear, Module, cell_kind
from ..nn.module import check_dtype, positive_int
from ..nn.regularisers import LockedDropout, activation_penalties, row_mask

__all__ = ["LanguageModel"]


class LanguageModel(Module):
    fuse_input: bool | None = None  # None: fuse embedding and first input product when cheaper; True: whenever valid

    def __init__(self, vocab_size: int, cell: str = "lstm", hidden_size: int = 256, num_layers: int = 2,
                 embed_size: int | None = None, dropout: float = 0.0, tie_weights: bool = False,
                 init_scale: float | None = 0.1, dtype=np.float32, seed: int | None = None,
                 proj_size: int = 0, *, dropout_input: float | None = None, dropout_hidden: float | None = None,
                 dropout_embed: float = 0.0, weight_drop: float = 0.0, locked: bool = False, ar: float = 0.0,
                 tar: float = 0.0, top_size: int = 0) -> None:
        super().__init__()
        kind = cell_kind(cell)  # ValueError naming the registered kinds
        self.vocab_size = positive_int("vocab_size", vocab_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.num_layers = positive_int("num_layers", num_layers)
        self.embed_size = positive_int("embed_size", embed_size if embed_size is not None else hidden_size)
        if not (isinstance(dropout, (int, float)) and 0.0 <= dropout < 1.0):
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        self.proj_size, self.top_size = int(proj_size), int(top_size)
        if self.top_size and (self.num_layers < 2 or self.proj_size):
            raise ValueError(f"a last layer of its own width (top_size) needs 2 layers or more and no projections, "
                             f"got {self.num_layers} layer(s) and proj_size {self.proj_size}")
        width = self.top_size or self.proj_size or self.hidden_size
        if tie_weights and self.embed_size != width:
            what = "the last layer's" if self.top_size else "proj" if self.proj_size else "hidden"
            raise ValueError(f"tied weights need embed size = {what} size, got {self.embed_size} and {width}")
        if init_scale is not None and not (np.isfinite(init_scale) and init_scale > 0):
            raise ValueError(f"init scale must be a positive number, got {init_scale!r}")
        self.cell, self.dropout, self.tie_weights = kind.name, float(dropout), bool(tie_weights)
        self.dropout_input = self.dropout if dropout_input is None else float(dropout_input)
        self.dropout_hidden = self.dropout if dropout_hidden is None else float(dropout_hidden)
        if not 0.0 <= dropout_embed < 1.0:
            raise ValueError(f"dropout_embed must be a number in [0, 1), got {dropout_embed!r}")
        if ar < 0 or tar < 0:
            raise ValueError(f"ar and tar must be >= 0, got {ar!r} and {tar!r}")
        self.dropout_embed, self.weight_drop, self.locked = float(dropout_embed), float(weight_drop), bool(locked)
        self.ar, self.tar = float(ar), float(tar)
        self.penalty = 0.0  # AR + TAR of the latest training forward
        self.dtype = check_dtype(dtype)
        rng = np.random.default_rng(seed)
        seeds = rng.integers(2**63, size=5)
        self.children["embedding"] = Embedding(self.vocab_size, self.embed_size, dtype, seed=seeds[0])
        drop = LockedDropout if self.locked else Dropout
        self.children["drop_in"] = drop(self.dropout_input, seed=seeds[1])
        rnn_kw = dict(num_layers=self.num_layers - bool(self.top_size), dropout=self.dropout_hidden, dtype=dtype,
                      seed=seeds[2])
        if self.proj_size:
            rnn_kw["proj_size"] = self.proj_size  # ValueError unless an LSTM with proj_size < hidden_size
        if self.weight_drop or self.locked:
            rnn_kw |= dict(weight_drop=self.weight_drop, locked_dropout=self.locked)
        self.children["rnn"] = kind.layer(self.embed_size, self.hidden_size, **rnn_kw)
        if self.top_size:
            self.children["drop_mid"] = drop(self.dropout_hidden, seed=[int(seeds[2]), 1])
            self.children["rnn_top"] = kind.layer(self.hidden_size, self.top_size, **(
                rnn_kw | dict(num_layers=1, seed=[int(seeds[2]), 2])))
        self.children["drop_out"] = drop(self.dropout, seed=seeds[3])
        # embedding dropout's masks (only then: a run without it keeps the generators it always had)
        self.rng = np.random.default_rng([int(seeds[0]), 1]) if self.dropout_embed > 0 else None
        self.children["decoder"] = Linear(width, self.vocab_size, dtype=dtype, seed=seeds[4])
        if init_scale is not None:  # U(-s, s) for every parameter, biases included, as in Zaremba et al.
            for _, p, _ in self.named_parameters():
                p[...] = rng.uniform(-init_scale, init_scale, p.shape)
        if self.tie_weights:
            dec, emb = self.children["decoder"], self.children["embedding"]
            dec.params["weight"] = emb.params["weight"]
            dec.grads["weight"] = emb.grads["weight"]

    @property
    def rnn(self):
        return self.children["rnn"]

    def stacks(self) -> list:
        """The recurrent stacks from the bottom: ``rnn``, and ``rnn_top`` with top_size."""
        return [self.children["rnn"]] + ([self.children["rnn_top"]] if self.top_size else [])

    def initial_state(self, batch_size: int):
        """Zeros: h (L, N, R), or a tuple such as (h, c) for LSTM (c: (L, N, H)); with top_size the
        stacks' states one after the other."""
        zeros = tuple(np.zeros((rnn.num_layers, batch_size, w), self.dtype) for rnn in self.stacks()
                      for w in rnn.state_widths())
        return zeros if len(zeros) > 1 else zeros[0]

    def _split(self, state):
        """(the lower stack's state, the top's) of a whole state (None: both None)."""
        if not self.top_size:
            return state, None
        if state is None:
            return None, None
        n = self.rnn.kernel.n_states
        pack = (lambda parts: tuple(parts)) if n > 1 else (lambda parts: parts[0])
        return pack(state[:n]), pack(state[n:])

    def _join(self, lower, top):
        if not self.top_size:
            return lower
        as_tuple = lambda s: s if isinstance(s, tuple) else (s,)  # noqa: E731
        return as_tuple(lower) + as_tuple(top)

    def forward(self, x: np.ndarray, state=None) -> tuple[np.ndarray, object]:
        """x (T, N) integer ids -> (logits (T, N, V), final state)."""
        c = self.children
        x = np.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"LanguageModel expects ids of shape (T, N), got {x.shape}")
        state, top = self._split(state)
        fused = self.fuses_input(x.size)
        words = None  # embedding dropout: each token's word kept (1 / (1 - p)) or dropped (0)
        if self.training and self.dropout_embed > 0:
            words = row_mask(self.rng, self.vocab_size, self.dropout_embed, self.dtype)[x][..., None]
        if fused:
            c["embedding"].indices(x)  # checks the ids; E[x] is never formed
            E, W_ih = c["embedding"].params["weight"], self.rnn.params["weight_ih_l0"]
            h, state = self.rnn.forward(np.take(E @ W_ih.T, x, axis=0), state, projected=True)  # (T, N, H)
        else:
            e = c["embedding"].forward(x)  # (T, N, E)
            h, state = self.rnn.forward(c["drop_in"].forward(e if words is None else e * words), state)  # (T, N, R)
        if self.top_size:
            h, top = c["rnn_top"].forward(c["drop_mid"].forward(h), top)  # (T, N, K)
        state = self._join(state, top)
        h_drop = c["drop_out"].forward(h)
        penalties = None
        if self.training and (self.ar or self.tar):
            penalties = activation_penalties(h, h_drop, self.ar, self.tar)
            self.penalty = penalties[0]  # AR + TAR of this forward: what the training loss adds
        self._save((fused, x, words, penalties))
        logits = c["decoder"].forward(h_drop)  # (T, N, V)
        return logits, state

    def backward(self, dlogits: np.ndarray, scale: float = 1.0) -> None:
        """Accumulate every parameter gradient from dL/dlogits (T, N, V), and of AR and TAR times
        ``scale`` (the factor of the loss, e.g. T when it is summed over time). The state carried into
        the batch is treated as a constant (truncated BPTT), so no state gradient is returned."""
        c = self.children
        fused, x, words, penalties = self._take()
        dh_drop = c["decoder"].backward(dlogits)
        dh_tar = None
        if penalties is not None:
            _, dh_tar, d_ar = penalties
            if d_ar is not None:
                dh_drop = dh_drop + scale * d_ar
        dh = c["drop_out"].backward(dh_drop)
        if dh_tar is not None:
            dh = dh + scale * dh_tar
        if self.top_size:
            dh = c["drop_mid"].backward(c["rnn_top"].backward(dh)[0])
        de, _ = c["rnn"].backward(dh)
        if not fused:
            de = c["drop_in"].backward(de)
            c["embedding"].backward(de if words is None else de * words)
            return
        # de = dP (T, N, G*H), the gradient of E[x] W_ih^T; Gv sums it per token (module docstring)
        x = x.reshape(-1)
        E, W_ih = c["embedding"].params["weight"], self.rnn.params["weight_ih_l0"]
        Gv = sum_rows_by_index(x, de.reshape(x.shape[0], -1), np.zeros((self.vocab_size, W_ih.shape[0]), self.dtype))
        self.rnn.grads["weight_ih_l0"] += Gv.T @ E
        c["embedding"].grads["weight"] += Gv @ W_ih

    def fuses_input(self, tokens: int) -> bool:
        """Whether the embedding-input fusion applies and pays: FLOPs per G*H column (x2) are
        3 T*N*E unfused (forward, dE, dW_ih) against V*E + V*T*N + 2 V*E fused (table, Gv, dW_ih and dE)."""
        if self.fuse_input is False or (self.training and (self.dropout_input > 0 or self.dropout_embed > 0)):
            return False
        if self.fuse_input:
            return True
        V, E = self.vocab_size, self.embed_size
        return 3 * V * E + V * tokens < 3 * tokens * E

    def config(self) -> dict:
        return dict(vocab_size=self.vocab_size, cell=self.cell, hidden_size=self.hidden_size,
                    num_layers=self.num_layers, embed_size=self.embed_size, dropout=self.dropout,
                    tie_weights=self.tie_weights, dtype=str(self.dtype)) | (
                        {"proj_size": self.proj_size} if self.proj_size else {}) | (
                        {"top_size": self.top_size} if self.top_size else {}) | (
                        {k: getattr(self, k) for k in ("dropout_input", "dropout_hidden", "dropout_embed", "weight_drop",
                                                       "locked", "ar", "tar")} if self.regularised else {})

    @property
    def regularised(self) -> bool:
        """Whether any AWD-LSTM option differs from the plain model's."""
        return bool(self.locked or self.dropout_embed or self.weight_drop or self.ar or self.tar
                    or self.dropout_input != self.dropout or self.dropout_hidden != self.dropout)
