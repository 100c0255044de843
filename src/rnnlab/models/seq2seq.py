"""Seq2Seq: a bidirectional recurrent encoder and a recurrent decoder with attention (Luong et al.
2015's architecture; the score additive, general or dot, ``rnnlab.nn.Attention``), or without it.

Source x (Ts, N) ids with lengths; decoder inputs y (Tt, N) ids (BOS, then the target shifted right).
L layers of any cell kind; the encoder has H/2 units a direction, so its outputs m (Ts, N, H) match
the decoder's H:

    m, finals = BiRNN(drop(Es[x]), lengths)                  finals: h_n (and c_n) (2L, N, H/2)
    s_0^l = tanh(B [h_n^{l,fwd}; h_n^{l,bwd}] + b)           (LSTM: c_0^l = Bc [c^{l,fwd}; c^{l,bwd}] + bc)
    step i = 1..Tt:
        u_i = [Et[y_i]; o_{i-1}]  with input feeding (o_0 = 0), else Et[y_i]
        s_i^1 = Cell^1(drop(u_i), s_{i-1}^1),  s_i^l = Cell^l(drop(s_i^{l-1}), s_{i-1}^l)
        c_i, a_i = Attention(query s_i^L, values m, lengths)
        o_i = tanh(Wc [c_i; s_i^L] + bc)      (without attention: o_i = s_i^L)
        logits_i = Wo drop(o_i) + bo          (Tt, N, Vt) over all steps

With ``teacher_forcing`` r < 1, step i's input is the reference token with probability r, else the
argmax of step i-1's logits (per sequence; no gradient flows through that choice).

Backward goes through the steps in reverse: dlogits_i -> do_i (plus, with input feeding, what step
i + 1's input sent back), -> dc_i and ds_i^L, dc_i -> the attention's ds, dkeys and dm; the cells'
backward gives the previous state's gradient and du_i, split into dEt[y_i] and do_{i-1}; then the
bridge, the keys (summed over steps), the encoder, and Es.
"""

from __future__ import annotations

import numpy as np

from ..nn import Attention, Dropout, Embedding, Linear, Module, ModuleList, cell_kind
from ..nn.module import check_dtype, positive_int

__all__ = ["Seq2Seq", "Memory"]


class Memory:
    """What the decoder reads of one batch of sources: outputs m (Ts, N, H), their keys, lengths (N,)."""

    def __init__(self, outputs, keys, lengths):
        self.outputs, self.keys, self.lengths = outputs, keys, lengths

    def repeat(self, k: int) -> Memory:
        """Each source k times in a row (for beam search): N -> N k."""
        return Memory(np.repeat(self.outputs, k, axis=1), None if self.keys is None else np.repeat(self.keys, k, axis=1),
                      np.repeat(self.lengths, k))


