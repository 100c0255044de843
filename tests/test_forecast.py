"""Forecasting: metrics from their definitions, transforms that invert exactly, the regression losses'
gradients, rolling origins that never show a method its future, baselines, and the CLI contract."""

from __future__ import annotations

import dataclasses
import gzip
import json

import numpy as np
import pytest

from rnnlab.cli import main
from rnnlab.data.series import read_csv_series, read_tsf
from rnnlab.forecast import Transform, mase, origins, rolling_origin, smape
from rnnlab.forecast.baselines import Drift, Naive, SeasonalNaive, have_statsmodels
from rnnlab.gradcheck import check_regression

SMALL = ["--hidden", "16", "--layers", "1", "--lr", "0.01"]


def network_only(measures: dict) -> dict:
    """A method's measures as rnnlab eval gives them: without OWA, which rnnlab forecast adds against
    Naive2 run beside it."""
    return {k: v for k, v in measures.items() if k != "owa"}


def _sine_csv(path, n=240, noise=0.3, seed=0):
    """A noisy seasonal sine (period 12): the last value is a poor forecast of the next six."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 10 + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)
    path.write_text("month,value,other\n" + "".join(f"{i},{v:.5f},{i % 3}\n" for i, v in enumerate(y)))
    return path, y


def test_metrics_follow_their_definitions():
    y, f = np.array([2.0, 4.0, 0.0]), np.array([1.0, 4.0, 0.0])
    assert smape(y, f) == pytest.approx(200 / 3 * (1 / 3))  # |2-1|/(2+1); 0/0 counts 0
    history = np.array([1.0, 3.0, 2.0, 6.0])  # seasonal (m = 2) naive MAE: (|2-1| + |6-3|) / 2 = 2
    assert mase(y, f, history, 2) == pytest.approx((1 / 3) / 2)
    assert mase(y, f, history, 1) == pytest.approx((1 / 3) / (7 / 3))  # naive: (2 + 1 + 4) / 3


@pytest.mark.parametrize("log,diff,season", [(False, 0, 0), (True, 1, 0), (False, 2, 0), (True, 1, 4), (False, 0, 4)])
def test_transform_inverts_the_future_from_the_history(log, diff, season):
    rng = np.random.default_rng(1)
    y = np.exp(np.cumsum(rng.normal(0, 0.1, (60, 2)), axis=0)) + 1  # two channels, all > 0
    t = Transform(log, diff, season).fit(y[:40])
    z = t.forward(y)
    assert len(z) == len(y) - t.lost
    assert np.abs(z[:40 - t.lost]).mean() < 2  # scaled by the training part
    future = t.inverse(y[:50], z[50 - t.lost:56 - t.lost, 0])
    np.testing.assert_allclose(future, y[50:56, 0], rtol=1e-12)


@pytest.mark.parametrize("log,diff", [(False, 0), (True, 1)])
def test_deseasonalising_divides_by_the_training_parts_indices_and_inverts(log, diff):
    """--deseasonalise: column 0 divided by the seasonal indices of the training part (counted from the
    series' first point) when it is seasonal, the future multiplied back; a series without a season
    keeps its values."""
    from rnnlab.forecast.decompose import seasonal_indices

    y = np.stack([_seasonal_series(4, periods=15), np.linspace(1, 2, 63)], axis=1)
    t = Transform(log, diff, 0, deseason=4).fit(y[:40])
    np.testing.assert_allclose(t.indices, seasonal_indices(y[:40, 0], 4), rtol=1e-13)
    adjusted = Transform(log, diff).fit(np.stack([y[:40, 0] / t.indices[np.arange(40) % 4], y[:40, 1]], axis=1))
    np.testing.assert_allclose(t.forward(y[:40]), adjusted.forward(np.stack([y[:40, 0] / t.indices[np.arange(40) % 4],
                                                                              y[:40, 1]], axis=1)), rtol=1e-12)
    z = t.forward(y)
    np.testing.assert_allclose(t.inverse(y[:50], z[50 - t.lost:57 - t.lost, 0]), y[50:57, 0], rtol=1e-12)
    again = Transform.from_state(t.state())
    np.testing.assert_array_equal(again.forward(y), z)
    flat = np.random.default_rng(3).normal(10, 1, (60, 1))
    assert Transform(deseason=4).fit(flat).indices is None


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_regression_losses_gradcheck_and_match_pytorch(loss):
    assert max(check_regression(loss).values()) < 1e-7
    torch = pytest.importorskip("torch")
    from rnnlab.nn.regression import regression_loss

    rng = np.random.default_rng(2)
    f, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    fn = regression_loss(loss)
    value = fn(f, y)
    tf = torch.tensor(f, requires_grad=True)
    ref = (torch.nn.functional.mse_loss if loss == "mse" else torch.nn.functional.l1_loss)(tf, torch.tensor(y))
    ref.backward()
    assert value == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(fn.backward(), tf.grad.numpy(), rtol=1e-12)


def test_numpy_baselines():
    x = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
    assert list(Naive().forecast(0, x, 2)) == [30.0, 30.0]
    assert list(SeasonalNaive(3).forecast(0, x, 4)) == [10.0, 20.0, 30.0, 10.0]
    assert list(Drift().forecast(0, x, 2)) == pytest.approx([30 + 29 / 5, 30 + 58 / 5])


def test_arima_rejects_a_degenerate_fit_with_unit_roots():
    """M1 yearly series 176, its 13 points before the test window: ARIMA(2,2,2) has the lowest AICc
    there with AR (and MA) roots of modulus 1, and forecasts 2.3 million for a series near 330,000."""
    pytest.importorskip("statsmodels")
    from rnnlab.forecast.baselines import ARIMA

    x = np.array([290783, 285242, 293718, 295804, 294582, 309765, 310268, 319446, 296557, 304715, 313997,
                  301249, 322404], np.float64)
    arima = ARIMA(1)
    arima.prepare([x])
    assert arima.chosen[0] != (2, 2, 2, 0, 0, 0)
    assert np.all(arima.forecast(0, x, 6) < 500_000) and arima.fallbacks == 0


def test_statistical_baselines_fit_without_statsmodels_warnings():
    """statsmodels installs "always" filters for its warnings when first imported: a first fit that
    imported it let its convergence warnings through to the terminal. A fresh process, as a user's."""
    pytest.importorskip("statsmodels")
    import subprocess
    import sys

    code = ("import numpy as np; from rnnlab.forecast.baselines import ARIMA, ETS, Theta\n"
            "x = 100 + np.cumsum(np.random.default_rng(0).standard_normal(30))\n"
            "for m in (ARIMA(1), ETS(1), Theta(1)): m.prepare([x]); m.forecast(0, x, 6)")  # ARIMA's fits warn
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stderr == ""


class _Spy:
    """A method that records the history it was given and forecasts the truth it must not see."""

    name, multichannel = "spy", False

    def __init__(self, y):
        self.y, self.seen = y, []

    def prepare(self, histories):
        self.prepared = [len(h) for h in histories]

    def forecast(self, i, x, h):
        self.seen.append(len(x))
        np.testing.assert_array_equal(x, self.y[:len(x)])  # a prefix of the series, nothing after
        return self.y[len(x):len(x) + h]


def test_rolling_origin_shows_each_method_only_its_past():
    from rnnlab.data.series import Series

    assert origins(40, 3, 2) == ([34, 37], list(range(28, 32)))
    y = np.sin(np.arange(40.0)) + 5
    spy = _Spy(y)
    out = rolling_origin([spy], [Series("s", y[:, None])], horizon=3, folds=2)["spy"]
    assert spy.prepared == [34] and spy.seen == list(range(28, 38))  # every origin, for the intervals
    assert out["mae"] == 0 and out["mase"] == 0 and out["coverage"] == 1.0  # a perfect forecast: zero-width band
    assert [w["origin"] for w in out["windows"][0]] == [34, 37]
    seen = []
    spy.forecast = lambda i, x, h: seen.append(len(x)) or y[len(x):len(x) + h] + 0.1 * len(x)  # errors by origin
    full = rolling_origin([spy], [Series("s", y[:, None])], horizon=3, folds=2)["spy"]
    seen.clear()
    quick = rolling_origin([spy], [Series("s", y[:, None])], horizon=3, folds=2, test_only=True)["spy"]
    assert seen == [34, 37] and np.isnan(quick["valid_mase"])  # the test origins alone
    assert all(quick[m] == full[m] for m in ("mae", "rmse", "smape", "mase"))


def test_intervals_learn_from_earlier_windows_and_only_those():
    """Forecasts from origins 32..34 are one scale unit (s, the in-sample naive MAE) too low, later ones
    half a unit. The first test window (origin 34) may use only the windows observed by then (origins
    <= 31, all perfect): a zero-width band that misses. The second (origin 37) also has the windows of
    origins 32..34 (|residuals| 0 0 0 0 1 1 1, of which the conformal 50% quantile, the ceil(8 * 0.5)-th
    smallest, is 1: the band f +- s) and reaches its actuals."""
    from rnnlab.data.series import Series
    from rnnlab.forecast.metrics import scale

    y = np.sin(np.arange(40.0)) + 5
    spy = _Spy(y)
    spy.forecast = lambda i, x, h: y[len(x):len(x) + h] - scale(x, 1) * (
        1.0 if 32 <= len(x) <= 34 else 0.5 if len(x) > 34 else 0.0)
    out = rolling_origin([spy], [Series("s", y[:, None])], horizon=3, folds=2, level=0.5)["spy"]
    first, second = out["windows"][0]
    assert first["lo"] == first["hi"] == first["forecast"]
    s37 = scale(y[:37], 1)
    for lo, f, y_, hi in zip(second["lo"], second["forecast"], y[37:], second["hi"]):
        assert lo == pytest.approx(f - s37) and hi == pytest.approx(f + s37) and f < y_ < hi
    assert out["coverage"] == 0.5 and out["valid_mase"] == 0
    assert all(hi > 0 for hi in out["interval"]["hi"])  # past the end: every residual


def test_network_beats_persistence_on_a_noisy_seasonal_series(tmp_path, capsys):
    """Fails when the network learns to repeat the last value (the shifted forecast)."""
    data, _ = _sine_csv(tmp_path / "sine.csv")
    out = tmp_path / "run"
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "6", "--folds", "3", *SMALL,
                 "--epochs", "20", "--out", str(out), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["rnnlab"]["mase"] < 0.25 * got["naive"]["mase"]
    assert {"naive", "seasonal_naive", "naive2", "drift"} <= set(got)
    assert set(got["rnnlab"]) == {"mae", "rmse", "smape", "mase", "coverage", "owa"} and got["naive2"]["owa"] == 1.0
    if have_statsmodels():
        assert {"ets", "arima", "theta"} <= set(got)
    saved = json.loads((out / "forecasts.json").read_text())
    assert saved["results"]["rnnlab"]["mase"] == got["rnnlab"]["mase"]
    assert main(["eval", str(out), "--split", "test", "--json"]) == 0  # the run folder alone measures it again
    assert json.loads(capsys.readouterr().out) == network_only(got["rnnlab"])
    # past the end, from the saved run: H steps with an interval, further steps fed back without one
    assert main(["forecast", str(out), "--predict", "8", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["step"] for r in rows] == list(range(1, 9))
    assert all(r["lo"] <= r["forecast"] <= r["hi"] for r in rows[:6]) and rows[7]["lo"] is None


def test_without_a_transform_the_forecaster_chooses_one_on_validation(tmp_path, capsys):
    """Given no transform, rnnlab forecast trains one network in levels, one on differences and one on
    windows relative to their last value, keeps the one of lowest validation MASE as its run (as ETS and
    ARIMA choose their forms) and removes the others. On a trend the network in levels cannot go past
    the levels it trained on; the choice can. A transform given is used as it is."""
    from rnnlab.forecast.rolling import validation_mase
    from rnnlab.tasks import load_task
    from rnnlab.forecast.network import NetworkMethod
    from rnnlab.forecast.training import TRANSFORMS

    rng = np.random.default_rng(0)
    t = np.arange(150)
    y = 20 + 0.3 * t + 2 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, t.size)
    data = tmp_path / "trend.csv"
    data.write_text("value\n" + "".join(f"{v:.5f}\n" for v in y))
    flags = ["--data", str(data), "--column", "value", "--horizon", "6", "--folds", "3", *SMALL, "--epochs", "20"]
    out = tmp_path / "chosen"
    assert main(["forecast", *flags, "--out", str(out), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    record = json.loads((out / "transforms.json").read_text())
    scores, held = record["valid_mase"], load_task(out)[1]
    assert set(scores) == set(TRANSFORMS) and record["chosen"] == min(scores, key=scores.get)
    assert validation_mase(NetworkMethod(held), held.series, 6, 3) == pytest.approx(scores[record["chosen"]])
    assert all(getattr(held.cfg, k) == v for k, v in TRANSFORMS[record["chosen"]].items())
    assert not (out / "transforms").exists() and (out / "refit" / "config.json").is_file()
    assert scores["levels"] > 2 * min(scores.values())
    assert got["rnnlab"]["mase"] < 0.5 * got["naive"]["mase"]
    assert main(["forecast", *flags, "--window-norm", "none", "--out", str(tmp_path / "levels"), "--json"]) == 0
    levels = json.loads(capsys.readouterr().out)
    assert not (tmp_path / "levels" / "transforms.json").exists() and load_task(tmp_path / "levels")[0].diff == 0
    assert levels["rnnlab"]["mase"] > levels["naive"]["mase"]


def test_a_transform_the_series_is_too_short_for_is_left_out_of_the_choice(tmp_path, capsys):
    """21 points, 2 test and 2 validation windows of 4: enough in levels, one too few once differenced."""
    data = tmp_path / "short.csv"
    data.write_text("value\n" + "".join(f"{10 + np.sin(i):.4f}\n" for i in range(21)))
    out = tmp_path / "run"
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds", "2", *SMALL,
                 "--epochs", "2", "--out", str(out)]) == 0
    assert "not trying diff: short: 21 points are too few" in capsys.readouterr().err
    assert set(json.loads((out / "transforms.json").read_text())["valid_mase"]) == {"levels", "window-norm"}


@pytest.mark.parametrize("arch", ["tcn", "transformer", "mlp"])
def test_feed_forward_forecasters_beat_persistence_too(tmp_path, capsys, arch):
    """--arch puts a TCN, a causal Transformer or a window MLP where the recurrent stack was; each reads
    the look-back window (windows shorter at the series' start included) and learns the season."""
    data, _ = _sine_csv(tmp_path / "sine.csv")
    out = tmp_path / arch
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "6", "--folds", "3", *SMALL,
                 "--arch", arch, "--epochs", "20", "--out", str(out), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["rnnlab"]["mase"] < 0.25 * got["naive"]["mase"], got
    from rnnlab.tasks import load_task

    encoder = load_task(out)[1].model.children.get("encoder")
    assert type(encoder).__name__ == {"tcn": "TCN", "transformer": "Transformer", "mlp": "WindowMLP"}[arch]
    assert main(["eval", str(out), "--split", "test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == network_only(got["rnnlab"])


def test_without_statsmodels_the_numpy_baselines_remain(tmp_path, capsys, monkeypatch):
    import rnnlab.forecast.baselines as baselines

    monkeypatch.setattr(baselines, "have_statsmodels", lambda: False)
    monkeypatch.setattr("rnnlab.forecast.have_statsmodels", lambda: False)
    data, _ = _sine_csv(tmp_path / "sine.csv", n=120)
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds", "2", *SMALL,
                 "--max-steps", "5", "--out", str(tmp_path / "r"), "--json"]) == 0
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)) == {"rnnlab", "naive", "seasonal_naive", "naive2", "drift"}
    assert "statsmodels is not installed" in captured.err


