"""Multi-layer, optionally bidirectional recurrent layers: ``RNN``, ``LSTM`` and ``GRU``.

One class owns layers, directions, initial and final states, sequence lengths and dropout between
layers, for any registered cell kind (``rnnlab.nn.registry``); the time loop of each direction of
each layer runs on the backend chosen at the call (``rnnlab.backends``), the work around it in
``rnnlab.nn.bptt``.

Shapes: T time, N batch, D input, H hidden, G gates, L layers, dirs = 2 if bidirectional else 1,
R = the output width: H, or P for an LSTM with projections (``proj_size``, PyTorch's: h_t = W_hr m_t,
``rnnlab.backends.projected``; then W_hh is (4H, P), c stays (.., H), and layers above read dirs*P).
    x       (T, N, D)            or (N, T, D) with batch_first
    output  (T, N, dirs*R)       or (N, T, dirs*R)
    h0, hn  (L*dirs, N, R)       a tuple, e.g. (h, c) for LSTM, when the cell has several states
                                 (c: (L*dirs, N, H)); index = layer * dirs + direction
Parameter names, shapes and gate order are PyTorch's, so state dicts move between the two as is.
"""

from __future__ import annotations

import math

import numpy as np

from .. import init
from ..backends import get_backend
from .bptt import project_inputs, weight_gradients
from .grad_mode import is_grad_enabled
from .kinds import cell_kind
from .module import Module, check_array, check_dtype, is_array, positive_int
from .regularisers import row_mask

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]