class Seq2Seq(Module):
    def __init__(self, source_vocab: int, target_vocab: int, cell: str = "lstm", hidden_size: int = 128,
                 num_layers: int = 1, embed_size: int | None = None, attention: str = "additive",
                 input_feeding: bool = True, dropout: float = 0.0, dtype=np.float32, seed: int | None = None) -> None:
        super().__init__()
        kind = cell_kind(cell)
        H = self.hidden_size = positive_int("hidden_size", hidden_size)
        if H % 2:
            raise ValueError(f"hidden_size must be even (the encoder has hidden_size / 2 a direction), got {H}")
        E = self.embed_size = positive_int("embed_size", embed_size or H)
        L = self.num_layers = positive_int("num_layers", num_layers)
        self.cell, self.dtype, self.attention_kind = kind.name, check_dtype(dtype), attention
        self.input_feeding = bool(input_feeding and attention != "none")
        self.two_states = kind.kernel().n_states > 1
        seeds = iter(np.random.default_rng(seed).integers(2**63, size=10 + L))
        self.source_embedding = Embedding(positive_int("source_vocab", source_vocab), E, dtype, seed=next(seeds))
        self.target_embedding = Embedding(positive_int("target_vocab", target_vocab), E, dtype, seed=next(seeds))
        self.drop = Dropout(dropout, seed=next(seeds))
        self.encoder = kind.layer(E, H // 2, num_layers=L, bidirectional=True, dropout=dropout, dtype=dtype,
                                  seed=next(seeds))
        self.bridge = Linear(H, H, dtype=dtype, seed=next(seeds))
        if self.two_states:
            self.bridge_c = Linear(H, H, dtype=dtype, seed=next(seeds))
        self.cells = ModuleList([kind.cell(E + (H if self.input_feeding else 0) if l == 0 else H, H, dtype=dtype,
                                           seed=next(seeds)) for l in range(L)])
        if attention != "none":
            self.attention = Attention(H, H, attention, dtype=dtype, seed=next(seeds))
            self.combine = Linear(2 * H, H, dtype=dtype, seed=next(seeds))
        self.out = Linear(H, positive_int("target_vocab", target_vocab), dtype=dtype, seed=next(seeds))

    # -- encoder ---------------------------------------------------------------------------------
    def encode(self, x: np.ndarray, lengths) -> tuple[Memory, list]:
        """(Memory, the decoder's initial state per layer) of sources x (Ts, N) with ``lengths``."""
        lengths = np.asarray(lengths)
        m, finals = self.encoder(self.drop(self.source_embedding(x)), None, lengths)
        parts = finals if self.two_states else (finals,)
        both = [np.concatenate([p[0::2], p[1::2]], axis=2) for p in parts]  # (L, N, H): [fwd; bwd] per layer
        h0 = np.tanh(self.bridge(both[0]))
        if self.two_states:
            c0 = self.bridge_c(both[1])
            state = [(h0[l], c0[l]) for l in range(self.num_layers)]
        else:
            state = [h0[l] for l in range(self.num_layers)]
        keys = self.attention.keys(m) if "attention" in self.children else None
        self._save(("encode", h0))
        return Memory(m, keys, lengths), state

    def encode_backward(self, dm: np.ndarray, dkeys, dstate: list) -> None:
        """Gradients into the encoder from dm (Ts, N, H), the keys' summed gradient and the initial
        state's gradient per layer."""
        _, h0 = self._take(lambda r: r[0] == "encode" or _order())
        H2 = self.hidden_size // 2
        if dkeys is not None:
            dm = dm + self.attention.keys_backward(dkeys)
        if self.two_states:
            dc0 = self.bridge_c.backward(np.stack([d[1] for d in dstate]))
            dh0 = np.stack([d[0] for d in dstate])
        else:
            dc0, dh0 = None, np.stack(dstate)
        dboth_h = self.bridge.backward(dh0 * (1 - h0 * h0))  # (L, N, H)

        def split(d):  # (L, N, H) [fwd; bwd] -> (2L, N, H/2) in the encoder's order
            out = np.empty((2 * d.shape[0], d.shape[1], H2), d.dtype)
            out[0::2], out[1::2] = d[:, :, :H2], d[:, :, H2:]
            return out

        dfinal = (split(dboth_h), split(dc0)) if self.two_states else split(dboth_h)
        dx, _ = self.encoder.backward(dm, dfinal)
        self.source_embedding.backward(self.drop.backward(dx))

    # -- decoder ---------------------------------------------------------------------------------
    def step(self, tokens: np.ndarray, state: list, feed: np.ndarray | None, memory: Memory):
        """One decoder step: (logits (N, Vt), new state, o_i (N, H), attention weights (N, Ts) or None)
        from the previous tokens (N,), state and o_{i-1} (None: zeros)."""
        N, H = len(tokens), self.hidden_size
        u = self.target_embedding(tokens)
        if self.input_feeding:
            u = np.concatenate([u, np.zeros((N, H), self.dtype) if feed is None else feed], axis=1)
        new = []
        for l, cell in enumerate(self.cells):
            s = cell(self.drop(u), state[l])
            new.append(s)
            u = s[0] if self.two_states else s
        top = u
        if "attention" in self.children:
            c, a = self.attention(top, memory.keys, memory.outputs, memory.lengths)
            o = np.tanh(self.combine(np.concatenate([c, top], axis=1)))
        else:
            o, a = top, None
        self._save(("step", o, feed is None))
        return self.out(self.drop(o)), new, o, a

    def step_backward(self, dlogits: np.ndarray, dstate: list | None, dfeed: np.ndarray | None):
        """From dlogits (N, Vt), the next step's gradient on this step's state and on its o_i: (d previous
        state, d o_{i-1} or None, dm from this step's attention, dkeys)."""
        _, o, first = self._take(lambda r: r[0] == "step" or _order())
        H = self.hidden_size
        do = self.drop.backward(self.out.backward(dlogits))
        if dfeed is not None:
            do = do + dfeed
        dm = dkeys = None
        if "attention" in self.children:
            dcat = self.combine.backward(do * (1 - o * o))
            dtop_q, dkeys, dm = self.attention.backward(dcat[:, :H])
            dtop = dcat[:, H:] + dtop_q
        else:
            dtop = do
        d_prev = []
        for l in reversed(range(self.num_layers)):
            ds = dstate[l] if dstate is not None else None
            if self.two_states:
                ds = (dtop if ds is None else ds[0] + dtop, None if ds is None else ds[1])
            else:
                ds = dtop if ds is None else ds + dtop
            du, dprev = self.cells[l].backward(ds)
            d_prev.append(dprev)
            dtop = self.drop.backward(du)
        d_prev.reverse()
        du = dtop  # the first layer's input gradient
        E = self.embed_size
        self.target_embedding.backward(du[:, :E])
        dfeed_prev = du[:, E:] if self.input_feeding and not first else None
        return d_prev, dfeed_prev, dm, dkeys

    # -- whole sequences -------------------------------------------------------------------------
    def forward(self, x: np.ndarray, lengths, y_in: np.ndarray, teacher_forcing: float = 1.0,
                rng: np.random.Generator | None = None) -> np.ndarray:
        """Logits (Tt, N, Vt) of decoder inputs y_in (Tt, N) (BOS first) for sources x (Ts, N)."""
        memory, state = self.encode(x, lengths)
        feed, logits, tokens = None, [], y_in[0]
        for i in range(len(y_in)):
            if i and teacher_forcing < 1:
                own = logits[-1].argmax(axis=1)
                tokens = np.where(rng.random(len(own)) < teacher_forcing, y_in[i], own)
            elif i:
                tokens = y_in[i]
            z, state, feed, _ = self.step(tokens, state, feed, memory)
            logits.append(z)
        self._save(("forward", len(y_in), memory.outputs.shape))
        return np.stack(logits)

    def backward(self, dlogits: np.ndarray) -> None:
        """Parameter gradients from dL/dlogits (Tt, Nt, Vt)."""
        _, T, m_shape = self._take(lambda r: r[0] == "forward" or _order())
        dm = np.zeros(m_shape, self.dtype)
        dkeys = None
        dstate, dfeed = None, None
        for i in reversed(range(T)):
            dstate, dfeed, dm_i, dk_i = self.step_backward(dlogits[i], dstate, dfeed)
            if dm_i is not None:
                dm += dm_i
                dkeys = dk_i if dkeys is None else dkeys + dk_i
        self.encode_backward(dm, dkeys, dstate)


def _order():
    raise RuntimeError("Seq2Seq: backward calls must come in the reverse order of the forward calls")