def test_a_global_model_over_many_series_from_a_tsf_file(tmp_path, capsys):
    rng = np.random.default_rng(4)
    lines = ["# made here", "@relation toy", "@attribute series_name string", "@frequency yearly", "@horizon 3",
             "@missing true", "@data"]
    for k in range(12):
        n = 15 + 3 * k
        values = [f"{v:.3f}" for v in 50 + np.cumsum(rng.normal(1, 1, n))]
        values[5] = "?"  # inside: interpolated
        lines.append(f"S{k}:" + ",".join(values))
    path = tmp_path / "toy.tsf.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    series = read_tsf(path)
    assert [len(s.values) for s in series] == [15 + 3 * k for k in range(12)] and series[0].horizon == 3
    assert not np.isnan(series[0].values).any() and "interpolated 1" in series[0].notes[0]
    assert main(["forecast", "--data", str(path), "--window-norm", "last", *SMALL, "--max-steps", "30",
                 "--out", str(tmp_path / "g"), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "g" / "forecasts.json").read_text())
    assert saved["folds"] == 1 and len(saved["results"]["rnnlab"]["windows"]) == 12
    assert np.isfinite(got["rnnlab"]["smape"])


def test_missing_values_inside_are_interpolated_and_at_the_end_named(tmp_path):
    p = tmp_path / "gaps.csv"
    p.write_text("date,y\n2001,1\n2002,\n2003,3\n2004,NA\n")
    with pytest.raises(ValueError, match=r"row 5 \(2004\)"):
        read_csv_series(p, ["y"], "date")
    p.write_text("date,y\n2001,1\n2002,\n2003,3\n2004,4\n")
    s = read_csv_series(p, ["y"], "date")
    assert list(s.values[:, 0]) == [1, 2, 3, 4] and "row 3 (2002)" in s.notes[0]


