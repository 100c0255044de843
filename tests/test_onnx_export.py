"""``rnnlab export RUN --onnx MODEL.onnx``: onnxruntime reproduces the model it was written from, to
1e-5 in float32, with random weights and biases and non-zero initial states, for every cell ONNX has an
operator for (LSTM, GRU, tanh and ReLU RNN) over two layers; a trained run exports with its vocabulary;
without the onnx package, or for a run it cannot write yet, one line."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.models import LanguageModel

onnx = pytest.importorskip("onnx", reason="the onnx extra (pip install 'rnnlab[onnx]') is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra (pip install 'rnnlab[onnx]') is not installed")


def _run(proto, feeds):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("cell,proj,top", [("lstm", 0, 0), ("gru", 0, 0), ("rnn", 0, 0), ("rnn_relu", 0, 0),
                                          ("lstm", 5, 0), ("ln_lstm", 0, 0), ("ln_gru", 0, 0), ("lstm", 0, 8)])
def test_onnxruntime_reproduces_a_language_model(cell, proj, top):
    """Every cell; an LSTM with projections (proj 5) and the layer-normalised cells (a Scan a layer), and
    a last layer of its own width tied to the embedding (AWD-LSTM's), too."""
    from rnnlab.export.language_model import language_model_graph

    model = LanguageModel(50, cell, hidden_size=16, num_layers=2, embed_size=8, seed=1, proj_size=proj, top_size=top,
                          tie_weights=bool(top))
    model.eval()
    rng = np.random.default_rng(0)
    for _, p, _ in model.named_parameters():  # every weight and bias random, none zero
        p[...] = rng.normal(0, 0.3, p.shape)
    x = rng.integers(0, 50, (7, 3))
    zeros = model.initial_state(3)
    state = tuple(rng.normal(0, 0.5, z.shape).astype(np.float32) for z in (zeros if isinstance(zeros, tuple) else
                                                                              (zeros,)))
    logits, final = model.forward(x, state if len(state) > 1 else state[0])
    final = final if isinstance(final, tuple) else (final,)
    names = ["h0", "c0"][:model.rnn.kernel.n_states]
    names += [f"{n}_top" for n in names] if top else []
    out = _run(language_model_graph(model), {"tokens": x, **dict(zip(names, state))})
    np.testing.assert_allclose(out[0], logits, atol=1e-5)
    for got, want in zip(out[1:], final):
        np.testing.assert_allclose(got, want, atol=1e-5)
    short = _run(language_model_graph(model), {"tokens": x[:2, :1], **{k: s[:, :1] for k, s in zip(names, state)}})
    assert short[0].shape == (2, 1, 50)  # the sequence length and the batch are dynamic


@pytest.mark.parametrize("arch", ["tcn", "transformer", "mlp"])
def test_onnxruntime_reproduces_a_feedforward_language_model_carrying_tokens(arch):
    """Three calls, each fed the tokens the previous one returned (none at the start): logits and
    carried tokens equal ContextLanguageModel's."""
    from rnnlab.export.language_model import context_language_model_graph
    from rnnlab.models import ContextLanguageModel
    from rnnlab.models.encoders import make_encoder

    rng = np.random.default_rng(3)
    model = ContextLanguageModel(40, make_encoder(arch, 6, 8, 2, kernel_size=3, window=3, heads=2, max_len=16,
                                                  seed=2), context=5, seed=1)
    model.eval()
    for _, p, _ in model.named_parameters():
        p[...] = rng.normal(0, 0.5, p.shape)
    proto = context_language_model_graph(model)
    state, carried = None, np.zeros((0, 2), np.int64)
    for T in (3, 4, 2):
        x = rng.integers(0, 40, (T, 2))
        logits, state = model.forward(x, state)
        got, carried = _run(proto, {"tokens": x, "context": carried})
        np.testing.assert_allclose(got, logits, atol=1e-5)
        np.testing.assert_array_equal(carried, state)


def test_a_trained_run_exports_with_its_vocabulary(tmp_path, capsys):
    from rnnlab.tasks import load_run

    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat.\n" * 50)
    run = tmp_path / "run"
    assert main(["train", "--data", str(corpus), "--hidden", "12", "--layers", "2", "--seq-len", "8", "--batch-size",
                 "4", "--max-steps", "10", "--sample-length", "0", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["export", str(run), "--onnx", str(tmp_path / "lm.onnx")]) == 0
    assert "inputs tokens (T, N), h0 (2, N, 12), c0 (2, N, 12)" in capsys.readouterr().out
    proto = onnx.load(str(tmp_path / "lm.onnx"))
    vocab = json.loads({p.key: p.value for p in proto.metadata_props}["rnnlab.vocab"])
    _, run_vocab, model, _ = load_run(run)
    assert vocab["itos"] == run_vocab.itos
    x = run_vocab.encode(list("the cat"))[:, None]
    logits, _ = model.forward(x)
    zeros = np.zeros((2, 1, 12), np.float32)
    np.testing.assert_allclose(_run(proto, {"tokens": x, "h0": zeros, "c0": zeros})[0], logits, atol=1e-5)


@pytest.mark.parametrize("problem", ["adding", "copy"])
def test_a_long_range_run_exports_and_without_onnx_one_line(tmp_path, monkeypatch, capsys, problem):
    """A long-range run (features in for the adding problem, symbols in and one output a step for the
    copy problem) exports and onnxruntime gives its outputs; without the onnx package, one line and no
    file."""
    from rnnlab.tasks import load_task

    run = tmp_path / "run"
    assert main(["train", "--task", problem, "--seq-len", "12", "--hidden", "8", "--max-steps", "5", "--out",
                 str(run)]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "m.onnx")]) == 0
    _, task, _ = load_task(run)
    x, lengths = task.held_out["valid"]["x"][:, :3], task.held_out["valid"]["lengths"][:3]
    with task.model.inference():
        want = task.model(x, lengths)
    got = _run(onnx.load(str(tmp_path / "m.onnx")), {"features" if problem == "adding" else "tokens": x,
                                                      "lengths": lengths})[0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert main(["export", str(run), "--onnx", str(tmp_path / "n.onnx")]) == 1
    err = capsys.readouterr().err
    assert 'exporting to ONNX needs the onnx package: pip install "rnnlab[onnx]"' in err and err.count("\n") == 1
    assert not (tmp_path / "n.onnx").exists()


def test_the_guides_onnxruntime_example_samples_as_rnnlab_does(tmp_path, capsys, monkeypatch):
    """docs/export.md's Python, run on an exported model, prints the greedy sample of `rnnlab sample
    --temperature 0` from the same prime."""
    import re
    from pathlib import Path

    guide = (Path(__file__).parents[1] / "docs" / "export.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", guide, flags=re.S)
    corpus = tmp_path / "c.txt"
    corpus.write_text("def f(x):\n    return x\n" * 60)
    run = tmp_path / "run"
    assert main(["train", "--data", str(corpus), "--hidden", "16", "--layers", "1", "--seq-len", "16", "--batch-size",
                 "4", "--max-steps", "40", "--sample-length", "0", "--out", str(run)]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "lm.onnx")]) == 0
    assert main(["sample", str(run), "--prime", "def ", "--length", "40", "--temperature", "0"]) == 0
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/export.md", "exec"), {})
    printed = capsys.readouterr().out
    assert main(["sample", str(run), "--prime", "def ", "--length", "40", "--temperature", "0"]) == 0
    assert printed == capsys.readouterr().out and len(printed) > 40


