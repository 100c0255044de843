"""``rnnlab explain --steps T``: a layer unrolled with an output layer and a squared-error loss, in the
source articles' names and column vectors. Its loss and every gradient (the weights', and dL/dh_t of
each step) agree with central differences of the same network written here independently, in the
articles' notation, for a plain RNN, an LSTM and a GRU."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnlab.cli import main

EPS = 1e-6


def sigma(a):
    return 1 / (1 + np.exp(-a))


def article_loss(cell: str, w: dict, x, h0, y, nudge=None) -> float:
    """L = 1/2 sum_t ||W_hy h_t + b_y - y_t||^2 of the articles' equations; ``nudge`` (t, k, eps) adds eps
    to unit k of h_t once it is computed (its total derivative is dL/dh_t)."""
    h, c, loss = np.array(h0, float), np.zeros(len(h0)), 0.0
    for t, x_t in enumerate(np.asarray(x, float)):
        if cell == "rnn":
            h = np.tanh(w["W_hx"] @ x_t + w["W_hh"] @ h + w["b_h"])
        elif cell == "gru":  # reset and update gates over [h_{t-1}, x_t]; r_t after the candidate's product
            hx = np.concatenate([h, x_t])
            r, z = sigma(w["W_r"] @ hx + w["b_r"]), sigma(w["W_z"] @ hx + w["b_z"])
            n = np.tanh(w["W_nx"] @ x_t + w["b_n"] + r * (w["W_nh"] @ h + w["b_nh"]))
            h = (1 - z) * n + z * h
        else:  # lstm: gates over [h_{t-1}, x_t]
            z = np.concatenate([h, x_t])
            f, i = sigma(w["W_f"] @ z + w["b_f"]), sigma(w["W_i"] @ z + w["b_i"])
            c_new, o = np.tanh(w["W_c"] @ z + w["b_c"]), sigma(w["W_o"] @ z + w["b_o"])
            c = f * c + i * c_new
            h = o * np.tanh(c)
        if nudge is not None and nudge[0] == t:
            h = h.copy()
            h[nudge[1]] += nudge[2]
        loss += 0.5 * np.sum((w["W_hy"] @ h + w["b_y"] - y[t]) ** 2)
    return loss


def _explain(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main(["explain", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("cell,names", [("rnn", ["W_hx", "W_hh", "W_hy", "b_h", "b_y"]),
                                        ("lstm", ["W_f", "W_i", "W_c", "W_o", "b_f", "b_i", "b_c", "b_o", "W_hy",
                                                  "b_y"]),
                                        ("gru", ["W_r", "W_z", "W_nx", "W_nh", "b_r", "b_z", "b_n", "b_nh", "W_hy",
                                                 "b_y"])])
def test_bptt_in_the_articles_notation_agrees_with_central_differences(capsys, cell, names):
    got = _explain(capsys, "--cell", cell, "--steps", "3", "--input-size", "3", "--hidden-size", "4", "--output-size",
                   "2", "--seed", "1", "--h", "0.1,-0.2,0.3,0.05", "--targets", "0.5,-1;0,0.2;1,1")
    w = {k: np.array(v) for k, v in got["weights"].items()}
    assert sorted(w) == sorted(names) and sorted(set(got["grads"]) - {"h"}) == sorted(names)
    assert w["W_hy"].shape == (2, 4) and np.shape(got["x"]) == (3, 3) and len(got["steps"]) == 3
    if cell != "rnn":
        assert w["W_f" if cell == "lstm" else "W_z"].shape == (4, 4 + 3)  # over [h_{t-1}, x_t]
    x, h0, y = np.array(got["x"]), np.array(got["h0"]), np.array(got["targets"])
    assert got["loss"] == pytest.approx(article_loss(cell, w, x, h0, y), rel=1e-12)
    for name in names:
        numeric = np.zeros_like(w[name])
        for i in np.ndindex(w[name].shape):
            up, down = ({k: v.copy() for k, v in w.items()} for _ in range(2))
            up[name][i] += EPS
            down[name][i] -= EPS
            numeric[i] = (article_loss(cell, up, x, h0, y) - article_loss(cell, down, x, h0, y)) / (2 * EPS)
        np.testing.assert_allclose(got["grads"][name], numeric, atol=1e-8, err_msg=name)
        assert np.allclose(np.sum(got["contributions"][name], axis=0), got["grads"][name])  # the steps' shares
    for t in range(3):  # dL/dh_t, the recurrence of the articles
        numeric = [(article_loss(cell, w, x, h0, y, (t, k, EPS)) - article_loss(cell, w, x, h0, y, (t, k, -EPS)))
                   / (2 * EPS) for k in range(4)]
        np.testing.assert_allclose(got["grads"]["h"][t], numeric, atol=1e-8)
    assert np.allclose([s["o"] for s in got["steps"]], [w["W_hy"] @ np.array(s["h"]) + w["b_y"] for s in got["steps"]])
    gates = {"rnn": [], "lstm": ["gate_f", "gate_i", "gate_c", "gate_o", "c"], "gru": ["gate_r", "gate_z", "gate_n"]}
    assert [list(s) for s in got["steps"]] == [gates[cell] + ["h", "o"]] * 3  # the articles' order and letters
    if cell == "lstm":  # c_t = f_t * c_{t-1} + i_t * c~_t, h_t = o_t * tanh(c_t) from the steps' own numbers
        s1, s2 = ({k: np.array(v) for k, v in s.items()} for s in got["steps"][:2])
        assert np.allclose(s2["c"], s2["gate_f"] * s1["c"] + s2["gate_i"] * s2["gate_c"])
        assert np.allclose(s2["h"], s2["gate_o"] * np.tanh(s2["c"]))


def test_cross_entropy_with_class_targets(capsys):
    """--loss ce: L = -sum_t log softmax(o_t)[y_t]; dL/do_t = softmax(o_t) - onehot(y_t)."""
    got = _explain(capsys, "--cell", "rnn", "--steps", "4", "--output-size", "3", "--seed", "2", "--loss", "ce",
                   "--targets", "0;2;1;2")
    w = {k: np.array(v) for k, v in got["weights"].items()}
    x, h0, classes = np.array(got["x"]), np.array(got["h0"]), [0, 2, 1, 2]

    def loss(w):
        h, total = h0, 0.0
        for t, x_t in enumerate(x):
            h = np.tanh(w["W_hx"] @ x_t + w["W_hh"] @ h + w["b_h"])
            o = w["W_hy"] @ h + w["b_y"]
            total -= o[classes[t]] - np.log(np.sum(np.exp(o)))
        return total

    assert got["loss"] == pytest.approx(loss(w), rel=1e-12)
    for name in ("W_hx", "W_hh", "b_h", "W_hy", "b_y"):
        numeric = np.zeros_like(w[name])
        for i in np.ndindex(w[name].shape):
            up, down = ({k: v.copy() for k, v in w.items()} for _ in range(2))
            up[name][i] += EPS
            down[name][i] -= EPS
            numeric[i] = (loss(up) - loss(down)) / (2 * EPS)
        np.testing.assert_allclose(got["grads"][name], numeric, atol=1e-8, err_msg=name)
    assert main(["explain", "--steps", "2", "--loss", "ce", "--output-size", "2", "--targets", "0;2"]) == 2


def test_weights_from_a_file_in_the_articles_names(tmp_path, capsys):
    """--weights FILE.json (a --json output, or the weights alone) gives the same network back, a --json
    output with its inputs, initial state and targets unless flags give them; a name missing or a shape
    that disagrees is one line."""
    first = _explain(capsys, "--cell", "lstm", "--steps", "2", "--seed", "4", "--h", "0.3,-0.1,0.2,0.5",
                     "--targets", "1,0;0,-1")
    (tmp_path / "w.json").write_text(json.dumps(first))
    again = _explain(capsys, "--cell", "lstm", "--steps", "2", "--weights", str(tmp_path / "w.json"))
    assert [again[k] for k in ("x", "h0", "targets")] == [first[k] for k in ("x", "h0", "targets")]  # the file's
    assert again["loss"] == pytest.approx(first["loss"], rel=1e-12)
    for name, g in first["grads"].items():
        np.testing.assert_allclose(again["grads"][name], g, rtol=1e-10, atol=1e-14)
    other = _explain(capsys, "--cell", "lstm", "--steps", "2", "--weights", str(tmp_path / "w.json"), "--x=1,2,3;4,5,6")
    assert other["x"] == [[1, 2, 3], [4, 5, 6]] and other["h0"] == first["h0"]  # a flag given wins
    assert main(["explain", "--cell", "lstm", "--steps", "3", "--weights", str(tmp_path / "w.json")]) == 2
    assert "holds x of shape (2, 3), where --steps 3 takes (3, 3); give --x" in capsys.readouterr().err
    (tmp_path / "rnn.json").write_text(json.dumps({"W_hx": [[1, 2]], "W_hh": [[1, 0]], "b_h": [0], "W_hy": [[1]],
                                                   "b_y": [0]}))
    assert main(["explain", "--cell", "rnn", "--steps", "2", "--weights", str(tmp_path / "rnn.json")]) == 1
    err = capsys.readouterr().err
    assert "the weights' shapes disagree: W_hh is (1, 2), expected (1, 1)" in err and err.count("\n") == 1


def test_the_gru_in_the_articles_names_is_the_librarys_layer_and_the_text_view(capsys):
    """The GRU of the articles' names is the library's layer (PyTorch's): its weights put there by the
    mapping written out here give the same loss; the text view prints the names and the recurrence."""
    import rnnlab

    got = _explain(capsys, "--cell", "gru", "--steps", "4", "--input-size", "2", "--hidden-size", "3", "--seed", "5",
                   "--h", "0.1,-0.3,0.2")
    a = {k: np.array(v) for k, v in got["weights"].items()}
    x, h0, y = np.array(got["x"]), np.array(got["h0"]), np.array(got["targets"])
    layer = rnnlab.GRU(2, 3, dtype=np.float64)  # PyTorch's blocks r, z, n
    layer.load_state_dict({"weight_ih_l0": np.concatenate([a["W_r"][:, 3:], a["W_z"][:, 3:], a["W_nx"]]),
                           "weight_hh_l0": np.concatenate([a["W_r"][:, :3], a["W_z"][:, :3], a["W_nh"]]),
                           "bias_ih_l0": np.concatenate([a["b_r"], a["b_z"], a["b_n"]]),
                           "bias_hh_l0": np.concatenate([np.zeros(6), a["b_nh"]])})
    out, _ = layer(x[:, None], h0[None, None])
    assert got["loss"] == pytest.approx(0.5 * np.sum((out[:, 0] @ a["W_hy"].T + a["b_y"] - y) ** 2), rel=1e-12)
    capsys.readouterr()
    assert main(["explain", "--cell", "lstm", "--steps", "2"]) == 0
    text = capsys.readouterr().out
    assert "W_f = [weight_hh_f | weight_ih_f]" not in text and "names: W_k = [weight_hh_k | weight_ih_k]" in text
    assert "backward through time: dL/dh_t = W_hy^T dL/do_t + dL/dh_{t+1} dh_{t+1}/dh_t" in text
    assert main(["explain", "--steps", "2", "--targets", "1,2"]) == 2  # one step of targets for two
    assert main(["explain", "--hidden-size", "3"]) == 2  # goes with --steps


def test_the_unrolled_page_in_a_real_browser(tmp_path, capsys, browser_page):
    """--html: the RNN, LSTM and GRU unrolled on the same inputs, each one's numbers those of --json; the
    recurrent arrows as wide as the page's formula says for ||dL/dh_t||; the menu switches cells."""
    from rnnlab.insight.unrolled_page import width_of

    flags = ["--steps", "20", "--hidden-size", "6", "--loss-at", "last", "--seed", "3"]
    page_file = tmp_path / "page.html"
    capsys.readouterr()
    assert main(["explain", "--cell", "lstm", *flags, "--html", str(page_file)]) == 0
    assert capsys.readouterr().out == ""
    expected = {cell: _explain(capsys, "--cell", cell, *flags) for cell in ("rnn", "lstm", "gru")}
    norms = {cell: [float(np.linalg.norm(g)) for g in e["grads"]["h"]] for cell, e in expected.items()}
    lo, hi = min(n for ns in norms.values() for n in ns if n > 0), max(n for ns in norms.values() for n in ns)
    page, errors = browser_page
    page.goto(page_file.as_uri())
    assert page.locator("circle.h").count() == 20 and page.locator("line.rec").count() == 19
    for cell in ("lstm", "rnn", "gru"):
        page.select_option("#cell", cell)
        view = page.evaluate(f"data.views['{cell}']")
        np.testing.assert_allclose(view["grads"]["h"], expected[cell]["grads"]["h"], rtol=1e-12)
        assert view["loss"] == pytest.approx(expected[cell]["loss"], rel=1e-12)
        for t in (1, 10, 19):
            drawn = float(page.locator("line.rec").nth(t - 1).get_attribute("stroke-width"))
            assert drawn == pytest.approx(width_of(norms[cell][t], lo, hi), abs=1e-3)
        h19 = page.locator("circle.h").nth(19).locator("title").text_content()
        assert f"h_20 = [{', '.join(f'{v:.4f}' for v in expected[cell]['steps'][19]['h'])}]" in h19
    page.locator("circle.h").nth(4).click()
    assert "dL/dh_5 = [" in page.locator("#detail").inner_text()
    assert errors == []