@pytest.mark.parametrize("flags,message,code", [
    (["--column", "month,other", "--horizon", "3"], None, 0),  # input-only columns are allowed
    (["--column", "nope", "--horizon", "3"], "has no column 'nope'", 1),
    (["--column", "value", "--horizon", "80"], "too few", 1),
    (["--column", "value", "--horizon", "0"], "positive integer", 2),
    (["--column", "value"], "--horizon", 1),
    (["--column", "value", "--horizon", "3", "--log", "--diff", "3"], "diff must be one of 0, 1, 2", 2),
    (["--column", "value", "--horizon", "3", "--tokens", "char"], "unrecognized arguments: --tokens", 2),
    (["--column", "value,other", "--horizon", "3", "--output", "recursive"], "one column", 1),
    (["--column", "value", "--horizon", "3", "--window-norm", "theta"], "theta models log y: add --log", 2),
])
def test_bad_forecast_input_is_one_line_and_writes_nothing(tmp_path, capsys, flags, message, code):
    data, _ = _sine_csv(tmp_path / "sine.csv", n=100)
    out = tmp_path / "run"
    assert main(["forecast", "--data", str(data), *flags, "--max-steps", "2", "--out", str(out)]) == code
    err = capsys.readouterr().err
    if message is None:
        return
    last = err.strip().splitlines()[-1]
    assert message in last and "Traceback" not in err
    assert not out.exists()