@pytest.mark.parametrize("cell,pool,bidirectional", [("lstm", "last", True), ("gru", "mean", True),
                                                     ("rnn", "max", False), ("lstm", "each", False),
                                                     ("ln_lstm", "last", True), ("ln_gru", "each", True)])
def test_onnxruntime_reproduces_a_sequence_model_with_lengths(cell, pool, bidirectional):
    """Token ids and features, sequences of different lengths read up to their own (ONNX's
    sequence_lens), each pooling; pool "each" compared at the valid steps."""
    from rnnlab.export.sequence import sequence_model_graph
    from rnnlab.models.sequence import SequenceModel

    rng = np.random.default_rng(0)
    lengths = np.array([7, 3, 1, 5])
    for kind in ("tokens", "features"):
        model = SequenceModel(3, vocab_size=30 if kind == "tokens" else None, input_size=None if kind == "tokens" else 4,
                              cell=cell, hidden_size=6, num_layers=2, bidirectional=bidirectional, pool=pool, seed=1)
        model.eval()
        for _, p, _ in model.named_parameters():
            p[...] = rng.normal(0, 0.4, p.shape)
        x = rng.integers(0, 30, (7, 4)) if kind == "tokens" else rng.normal(size=(7, 4, 4)).astype(np.float32)
        want = model.forward(x, lengths)
        got = _run(sequence_model_graph(model), {kind: x, "lengths": lengths})[0]
        if pool == "each":
            valid = np.arange(7)[:, None] < lengths[None]
            got, want = got[valid], want[valid]
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=kind)