class RNNBase(Module):
    """The recurrent layer of any registered cell kind ``mode`` (``rnnlab.nn.register_cell``);
    ``RNN``, ``LSTM`` and ``GRU`` are this with their kind fixed."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype=np.float32,
        seed: int | None = None,
        proj_size: int = 0,
        weight_drop: float = 0.0,
        locked_dropout: bool = False,
    ) -> None:
        """``weight_drop``: DropConnect on every W_hh with one mask a forward (AWD-LSTM's weight drop);
        ``locked_dropout``: the dropout between layers keeps one mask for all steps
        (``rnnlab.nn.regularisers``)."""
        super().__init__()
        kind = cell_kind(mode)
        self.mode = kind.name
        self.kernel = kind.kernel()
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.num_layers = positive_int("num_layers", num_layers)
        if not (isinstance(dropout, (int, float)) and 0.0 <= dropout < 1.0):
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        if not (isinstance(weight_drop, (int, float)) and 0.0 <= weight_drop < 1.0):
            raise ValueError(f"weight_drop must be a number in [0, 1), got {weight_drop!r}")
        self.weight_drop, self.locked_dropout = float(weight_drop), bool(locked_dropout)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.dtype = check_dtype(dtype)
        if not (isinstance(proj_size, (int, np.integer)) and 0 <= proj_size < self.hidden_size):
            raise ValueError(f"proj_size must be an integer in [0, hidden_size = {self.hidden_size}), got {proj_size!r}")
        if proj_size and self.mode != "lstm":
            raise ValueError(f"proj_size is for LSTM layers, not {self.mode}")
        self.proj_size = int(proj_size)
        self.rng = np.random.default_rng(seed)  # initialisation, then dropout masks

        G, H, R = self.kernel.gates, self.hidden_size, self.output_width
        scale = 1.0 / math.sqrt(H)  # PyTorch: U(-1/sqrt(H), 1/sqrt(H)) for every parameter
        for layer in range(self.num_layers):
            D = self.input_size if layer == 0 else R * self.num_directions
            for sfx in self._suffixes():
                names = [("weight_ih", (G * H, D)), ("weight_hh", (G * H, R))]
                if self.bias:
                    names += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
                if self.proj_size:
                    names += [("weight_hr", (R, H))]
                for base, shape in names:
                    self.params[f"{base}_l{layer}{sfx}"] = init.uniform(self.rng, shape, scale, self.dtype)
                for base, (shape, value) in self.kernel.step_params.items():  # the step's own (layer norm)
                    self.params[f"{base}_l{layer}{sfx}"] = np.full(shape(H), value, self.dtype)
        self._init_grads()

    @property
    def output_width(self) -> int:
        """R: the width of h and of each direction's output (proj_size, else hidden_size)."""
        return self.proj_size or self.hidden_size

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def extra_repr(self) -> str:
        return (
            f"{type(self).__name__}({self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"bidirectional={self.bidirectional}, batch_first={self.batch_first}, dtype={self.dtype}"
            + (f", proj_size={self.proj_size})" if self.proj_size else ")")
        )

    __repr__ = extra_repr

    # -- input checks ---------------------------------------------------------------------
    def _state_tuple(self, name: str, state, N: int, *, allow_none_parts: bool = False):
        """Normalise a state argument to a tuple of n_states arrays (L*dirs, N, R or H) (or None)."""
        return state_parts(self.kernel.state_names, self.mode, name, state,
                           [(self.num_layers * self.num_directions, N, w) for w in self.state_widths()], self.dtype,
                           allow_none_parts)

    def state_widths(self) -> tuple[int, ...]:
        """The width of each state: R for h, H for the others (an LSTM's c)."""
        return (self.output_width,) + (self.hidden_size,) * (self.kernel.n_states - 1)

    def _check_lengths(self, lengths, T: int, N: int) -> np.ndarray | None:
        if lengths is None:
            return None
        lens = np.asarray(lengths)
        if lens.shape != (N,) or not np.issubdtype(lens.dtype, np.integer):
            raise ValueError(f"lengths must be {N} integers (one per sequence), got shape {lens.shape} "
                             f"of {lens.dtype}")
        if lens.min() < 1 or lens.max() > T:
            raise ValueError(f"lengths must lie in [1, {T}] (the sequence length), got min {lens.min()} "
                             f"and max {lens.max()}")
        return lens

    # -- forward --------------------------------------------------------------------------
    def forward(self, x, state=None, lengths=None, *, projected=False):
        """Run the whole stack over a sequence.

        x: (T, N, D), or (N, T, D) if batch_first. state: h0 (L*dirs, N, H), or a tuple such as
        (h0, c0) for LSTM, None for zeros. lengths: N integers in [1, T], or None (all T).
        projected=True (unidirectional only): x is already the first layer's input product
        x W_ih_l0^T, (T, N, G*H) without biases, computed by the caller some cheaper way (a language
        model with a small vocabulary looks it up in E W_ih^T). ``backward`` then returns its gradient
        (T, N, G*H) in place of d_x and leaves the gradient of weight_ih_l0 to the caller.
        Returns (output (T, N, dirs*H) [or batch first], final state like ``state``).
        """
        width = self.kernel.gates * self.hidden_size if projected else self.input_size
        if projected and self.bidirectional:
            raise ValueError("projected input needs a unidirectional layer")
        if not is_array(x) or x.ndim != 3:
            shape = getattr(x, "shape", None)
            raise ValueError(f"input must be a 3-D numpy array (T, N, D){' with batch_first (N, T, D)' if self.batch_first else ''}, got shape {shape}")
        if x.dtype != self.dtype:
            raise ValueError(f"input must have dtype {self.dtype}, got {x.dtype}")
        if x.shape[-1] != width:
            raise ValueError(f"input.shape[-1] must be equal to {'G*H' if projected else 'input_size'}. Expected {width}, got {x.shape[-1]}")
        keep = is_grad_enabled()  # whether a backward may follow: the caches are kept
        backend = get_backend()
        X = x.transpose(1, 0, 2) if self.batch_first else x  # (T, N, D)
        T, N, _ = X.shape
        if T == 0 or N == 0:
            raise ValueError(f"input must have at least one time step and one sequence, got shape {x.shape}")
        state0 = self._state_tuple("initial state", state, N)
        lens = self._check_lengths(lengths, T, N)
        mask = None if lens is None else (np.arange(T)[:, None] < lens[None, :])[:, :, None]  # (T, N, 1)

        L, dirs, H = self.num_layers, self.num_directions, self.output_width
        widths = self.state_widths()
        finals = [np.empty((L * dirs, N, w), self.dtype) for w in widths]
        layers = []
        inp = X
        for layer in range(L):
            out = np.empty((T, N, dirs * H), self.dtype)
            runs = []
            for d, sfx in enumerate(self._suffixes()):
                p = self._layer_params(layer, sfx)
                XP, b_rest = project_inputs(self.kernel, inp, None if projected and layer == 0 else p["weight_ih"],
                                            p.get("bias_ih"), p.get("bias_hh"))
                s0 = tuple(
                    np.zeros((N, w), self.dtype) if s is None else s[layer * dirs + d] for s, w in zip(state0, widths)
                )
                rev = d == 1
                dropped = None  # weight drop's mask of W_hh, one for this batch
                if self.training and self.weight_drop > 0:
                    dropped = row_mask(self.rng, p["weight_hh"].shape, self.weight_drop, self.dtype)
                    p = p | {"weight_hh": p["weight_hh"] * dropped}
                args = (XP[::-1] if rev else XP, s0, p["weight_hh"])
                m = None if mask is None else (mask[::-1] if rev else mask)
                kernel = self.direction_kernel(layer, sfx)
                if self.proj_size:
                    S, ws = backend.forward_projected(kernel, *args, p["weight_hr"], b_rest, m, keep)
                else:
                    S, ws = backend.forward_direction(kernel, *args, b_rest, m, keep)
                Y = S[0][1:]  # (T, N, H) processing order
                if mask is not None:
                    Y = np.where(mask[::-1] if rev else mask, Y, 0)
                out[:, :, d * H : (d + 1) * H] = Y[::-1] if rev else Y
                for f, s in zip(finals, S):
                    f[layer * dirs + d] = s[T]
                if keep:
                    runs.append((S, ws, kernel, dropped))
            drop = None
            if self.training and self.dropout > 0 and layer < L - 1:
                p_keep = 1.0 - self.dropout  # inverted dropout: E[out * drop] = out
                shape = (1,) + out.shape[1:] if self.locked_dropout else out.shape  # locked: one mask for all steps
                drop = (self.rng.random(shape) < p_keep).astype(self.dtype) / self.dtype.type(p_keep)
                out *= drop
            if keep:
                layers.append((inp, runs, drop))
            inp = out
        self._save((layers, mask, N, T, projected, backend))
        output = inp.transpose(1, 0, 2) if self.batch_first else inp
        final = tuple(finals) if self.kernel.n_states > 1 else finals[0]
        return output, final

    def direction_kernel(self, layer: int, sfx: str):
        """The step kernel of one layer and direction: ``self.kernel``, bound to that direction's own
        step parameters when it has some (``CellKernel.step_params``)."""
        if not self.kernel.step_params:
            return self.kernel
        names = [f"{n}_l{layer}{sfx}" for n in self.kernel.step_params]
        return self.kernel.bind({n: self.params[k] for n, k in zip(self.kernel.step_params, names)},
                                {n: self.grads[k] for n, k in zip(self.kernel.step_params, names)})

    def _layer_params(self, layer: int, sfx: str, source: dict | None = None) -> dict[str, np.ndarray]:
        """{"weight_ih": ..., ...} of one layer and direction, from ``params`` (or ``source``, e.g. grads)."""
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else []) + (
            ["weight_hr"] if self.proj_size else [])
        return {n: (self.params if source is None else source)[f"{n}_l{layer}{sfx}"] for n in names}

    # -- backward -------------------------------------------------------------------------
    def backward(self, d_output, d_final_state=None):
        """Backpropagate through the most recent ``forward``.

        d_output: like the output; d_final_state: like the final state (None, or None parts, for zero).
        Adds parameter gradients into ``self.grads`` and returns (d_x like x, d_initial_state like
        the state: h (L*dirs, N, H), or a tuple such as (h, c) for LSTM).
        """
        L, dirs, H, G = self.num_layers, self.num_directions, self.output_width, self.kernel.gates
        GH = G * self.hidden_size

        def check(record):
            N, T = record[2], record[3]
            self._state_tuple("d_final_state", d_final_state, N, allow_none_parts=True)
            if d_output is not None:
                check_array("d_output", d_output, (N, T, dirs * H) if self.batch_first else (T, N, dirs * H),
                            self.dtype)

        layers, mask, N, T, projected, backend = self._take(check)
        dfinal = self._state_tuple("d_final_state", d_final_state, N, allow_none_parts=True)
        # None: no gradient reaches the outputs, and the last layer's loop gets dY = None
        dOut = d_output.transpose(1, 0, 2) if self.batch_first and d_output is not None else d_output
        dstate0 = [np.zeros((L * dirs, N, w), self.dtype) for w in self.state_widths()]
        for layer in range(L - 1, -1, -1):
            inp, runs, drop = layers[layer]
            if drop is not None and dOut is not None:
                dOut = dOut * drop
            dIn = np.zeros(inp.shape, self.dtype) if dirs == 2 else None
            for d, sfx in enumerate(self._suffixes()):
                rev = d == 1
                S, ws, kernel, dropped = runs[d]
                p = self._layer_params(layer, sfx)
                if dropped is not None:
                    p = p | {"weight_hh": p["weight_hh"] * dropped}
                idx = layer * dirs + d
                dY = None if dOut is None else dOut[:, :, d * H : (d + 1) * H]
                args = (kernel, ws, S, None if dY is None else (dY[::-1] if rev else dY),
                        tuple(None if g is None else g[idx] for g in dfinal), p["weight_hh"])
                m = None if mask is None else (mask[::-1] if rev else mask)
                if self.proj_size:
                    DXP, DHP, ds0, dW_hr = backend.backward_projected(*args, p["weight_hr"], m)
                    self.grads[f"weight_hr_l{layer}{sfx}"] += dW_hr
                else:
                    DXP, DHP, ds0 = backend.backward_direction(*args, m)
                for acc, g in zip(dstate0, ds0):
                    acc[idx] = g
                first = projected and layer == 0  # the caller owns x W_ih^T and its weight gradient
                grads = self._layer_params(layer, sfx, self.grads)
                if dropped is not None:  # dW_hh = dW_hh' * M / (1 - p)
                    grads = grads | {"weight_hh": np.zeros_like(grads["weight_hh"])}
                weight_gradients(DXP, DHP, None if first else (inp[::-1] if rev else inp), S[0][:-1], grads)
                if dropped is not None:
                    self.grads[f"weight_hh_l{layer}{sfx}"] += grads["weight_hh"] * dropped
                if first:
                    dIn = DXP
                    continue
                dx = (DXP.reshape(T * N, GH) @ p["weight_ih"]).reshape(T, N, -1)  # processing order
                if dirs == 1:
                    dIn = dx
                else:
                    dIn += dx[::-1] if rev else dx
            dOut = dIn
        d_x = dOut.transpose(1, 0, 2) if self.batch_first else dOut
        d_state0 = tuple(dstate0) if self.kernel.n_states > 1 else dstate0[0]
        return d_x, d_state0