def test_a_non_numeric_column_is_named(tmp_path, capsys):
    p = tmp_path / "t.csv"
    p.write_text("when,y\n2001,1\n2002,two\n")
    assert main(["forecast", "--data", str(p), "--column", "y", "--horizon", "1", "--out", str(tmp_path / "r")]) == 1
    assert "t.csv:3: column 'y' holds 'two', not a number" in capsys.readouterr().err


def test_m1_download_is_checked_and_the_named_set_reads_it(tmp_path):
    """rnnlab data download m1-yearly's spec on a zip made here, served from file://."""
    import zipfile

    from rnnlab.data.download import SOURCES, download
    from rnnlab.data.series import load_series

    def tsf(count):
        rows = "\n".join(f"T{k}:1970-01-01 00-00-00:" + ",".join(str(10 + k + j) for j in range(20))
                         for k in range(count))
        return ("@relation m1\n@attribute series_name string\n@attribute start_timestamp date\n"
                "@frequency yearly\n@horizon 6\n@data\n" + rows + "\n")

    for count in (181, 180):
        with zipfile.ZipFile(tmp_path / f"m1-{count}.zip", "w") as z:
            z.writestr("m1_yearly_dataset.tsf", tsf(count))
    spec = SOURCES["m1-yearly"][0]
    with pytest.raises(ValueError, match="180 series, not the expected 181; nothing was written"):
        download("m1-yearly", tmp_path / "bad", log=lambda m: None,
                 sources={"m1-yearly": [dict(spec, url=(tmp_path / "m1-180.zip").as_uri())]})
    assert not (tmp_path / "bad").exists()
    download("m1-yearly", tmp_path / "data", log=lambda m: None,
             sources={"m1-yearly": [dict(spec, url=(tmp_path / "m1-181.zip").as_uri())]})
    series = load_series("m1-yearly", tmp_path / "data")
    assert len(series) == 181 and series[3].horizon == 6 and series[3].values[0, 0] == 13