@pytest.mark.parametrize("arch,pool", [("tcn", "last"), ("mlp", "mean"), ("transformer", "max"),
                                       ("transformer", "each")])
def test_onnxruntime_reproduces_a_feedforward_sequence_model(arch, pool):
    """TCN (weight-normalised causal convolutions, a 1x1 skip), window MLP and Transformer (an input
    layer, two heads, learned positions, layer norms) encoders, every weight random, sequences of
    different lengths; "last" reads each sequence's own last step."""
    from rnnlab.export.sequence import sequence_model_graph
    from rnnlab.models.encoders import make_encoder
    from rnnlab.models.sequence import SequenceModel

    rng = np.random.default_rng(0)
    lengths = np.array([7, 3, 1, 5])
    encoder = make_encoder(arch, 5, 8, 2, kernel_size=3, window=4, heads=2, max_len=9, seed=2)
    model = SequenceModel(3, input_size=5, pool=pool, encoder=encoder, seed=1)
    model.eval()
    for _, p, _ in model.named_parameters():
        p[...] = rng.normal(0, 0.5, p.shape)
    x = rng.normal(size=(7, 4, 5)).astype(np.float32)
    want = model.forward(x, lengths)
    got = _run(sequence_model_graph(model), {"features": x, "lengths": lengths})[0]
    if pool == "each":
        valid = np.arange(7)[:, None] < lengths[None]
        got, want = got[valid], want[valid]
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_trained_classifier_exports_with_its_classes_and_reading(tmp_path, capsys):
    table = tmp_path / "t.tsv"
    table.write_text("text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in [("good fun film", "pos"), ("dull and slow", "neg"),
                                                                         ("a joy", "pos"), ("a bore", "neg")] * 20))
    run = tmp_path / "run"
    assert main(["train", "--task", "classify", "--data", str(table), "--hidden", "8", "--layers", "1",
                 "--bidirectional", "--pool", "max", "--epochs", "2", "--out", str(run)]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "c.onnx")]) == 0
    proto = onnx.load(str(tmp_path / "c.onnx"))
    meta = {p.key: json.loads(p.value) for p in proto.metadata_props}
    assert meta["rnnlab.classes"] == ["neg", "pos"] and meta["rnnlab.reading"]["tokens"] == "word"
    stoi = {s: i for i, s in enumerate(meta["rnnlab.vocab"]["itos"])}
    texts = [["a", "joy"], ["dull", "and", "slow"]]
    tokens = np.zeros((3, 2), np.int64)
    for n, words in enumerate(texts):
        tokens[:len(words), n] = [stoi[w] for w in words]
    logits = _run(proto, {"tokens": tokens, "lengths": np.array([2, 3])})[0]
    capsys.readouterr()
    assert main(["predict", str(run), "a joy", "dull and slow"]) == 0
    predicted = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert [meta["rnnlab.classes"][k] for k in p.argmax(1)] == [label for label, _, _ in predicted]
    np.testing.assert_allclose(p.max(1), [float(q) for _, q, _ in predicted], atol=1e-3)


def _outputs(session, feeds):
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


@pytest.mark.parametrize("cell,attention", [("lstm", "additive"), ("gru", "general"), ("rnn", "dot"),
                                            ("lstm", "none")])
