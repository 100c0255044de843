"""Single-step inference for a LanguageModel: one token in, next-token logits out, with a few NumPy
calls per layer. Used for sampling, where the full sequence machinery would cost more than the maths.

Per step, with state (L, N, H) (and c for LSTM), for a token batch ``tok`` (N,):
    layer 0:   xp = Table[tok],  Table = E W_ih0^T + b_ih0 (+ folded b_hh0)   (V, G*H), precomputed
    layer l>0: xp = h_{l-1} W_ih^T + b                                         (N, G*H)
    hp = h_l W_hh^T (+ the b_hh entries that cannot be folded)
    h_l (, c_l) = the cell kernel's forward_step(xp, hp, state)              (same equations as training;
                                                                  the chosen backend's step)
    h_l = h_l W_hr^T                                                           (an LSTM with projections)
    logits = h_{L-1} W_dec^T + b_dec                                           (N, V)
Dropout is off (inference).
"""

from __future__ import annotations

import numpy as np

from ..backends import get_backend
from ..nn.bptt import fold_biases

__all__ = ["Stepper"]


class Stepper:
    def __init__(self, model, batch_size: int = 1) -> None:
        rnn = model.rnn
        self.kernel, self.N = get_backend().step_kernel(rnn.kernel), batch_size
        G = self.kernel.gates
        self.layers = []
        emb = model.children["embedding"].params["weight"]  # (V, E)
        # every layer of every stack, from the bottom (a last layer of its own width: ``rnn_top``)
        for rnn, layer in [(rnn, k) for rnn in model.stacks() for k in range(rnn.num_layers)]:
            H = rnn.hidden_size
            F = self.kernel.folded_hh_gates * H
            p = rnn._layer_params(layer, "")
            b, b_rest = fold_biases(self.kernel, p["bias_ih"], p["bias_hh"]) if rnn.bias else (
                np.zeros(G * H, rnn.dtype), None)
            # Products are taken as W h^T into (G*H, N) buffers: for N = 1 that is a matrix-vector
            # product down the rows of W, faster in OpenBLAS than h W^T.
            entry = {"kernel": get_backend().step_kernel(rnn.direction_kernel(layer, "")),  # bound to its norms' gains
                     "W_hh": np.ascontiguousarray(p["weight_hh"]), "b_rest": None if b_rest is None else b_rest[:, None],
                     "F": F, "ws": self.kernel.workspace(1, batch_size, H, rnn.dtype),
                     "hpT": np.empty((G * H, batch_size), rnn.dtype), "xpT": np.empty((G * H, batch_size), rnn.dtype)}
            if rnn.proj_size:  # the step reads the previous h for its shape only (backends.projected)
                entry["W_hrT"], entry["m0"] = np.ascontiguousarray(p["weight_hr"].T), np.zeros((batch_size, H), rnn.dtype)
            if not self.layers:
                entry["table"] = emb @ p["weight_ih"].T + b  # (V, G*H): embedding and input product in one lookup
                entry["xp"] = np.empty((batch_size, G * H), rnn.dtype)
            else:
                entry["W_ih"], entry["b"] = np.ascontiguousarray(p["weight_ih"]), b[:, None]
            self.layers.append(entry)
        dec = model.children["decoder"].params
        self.W_decT = np.ascontiguousarray(dec["weight"].T)  # (H, V)
        self.b_dec = dec.get("bias")
        self.logits = np.empty((batch_size, self.W_decT.shape[1]), rnn.dtype)
        self.parts = rnn.kernel.n_states
        self.state = None
        self.reset(model.initial_state(batch_size))

    def reset(self, state) -> None:
        """Set the state: h (L, N, H), or a tuple such as (h, c) for LSTM, e.g. the final state of
        ``model.forward`` (with a last layer of its own width: each stack's, one after the other)."""
        parts = state if isinstance(state, tuple) else (state,)
        stacks = [parts[i:i + self.parts] for i in range(0, len(parts), self.parts)]
        self.state = [tuple(np.array(s[layer]) for s in stack) for stack in stacks for layer in range(len(stack[0]))]

    def step(self, tokens: np.ndarray) -> np.ndarray:
        """tokens (N,) ids -> logits (N, V) for the next token; advances the state."""
        x = None
        for layer, e in enumerate(self.layers):
            if layer == 0:
                xp = np.take(e["table"], tokens, axis=0, out=e["xp"])  # (N, G*H)
            else:
                np.dot(e["W_ih"], x.T, out=e["xpT"])
                e["xpT"] += e["b"]
                xp = e["xpT"].T
            prev = self.state[layer]
            np.dot(e["W_hh"], prev[0].T, out=e["hpT"])  # (G*H, N)
            if e["b_rest"] is not None:
                e["hpT"][e["F"]:] += e["b_rest"]
            if "W_hrT" in e:
                m, c = e["kernel"].forward_step(e["ws"], 0, xp, e["hpT"].T, (e["m0"], prev[1]))
                new = (m @ e["W_hrT"], c)
            else:
                new = e["kernel"].forward_step(e["ws"], 0, xp, e["hpT"].T, prev)
            self.state[layer] = new  # views into this layer's workspace, overwritten in place next step
            x = new[0]
        np.dot(x, self.W_decT, out=self.logits)
        if self.b_dec is not None:
            self.logits += self.b_dec
        return self.logits