class RNN(RNNBase):
    """Elman RNN with tanh or relu: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=np.float32, seed=None, **options):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__("rnn" if nonlinearity == "tanh" else "rnn_relu", input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, dtype, seed, **options)


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o); state is (h, c); with ``proj_size`` P > 0 each
    layer's h is projected to P values (PyTorch's LSTM with projections)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32, seed=None, proj_size=0, **options):
        super().__init__("lstm", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, seed, proj_size, **options)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n; reset applied after the hidden matrix product)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32, seed=None, **options):
        super().__init__("gru", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, seed, **options)


def state_parts(names: tuple[str, ...], kind: str, label: str, state, shape, dtype, allow_none_parts=False):
    """``state`` as a tuple of one array of ``shape`` (or of each of a list of shapes, one a state) per
    state name (None parts where allowed): a cell with one state takes the array itself, one with
    several a tuple of them in ``names`` order."""
    n = len(names)
    if state is None:
        return (None,) * n
    if n > 1:
        if not (isinstance(state, (tuple, list)) and len(state) == n):
            raise ValueError(f"{label} of a {kind} cell must be a tuple ({', '.join(names)}), got {type(state).__name__}")
        parts = tuple(state)
    else:
        parts = (state,)
    shapes = shape if isinstance(shape, list) else [shape] * n
    return tuple(None if p is None and allow_none_parts else check_array(f"{label} {nm}" if n > 1 else label, p, sh, dtype)
                 for p, nm, sh in zip(parts, names, shapes))