def test_onnxruntime_reproduces_an_encoder_and_its_decoder_steps(cell, attention):
    """The encoder's memory and initial state, then four decoder steps fed their own outputs back: each
    step's logits, state and attention weights equal rnnlab's Seq2Seq.step (sources of lengths 6, 2, 4)."""
    from rnnlab.export.seq2seq import decoder_graph, encoder_graph
    from rnnlab.models import Seq2Seq

    model = Seq2Seq(10, 12, cell, hidden_size=8, num_layers=2, embed_size=6, attention=attention, seed=1)
    model.eval()
    rng = np.random.default_rng(0)
    for _, p, _ in model.named_parameters():
        p[...] = rng.normal(0, 0.4, p.shape)
    x, lengths = rng.integers(0, 10, (6, 3)), np.array([6, 2, 4])
    memory, state = model.encode(x, lengths)
    sessions = [ort.InferenceSession(g(model).SerializeToString(), providers=["CPUExecutionProvider"])
                for g in (encoder_graph, decoder_graph)]
    enc = _outputs(sessions[0], {"tokens": x, "lengths": lengths})
    np.testing.assert_allclose(enc["memory"], memory.outputs, atol=1e-5)
    names = ["h", "c"][:1 + model.two_states]
    carried = {n: enc[f"{n}0"] for n in names}
    feed, own_feed, tokens = np.zeros((3, 8), np.float32), None, np.array([1, 2, 3])
    for _ in range(4):
        logits, state, own_feed, weights = model.step(tokens, state, own_feed, memory)
        step = _outputs(sessions[1], {"token": tokens, **carried, "feed": feed, "memory": enc["memory"],
                                      "keys": enc["keys"], "lengths": lengths})
        np.testing.assert_allclose(step["logits"], logits, atol=1e-5)
        layers = [s if isinstance(s, tuple) else (s,) for s in state]
        for k, n in enumerate(names):
            np.testing.assert_allclose(step[f"{n}_new"], np.stack([s[k] for s in layers]), atol=1e-5)
        if weights is not None:
            np.testing.assert_allclose(step["attention"], weights, atol=1e-5)
        carried, feed, tokens = {n: step[f"{n}_new"] for n in names}, step["o"], logits.argmax(1)