def test_an_ensemble_averages_its_members(tmp_path, capsys):
    from rnnlab.tasks import load_task

    data, y = _sine_csv(tmp_path / "sine.csv", n=120)
    out = tmp_path / "ens"
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds", "2", *SMALL,
                 "--max-steps", "5", "--ensemble", "2", "--out", str(out), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["rnnlab"]
    assert main(["eval", str(out), "--split", "test", "--json"]) == 0  # the folder measures the ensemble again
    assert json.loads(capsys.readouterr().out) == network_only(got)
    assert main(["eval", str(out), "--split", "valid"]) == 1 and "give one" in capsys.readouterr().err
    members = [load_task(out / f"member-{k}" / "refit", "last")[1] for k in (1, 2)]  # each refit (the default)
    assert [m.cfg.seed for m in members] == [1234, 1235]
    history = members[0].series[0].values
    each = [m.predict(0, history, 4) for m in members]
    assert not np.allclose(each[0], each[1])
    assert main(["forecast", str(out), "--predict", "4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose([r["forecast"] for r in rows], (each[0] + each[1]) / 2, rtol=1e-6)
    assert json.loads((out / "ensemble.json").read_text())["members"] == 2  # one mechanism with classifiers'
    import shutil

    shutil.rmtree(out / "member-2")
    assert main(["eval", str(out), "--split", "test"]) == 1
    assert "holds 1 of its 2 members; rnnlab forecast trains an ensemble whole" in capsys.readouterr().err
    assert main(["train", "--resume", str(out)]) == 1  # would train it as a refit: refused
    assert "member-2 was never trained; rnnlab forecast trains an ensemble whole" in capsys.readouterr().err


def test_an_ensemble_can_take_its_members_median(tmp_path, capsys):
    from rnnlab.tasks import load_task

    data, _ = _sine_csv(tmp_path / "sine.csv", n=120)
    out = tmp_path / "ens"
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds", "2", *SMALL,
                 "--max-steps", "5", "--ensemble", "3", "--combine", "median", "--out", str(out)]) == 0
    capsys.readouterr()
    members = [load_task(out / f"member-{k}" / "refit", "last")[1] for k in (1, 2, 3)]
    each = np.array([m.predict(0, members[0].series[0].values, 4) for m in members])
    assert main(["forecast", str(out), "--predict", "4", "--json"]) == 0
    got = [r["forecast"] for r in json.loads(capsys.readouterr().out)]
    np.testing.assert_allclose(got, np.median(each, axis=0), rtol=1e-6)
    assert not np.allclose(got, each.mean(axis=0), rtol=1e-3)