def test_a_trained_encoder_decoder_decodes_as_rnnlab_translate(tmp_path, capsys):
    """Greedy decoding with the two exported graphs (the loop written here, from the metadata's
    vocabularies) gives what `rnnlab translate` gives."""
    rng = np.random.default_rng(0)
    words = {"".join(rng.choice(list("abcdefgh"), rng.integers(3, 7))) for _ in range(400)}
    (tmp_path / "pairs.tsv").write_text("source\ttarget\n" + "".join(f"{w}\t{w[::-1]}\n" for w in sorted(words)))
    run = tmp_path / "run"
    assert main(["train", "--task", "seq2seq", "--data", str(tmp_path / "pairs.tsv"), "--hidden", "32", "--layers", "1",
                 "--embed", "16", "--max-steps", "60", "--out", str(run)]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "d.onnx")]) == 0
    sessions = [ort.InferenceSession(str(tmp_path / f"d.{part}.onnx"), providers=["CPUExecutionProvider"])
                for part in ("encoder", "decoder")]
    meta = {k: json.loads(v) for k, v in sessions[0].get_modelmeta().custom_metadata_map.items()}
    source, target = meta["rnnlab.source"], meta["rnnlab.target"]
    texts = ["abcde", "hgfab"]
    outputs = []
    for text in texts:
        stoi = {s: i for i, s in enumerate(source)}
        x = np.array([[stoi.get(c, 0)] for c in text], np.int64)
        enc = _outputs(sessions[0], {"tokens": x, "lengths": np.array([len(text)])})
        carried = {"h": enc["h0"], "c": enc["c0"]}
        feed, token, out = np.zeros((1, 32), np.float32), np.array([0]), []  # 0: <bos>
        for _ in range(20):
            step = _outputs(sessions[1], {"token": token, **carried, "feed": feed, "memory": enc["memory"],
                                          "keys": enc["keys"], "lengths": np.array([len(text)])})
            token = step["logits"].argmax(1)
            if token[0] == 1:  # <eos>
                break
            out.append(target[token[0]])
            carried, feed = {"h": step["h_new"], "c": step["c_new"]}, step["o"]
        outputs.append("".join(out))
    capsys.readouterr()
    assert main(["translate", str(run), *texts, "--beam", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{t}\t{o}" for t, o in zip(texts, outputs)]


@pytest.mark.parametrize("flags", [["--log", "--diff", "1", "--window-norm", "last"],
                                   ["--log", "--window-norm", "theta"],
                                   ["--arch", "tcn", "--output", "recursive", "--kernel-size", "2"]])
def test_an_exported_forecaster_forecasts_as_rnnlab_does(tmp_path, capsys, flags):
    """The exported network over a window prepared from the metadata (each series' transform, the
    look-back, --window-norm), its output brought back to the data's units, equals rnnlab's forecast;
    recursively fed back when the network forecasts one step."""
    from rnnlab.forecast.smoothing import levels, theta_path
    from rnnlab.forecast.transforms import Transform
    from rnnlab.runs.members import load_members

    t = np.arange(150)
    data = tmp_path / "s.csv"
    data.write_text("value\n" + "\n".join(f"{20 + 0.05 * i + 3 * np.sin(i / 3):.4f}" for i in t) + "\n")
    run = tmp_path / "run"
    assert main(["train", "--task", "forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds",
                 "2", "--hidden", "8", "--layers", "2", "--max-steps", "20", *flags, "--out", str(run)]) == 0
    assert main(["export", str(run), "--onnx", str(tmp_path / "f.onnx")]) == 0
    assert "inputs features (T, N, 1), lengths (N)" in capsys.readouterr().out
    proto = onnx.load(str(tmp_path / "f.onnx"))
    meta = json.loads({p.key: p.value for p in proto.metadata_props}["rnnlab.forecast"])
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    history = np.array([20 + 0.05 * i + 3 * np.sin(i / 3) for i in t[:130]])[:, None]
    transform = Transform.from_state(meta["transforms"][0])
    z = transform.forward(history).astype(np.float32)
    out = []
    while len(out) < 4:
        window = z[-meta["lookback"]:]
        norm, alpha = meta["window_norm"], transform.alpha
        shift = (window[-1] if norm == "last" else levels(z, alpha)[-1].astype(np.float32) if norm == "theta"
                 else np.zeros(1, np.float32))
        step = session.run(None, {"features": (window - shift)[:, None], "lengths": np.array([len(window)])})[0][0]
        step = step + (theta_path(z[:, 0], alpha, len(step)) if norm == "theta" else shift[0])
        out += list(step)
        z = np.concatenate([z, step[:, None].astype(np.float32)])
    got = transform.inverse(history, np.array(out[:4]))
    (task,) = load_members(run)
    np.testing.assert_allclose(got, task.predict(0, history, 4), rtol=1e-5)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_onnxruntime_reproduces_an_lstm_with_projections_over_lengths(bidirectional):
    """Two layers of an LSTM with projections (Scans), sequences of different lengths, initial states:
    outputs at the valid steps (zero after) and both final states."""
    from rnnlab.export.graph import Graph
    from rnnlab.export.recurrent import recurrent_nodes
    from rnnlab.nn import LSTM

    rng = np.random.default_rng(5)
    layer = LSTM(4, 6, num_layers=2, proj_size=3, bidirectional=bidirectional, seed=1)
    for p in layer.params.values():
        p[...] = rng.normal(0, 0.5, p.shape)
    dirs = 2 if bidirectional else 1
    x = rng.normal(size=(5, 3, 4)).astype(np.float32)
    lengths = np.array([5, 2, 4])
    state = (rng.normal(size=(2 * dirs, 3, 3)).astype(np.float32), rng.normal(size=(2 * dirs, 3, 6)).astype(np.float32))
    y, (h, c) = layer.forward(x, state, lengths)
    g = Graph()
    inputs = [g.input("x", "float", ["T", "N", 4]), g.input("h0", "float", [2 * dirs, "N", 3]),
              g.input("c0", "float", [2 * dirs, "N", 6]), g.input("lengths", "int64", ["N"])]
    from onnx import TensorProto

    lengths32 = g.node("Cast", [inputs[3]], "lengths32", to=TensorProto.INT32)
    out, final = recurrent_nodes(g, layer, inputs[0], (inputs[1], inputs[2]), "rnn", lengths32)
    g.output(out, "y", "float", ["T", "N", 3 * dirs])
    g.output(final[0], "h_n", "float", [2 * dirs, "N", 3])
    g.output(final[1], "c_n", "float", [2 * dirs, "N", 6])
    got = _run(g.model("lstmp", ""), {"x": x, "h0": state[0], "c0": state[1], "lengths": lengths})
    for a, b in zip(got, (y, h, c)):
        np.testing.assert_allclose(a, b, atol=1e-5)