def test_refit_forecasts_the_test_windows_and_the_held_out_network_the_rest(tmp_path, capsys):
    """--refit trains each network again through the validation windows, for the epochs of its best
    validation, into RUN/refit; from the first test origin on that network forecasts, before it (the
    calibration windows, which set the interval) the held-out one. eval and --predict read both.
    """
    from rnnlab.tasks import load_task
    from rnnlab.forecast.network import NetworkMethod
    from rnnlab.tasks.forecast import refit_epochs

    data, _ = _sine_csv(tmp_path / "sine.csv", n=120)
    out = tmp_path / "run"
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds", "2", *SMALL,
                 "--epochs", "6", "--refit", "--out", str(out), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["rnnlab"]
    held, (_, refit, last) = load_task(out)[1], load_task(out / "refit", "last")
    assert refit.cfg.refit and not held.cfg.refit and refit.cfg.epochs == 6  # the schedule's length, and where
    assert last["step"] == refit.cfg.stop_epoch * refit.batches_per_epoch and refit.cfg.stop_epoch == refit_epochs(
        out, held)  # it stops
    first = held.first_test[0]
    assert max(o for _, o in held.windows["train"]) + 4 <= first - 2 * 4  # held out: the validation windows
    assert max(o for _, o in refit.windows["train"]) + 4 == first  # refit: every target before the test windows
    series, x = held.series, held.series[0].values
    both = NetworkMethod(held, [refit])
    np.testing.assert_array_equal(both.forecast(0, x[:first], 4), refit.predict(0, x[:first], 4))
    np.testing.assert_array_equal(both.forecast(0, x[:first - 1], 4), held.predict(0, x[:first - 1], 4))
    measured = rolling_origin([both], series, 4, 2)["rnnlab"]
    alone = rolling_origin([NetworkMethod(held)], series, 4, 2)["rnnlab"]
    assert measured["mase"] == pytest.approx(got["mase"]) and alone["mase"] != measured["mase"]
    assert measured["valid_mase"] == alone["valid_mase"]  # the calibration windows: held out
    assert main(["eval", str(out), "--split", "test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == network_only(got)
    assert main(["forecast", str(out), "--predict", "4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose([r["forecast"] for r in rows], refit.predict(0, x, 4), rtol=1e-6)


def test_a_resumed_forecaster_trains_its_refit_again(tmp_path, capsys, monkeypatch):
    """rnnlab train --resume of a run that rnnlab forecast refit makes the refit again from the run as it
    now is (its schedule, its best epoch); stopped by Ctrl-C, it leaves the earlier refit as it was."""
    from rnnlab.tasks import load_task
    from rnnlab.tasks.forecast import refit_epochs
    from rnnlab.train.loop import Trainer

    data, _ = _sine_csv(tmp_path / "sine.csv", n=120)
    out = tmp_path / "run"
    assert main(["forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds", "2", *SMALL,
                 "--epochs", "2", "--refit", "--out", str(out)]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in (out / "refit").iterdir()}
    run = Trainer.run
    calls = []

    def second_interrupted(self):  # the resumed run trains; its refit is stopped at once
        calls.append(self.out)
        return run(self) if len(calls) == 1 else {"reason": "interrupted"}

    monkeypatch.setattr(Trainer, "run", second_interrupted)
    assert main(["train", "--resume", str(out), "--epochs", "3"]) == 130
    assert calls == [out, out / "refit.new"] and not (out / "refit.new").exists()
    assert {p.name: p.read_bytes() for p in (out / "refit").iterdir()} == before
    monkeypatch.setattr(Trainer, "run", run)
    assert main(["train", "--resume", str(out), "--epochs", "5"]) == 0
    held, (_, refit, last) = load_task(out)[1], load_task(out / "refit", "last")
    assert refit.cfg.refit and refit.cfg.epochs == 5 and refit.cfg.stop_epoch == refit_epochs(out, held)
    assert last["step"] == refit.cfg.stop_epoch * refit.batches_per_epoch
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("refit")) == ["refit"]
    assert main(["forecast", str(out), "--predict", "4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose([r["forecast"] for r in rows], refit.predict(0, held.series[0].values, 4), rtol=1e-6)


def test_stop_epoch_ends_a_run_early_on_the_whole_schedule(tmp_path):
    """A refit stops at its epoch with the learning rate where the full cosine schedule has it then
    (not decayed to zero over the shorter run)."""
    from rnnlab.tasks import make_trainer
    from rnnlab.tasks import resolve_config

    data, _ = _sine_csv(tmp_path / "sine.csv", n=120)
    cfg = resolve_config("forecast", None, dict(data=str(data), column="value", horizon=4, folds=2, hidden=8,
                                                epochs=6, stop_epoch=2, refit=False))
    trainer = make_trainer(cfg, tmp_path / "run", log=lambda msg: None)
    assert trainer.run()["epoch"] == 2
    total, step = 6 * trainer.batches, trainer.step
    assert step == 2 * trainer.batches
    assert trainer.opt.lr == pytest.approx(3e-3 * 0.5 * (1 + np.cos(np.pi * step / total)))
    # a schedule of --max-steps stops there too
    steps = dataclasses.replace(cfg, epochs=None, max_steps=total)
    trainer = make_trainer(steps, tmp_path / "steps", log=lambda msg: None)
    assert trainer.run()["epoch"] == 2 and trainer.step == step


def test_train_task_forecast_resumes_and_keeps_its_transforms(tmp_path, capsys):
    """rnnlab train --task forecast is an ordinary run: --folds means test windows there, and a resumed
    run reads its transforms back from forecast.json."""
    data, _ = _sine_csv(tmp_path / "sine.csv", n=120)
    run = tmp_path / "run"
    assert main(["train", "--task", "forecast", "--data", str(data), "--column", "value", "--horizon", "4",
                 "--folds", "2", "--log", "--diff", "1", *SMALL, "--max-steps", "4", "--out", str(run)]) == 0
    saved = json.loads((run / "forecast.json").read_text())
    assert saved["folds"] == 2 and saved["transforms"][0]["log"] and not (run / "fold-1").exists()
    assert main(["train", "--resume", str(run), "--max-steps", "6"]) == 0
    assert json.loads((run / "forecast.json").read_text()) == saved
    capsys.readouterr()
    assert main(["eval", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["windows"] == 2 * 4 - 4 + 1  # validation origins


def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_bytes("year,y\n2001,1\n2002,2\n".encode("utf-8-sig"))
    assert read_csv_series(p, ["y"], "year").dates == ["2001", "2002"]


def _seasonal_series(m, periods=10, seed=0):
    t = np.arange(periods * m + 3)
    rng = np.random.default_rng(seed)
    return (50 + 0.3 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / m)) * np.exp(rng.normal(0, 0.02, len(t)))


@pytest.mark.parametrize("m", [4, 7, 12])
def test_seasonal_indices_and_the_seasonality_test_are_statsmodels_and_m4s(m):
    """The indices equal statsmodels' multiplicative seasonal_decompose (R's decompose); the test is the
    M4 benchmarks' |r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n), r from statsmodels' acf."""
    sm = pytest.importorskip("statsmodels.tsa.api", reason="statsmodels (the forecast extra) is not installed")
    from statsmodels.tsa.seasonal import seasonal_decompose

    from rnnlab.forecast.decompose import is_seasonal, seasonal_indices

    x = _seasonal_series(m)
    np.testing.assert_allclose(seasonal_indices(x, m), seasonal_decompose(x, model="multiplicative", period=m).seasonal[:m],
                               rtol=1e-12)
    rng = np.random.default_rng(1)
    decisions = []
    for k in range(150):  # seasonality from none to strong, lengths from 3m to 6m: many near the limit
        n = int(rng.integers(3 * m, 6 * m))
        t = np.arange(n)
        y = 10 + rng.uniform(0, 2) * np.sin(2 * np.pi * t / m) + rng.normal(0, 1, n)
        r = sm.acf(y, nlags=m, fft=False)[1:]
        decisions.append(abs(r[m - 1]) > 1.645 * np.sqrt((1 + 2 * np.sum(r[:m - 1] ** 2)) / n))
        assert is_seasonal(y, m) == decisions[-1], k
    assert 10 < sum(decisions) < 140
    assert is_seasonal(x, m) and not is_seasonal(x[:3 * m - 1], m) and not is_seasonal(x, 1)


def test_naive2_reseasonalises_the_last_adjusted_value_or_is_naive():
    from rnnlab.forecast.baselines import Naive2
    from rnnlab.forecast.decompose import seasonal_indices

    m, x = 12, _seasonal_series(12)
    s = seasonal_indices(x, m)
    n = len(x)
    want = [x[-1] / s[(n - 1) % m] * s[(n + k) % m] for k in range(18)]
    np.testing.assert_allclose(Naive2(m).forecast(0, x, 18), want, rtol=1e-13)
    noise = np.random.default_rng(2).normal(10, 1, 60)
    np.testing.assert_array_equal(Naive2(m).forecast(0, noise, 5), np.full(5, noise[-1]))  # not seasonal: naive
    np.testing.assert_array_equal(Naive2(m).forecast(0, x - 60, 3), np.full(3, x[-1] - 60))  # values <= 0: naive


def test_the_smoothed_level_is_statsmodels_and_its_alpha_the_least_squared_error():
    """levels() are simple exponential smoothing from the first value (statsmodels' SimpleExpSmoothing
    with that initial level: its one-step forecasts are l_{t-1}); fit_alpha is the grid value of least
    SSE, as statsmodels computes the SSE."""
    pytest.importorskip("statsmodels", reason="statsmodels (the forecast extra) is not installed")
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing

    from rnnlab.forecast.smoothing import ALPHAS, fit_alpha, levels

    x = 10 + np.cumsum(np.random.default_rng(4).normal(0, 1, 80))
    sse = []
    for a in ALPHAS:
        fit = SimpleExpSmoothing(x, initialization_method="known", initial_level=x[0]).fit(smoothing_level=a,
                                                                                            optimized=False)
        np.testing.assert_allclose(levels(x, a)[:-1], fit.fittedvalues[1:], rtol=1e-12)
        sse.append(fit.sse)
    assert fit_alpha(x) == ALPHAS[int(np.argmin(sse))] and 0.05 < fit_alpha(x) <= 1.0


def test_the_theta_path_is_statsmodels_theta_method():
    """theta_path is the Theta method (theta = 2) as statsmodels' ThetaModel forecasts it, given its alpha:
    on a long series, where the two smoothers' first levels no longer matter."""
    pytest.importorskip("statsmodels", reason="statsmodels (the forecast extra) is not installed")
    from statsmodels.tsa.forecasting.theta import ThetaModel

    from rnnlab.forecast.smoothing import theta_path

    x = 50 + 0.3 * np.arange(300) + np.cumsum(np.random.default_rng(6).normal(0, 1, 300))
    fit = ThetaModel(x, deseasonalize=False).fit()
    alpha = float(fit.params["alpha"])
    assert 0.2 < alpha < 1
    np.testing.assert_allclose(theta_path(x, alpha, 8), np.asarray(fit.forecast(8)), rtol=1e-9)


@pytest.mark.parametrize("norm", ["level", "theta"])
def test_window_norm_takes_each_windows_smoothed_level_out(tmp_path, norm):
    """--window-norm level: each window (and its targets) minus the window's smoothed level with the
    series' alpha, kept in forecast.json; theta (with --log): the inputs less the whole history's level,
    the targets less its Theta path (the window is too short for a slope), unstandardised (mean 0, std
    1), trained from a full window on; the run forecasts from its folder, adding back what it took out."""
    from rnnlab.forecast.smoothing import levels, theta_path
    from rnnlab.runs.members import load_members

    data = tmp_path / "noisy.csv"  # white noise about a slow level: a smoothed level, alpha well below 1
    values = 20 + np.linspace(0, 2, 120) + np.random.default_rng(5).normal(0, 1, 120)
    data.write_text("value\n" + "\n".join(f"{v:.4f}" for v in values) + "\n")
    run = tmp_path / "run"
    assert main(["train", "--task", "forecast", "--data", str(data), "--column", "value", "--horizon", "4", "--folds",
                 "2", "--window-norm", norm, *(["--log"] if norm == "theta" else []), *SMALL, "--max-steps", "5",
                 "--out", str(run)]) == 0
    (task,) = load_members(run)
    if norm == "theta":
        assert task.transforms[0].mean == 0 and task.transforms[0].std == 1
        assert min(o for _, o in task.windows["train"]) == task.lookback
    alpha = json.loads((run / "forecast.json").read_text())["transforms"][0]["alpha"]
    assert alpha == task.transforms[0].alpha and alpha < 0.5
    z = task.z[0]
    window = z[50 - task.lookback:50]
    x, offset = task._context(z[:50], 0)
    level = levels(z[:50] if norm == "theta" else window, alpha)[-1]
    np.testing.assert_allclose(x, window - level, rtol=1e-5, atol=1e-6)
    path = theta_path(z[:50, 0], alpha, 4) if norm == "theta" else np.full(4, level[0])
    assert norm == "level" or np.ptp(path) > 1e-4  # a drift: not the level again
    np.testing.assert_allclose(offset, path, rtol=1e-5, atol=1e-6)
    xs, _, ys = task._windows([(0, 50 + task.transforms[0].lost)])
    np.testing.assert_allclose(ys[0], z[50:54, 0] - path, rtol=1e-5, atol=1e-6)
    with task.model.inference():
        net = task.model(x[:, None], np.array([len(x)]))[0]
    np.testing.assert_allclose(task.predict(0, task.series[0].values[:50], 4),
                               task.transforms[0].inverse(task.series[0].values[:50], net + path), rtol=1e-5)


def test_the_transforms_never_read_the_test_windows(tmp_path):
    """Only the points before the first test window are transformed for training: a value <= 0 inside a
    test window does not stop --log (M3 monthly has such a series), and the windows hold nothing later."""
    from rnnlab.runs.members import load_members

    data, y = _sine_csv(tmp_path / "s.csv", n=120)
    lines = data.read_text().splitlines()
    lines[-3] = lines[-3].split(",")[0] + ",-5.0," + lines[-3].split(",")[2]  # inside the last test window
    data.write_text("\n".join(lines) + "\n")
    run = tmp_path / "run"
    assert main(["train", "--task", "forecast", "--data", str(data), "--column", "value", "--horizon", "6", "--folds",
                 "1", "--log", *SMALL, "--max-steps", "3", "--out", str(run)]) == 0
    (task,) = load_members(run)
    assert len(task.z[0]) == task.first_test[0] == 120 - 6
    assert np.all(np.isfinite(task.predict(0, task.series[0].values[:114], 6)))


@pytest.mark.parametrize("flags", [dict(window_norm="last"), dict(log=True, deseasonalise=True, window_norm="theta")])
@pytest.mark.parametrize("refit", [False, True])
def test_no_window_of_a_global_model_sees_the_test_windows(tmp_path, flags, refit):
    """Two collections equal but in each series' test window (there: other values, one <= 0): the
    global model's transforms and every training and validation window are the same."""
    from rnnlab.tasks import ForecastTask, resolve_config

    rng = np.random.default_rng(8)
    series = [60 + 10 * np.sin(np.arange(n) * np.pi / 2) + np.cumsum(rng.normal(0.5, 1, n)) for n in (30, 41, 52)]
    tasks = []
    for poison in (False, True):
        lines = ["@relation toy", "@attribute series_name string", "@frequency quarterly", "@horizon 4", "@data"]
        for k, y in enumerate(series):
            y = np.concatenate([y[:-4], rng.normal(0, 50, 4) - 60]) if poison else y
            lines.append(f"S{k}:" + ",".join(f"{v:.4f}" for v in y))
        path = tmp_path / f"toy{poison}.tsf"
        path.write_text("\n".join(lines) + "\n")
        tasks.append(ForecastTask(resolve_config(flags=dict(task="forecast", data=str(path), hidden=4, refit=refit,
                                                            **flags))))
    clean, poisoned = tasks
    assert [t.state() for t in clean.transforms] == [t.state() for t in poisoned.transforms]
    for split in ("train", "valid"):
        assert clean.windows[split] == poisoned.windows[split] and len(clean.windows[split]) > 0
        for a, b in zip(clean.arrays[split], poisoned.arrays[split]):
            np.testing.assert_array_equal(a, b)
