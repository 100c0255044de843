"""Every user mistake: one line on stderr naming what was wrong and what was expected, exit code 2 for
usage errors and 1 for other failures, no traceback, and nothing on disk changed."""

import gzip

import pytest

from rnnlab.cli import main

TEXT = "".join(f"the {w} sat on the mat.\n" for w in ["cat", "dog"] * 100)
SMALL = ["--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size", "2", "--sample-length", "0"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A folder with good and bad corpora, configs and one trained run."""
    d = tmp_path_factory.mktemp("world")
    (d / "good.txt").write_text(TEXT)
    (d / "empty.txt").write_text("")
    (d / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (d / "tiny.txt").write_text("ab\n")
    (d / "bad.toml").write_text("hidden = \n")
    (d / "unknown.toml").write_text("hiden = 3\n")
    (d / "typed.toml").write_text('epochs = "many"\n')
    (d / "ptb").mkdir()
    for split in ("train", "valid"):
        with gzip.open(d / "ptb" / f"ptb.{split}.txt.gz", "wt") as f:
            f.write(" the cat sat <unk>\n the dog sat\n" * 20)
    assert main(["train", "--data", str(d / "good.txt"), "--out", str(d / "run"), "--max-steps", "3", *SMALL]) == 0
    assert main(["train", "--data", "ptb-word", "--data-dir", str(d), "--out", str(d / "wordrun"), "--max-steps", "2",
                 *SMALL]) == 0
    ck = (d / "run" / "checkpoint.safetensors").read_bytes()
    (d / "truncated").mkdir()
    for name in ("config.json", "vocab.json", "metrics.jsonl"):
        (d / "truncated" / name).write_bytes((d / "run" / name).read_bytes())
    (d / "truncated" / "checkpoint.safetensors").write_bytes(ck[: len(ck) // 3])
    best = (d / "run" / "best.safetensors").read_bytes()
    (d / "truncated" / "best.safetensors").write_bytes(best[: len(best) // 3])
    (d / "garbage").mkdir()
    for name in ("config.json", "vocab.json", "metrics.jsonl"):
        (d / "garbage" / name).write_bytes((d / "run" / name).read_bytes())
    (d / "garbage" / "checkpoint.safetensors").write_bytes(bytes(range(256)) * (len(ck) // 256))
    (d / "garbage" / "best.safetensors").write_bytes(bytes(range(256)) * (len(best) // 256))
    (d / "nobest").mkdir()
    for name in ("config.json", "vocab.json", "metrics.jsonl", "checkpoint.safetensors"):
        (d / "nobest" / name).write_bytes((d / "run" / name).read_bytes())
    return d


T = ["train", "--out", "{w}/new", *SMALL]
CASES = [
    # corpora
    (T + ["--data", "{w}/missing.txt"], 1, "no such file or folder: {w}/missing.txt"),
    (T + ["--data", "ptb-wrd"], 1, "unknown dataset 'ptb-wrd'; did you mean 'ptb-word'?"),
    (T + ["--data", "{w}/empty.txt"], 1, "empty.txt is empty"),
    (T + ["--data", "{w}/binary.bin"], 1, "is not UTF-8 text"),
    (T + ["--data", "{w}/tiny.txt"], 1, "too few for 2 streams"),
    (T + ["--data", "nonsense-set"], 1, "unknown dataset 'nonsense-set'"),
    (T + ["--data", "ptb-word", "--data-dir", "{w}/nowhere"], 1, "ptb-word needs"),
    # sizes, rates, probabilities
    (T + ["--data", "{w}/good.txt", "--hidden", "0"], 2, "--hidden: expected a positive integer, got '0'"),
    (T + ["--data", "{w}/good.txt", "--layers", "-2"], 2, "--layers: expected a positive integer"),
    (T + ["--data", "{w}/good.txt", "--seq-len", "x"], 2, "--seq-len: expected a positive integer, got 'x'"),
    (T + ["--data", "{w}/good.txt", "--lr", "0"], 2, "lr must be a positive number, got 0.0"),
    (T + ["--data", "{w}/good.txt", "--lr", "inf"], 2, "--lr: expected a finite number, got 'inf'"),
    (T + ["--data", "{w}/good.txt", "--dropout", "1"], 2, "dropout must be in [0, 1), got 1.0"),
    (T + ["--data", "{w}/good.txt", "--clip", "-1"], 2, "clip must be a number >= 0, got -1.0"),
    (T + ["--data", "{w}/good.txt", "--lr-decay", "2"], 2, "lr-decay must be in (0, 1], got 2.0"),
    (T + ["--data", "{w}/good.txt", "--max-steps", "0"], 2, "--max-steps: expected a positive integer"),
    (T + ["--data", "{w}/good.txt", "--time-budget", "nan"], 2, "--time-budget: expected a finite number"),
    # unknown names
    (T + ["--data", "{w}/good.txt", "--cell", "transformer"], 2, "unknown cell 'transformer'"),
    (T + ["--data", "{w}/good.txt", "--optimizer", "lbfgs"], 2, "unknown optimizer 'lbfgs'"),
    (T + ["--data", "{w}/good.txt", "--arch", "lstm"], 2, "unknown arch 'lstm'; expected one of rnn, tcn, transformer"),
    (T + ["--data", "{w}/good.txt", "--arch", "tcn", "--heads", "2"], 2, "--heads applies to --arch transformer only"),
    (T + ["--data", "{w}/good.txt", "--arch", "transformer", "--heads", "3"], 2, "--hidden 8 must be a multiple of --heads 3"),
    (T + ["--data", "{w}/good.txt", "--context", "4"], 2, "--context applies to --arch tcn, transformer or mlp"),
    (T + ["--data", "{w}/good.txt", "--arch", "mlp", "--tie-weights"], 2, "--tie-weights applies to --arch rnn only"),
    (["train", "--out", "{w}/new", "--task", "seq2seq", "--data", "dates", "--arch", "tcn"], 2,
     "--arch is not a setting of --task seq2seq; it is one of --task lm, classify, forecast, adding"),
    (T + ["--data", "{w}/good.txt", "--horizon", "3"], 2, "--horizon is not a setting of --task lm; it is one of "
                                                          "--task forecast"),
    (T + ["--data", "{w}/good.txt", "--data-d", "{w}"], 2, "unrecognized arguments: --data-d"),
    (T + ["--data", "{w}/good.txt", "--preset", "huge"], 2, "unknown preset 'huge'"),
    (T + ["--data", "{w}/good.txt", "--dtype", "float16"], 2, "unknown dtype 'float16'"),
    (T + ["--data", "{w}/good.txt", "--tie-weights", "--embed", "4"], 2, "--tie-weights needs --embed equal to --hidden"),
    (["eval", "{w}/run", "--split", "dev"], 2, "--split: invalid choice: 'dev'"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    # config files
    (T + ["--data", "{w}/good.txt", "--config", "{w}/bad.toml"], 2, "bad.toml is not valid TOML"),
    (T + ["--data", "{w}/good.txt", "--config", "{w}/unknown.toml"], 2, "unknown key(s) hiden"),
    (T + ["--data", "{w}/good.txt", "--config", "{w}/typed.toml"], 2, "epochs must be a positive integer, got 'many'"),
    (T + ["--data", "{w}/good.txt", "--config", "{w}/none.toml"], 2, "no such config file"),
    # settings the run would ignore
    (T + ["--data", "{w}/good.txt", "--warmup", "100"], 2, "--warmup applies to --schedule cosine only"),
    (T + ["--data", "{w}/good.txt", "--lr-decay", "0.5"], 2, "--lr-decay applies to --schedule step only"),
    (T + ["--data", "{w}/good.txt", "--momentum", "0.9"], 2, "--momentum applies to --optimizer sgd or rmsprop"),
    (T + ["--data", "{w}/good.txt", "--alpha", "0.9"], 2, "--alpha applies to --optimizer rmsprop only"),
    (T + ["--data", "{w}/good.txt", "--hiden", "16"], 2, "unrecognized arguments: --hiden 16 (did you mean --hidden?)"),
    # sampling
    (["sample", "{w}/no-run"], 1, "is not a run folder"),
    (["sample", "{w}/run", "--temperature", "-0.5"], 2, "temperature must be a finite number >= 0"),
    (["sample", "{w}/run", "--top-k", "0"], 2, "top-k must be a positive integer, got 0"),
    (["sample", "{w}/run", "--top-p", "0"], 2, "top-p must be in (0, 1]"),
    (["sample", "{w}/run", "--length", "0"], 2, "length must be a positive integer"),
    (["sample", "{w}/run", "--prime", "Q"], 1, "character 'Q' is not in the vocabulary"),
    (["sample", "{w}/wordrun", "--prime", "the zebra"], 1, "word 'zebra' is not in the vocabulary"),
    # splits, runs, checkpoints, folders
    (["eval", "{w}/wordrun", "--split", "test"], 1, "has no test split"),
    (["eval", "{w}/truncated"], 1, "is not a readable checkpoint (truncated or corrupt?)"),
    (["train", "--resume", "{w}/truncated"], 1, "is not a readable checkpoint"),
    (["sample", "{w}/garbage"], 1, "is not a readable checkpoint (truncated or corrupt?)"),
    (["train", "--resume", "{w}/run", "--hidden", "16"], 2, "--resume cannot change --hidden (run has 8, got 16)"),
    (["train", "--resume", "{w}/nothing"], 2, "not a run folder with a checkpoint"),
    (["train", "--resume", "{w}/run", "--out", "{w}/elsewhere"], 2, "--out cannot go with --resume"),
    (["train", "--data", "{w}/good.txt", "--out", "{w}/run", *SMALL], 1, "already holds a run"),
    (["train", "--data", "{w}/good.txt", "--out", "{w}/ptb", *SMALL], 1, "is not empty"),
    (["train", "--data", "{w}/good.txt", "--out", "{w}/good.txt/sub", *SMALL], 1, "cannot write the run folder"),
    (["plot", "{w}/nothing"], 1, "is not a run folder (no metrics.jsonl)"),
    (["eval", "{w}/nobest"], 1, "has no best weights (it stopped before its first validation); use its last "
                                "checkpoint with --weights last"),
    (["eval", "{w}/run", "--data", "{w}/missing.txt"], 1, "--data {w}/missing.txt: no such file or folder"),
    (["eval", "{w}/run", "--data", "{w}/good.txt", "--split", "test"], 2, "give one of --data and --split"),
    (["eval", "{w}/run", "--beam", "3"], 2, "--beam does not apply to lm runs"),
    (["data", "download", "imagenet"], 2, "data download needs a dataset name"),
]


def snapshot(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("argv,code,message", CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in CASES])
def test_mistake(world, capsys, argv, code, message):
    before = snapshot(world)
    capsys.readouterr()
    assert main([a.format(w=world) for a in argv]) == code
    err = capsys.readouterr().err
    assert message.format(w=world) in err
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, err
    assert snapshot(world) == before  # nothing that existed changed, nothing new was left behind


def test_debug_shows_the_traceback(world):
    with pytest.raises(Exception, match="unknown cell 'nope'"):
        main(["--debug", "train", "--data", str(world / "good.txt"), "--cell", "nope", "--out", str(world / "x")])


def test_resume_falls_back_to_the_previous_checkpoint(tmp_path, capsys):
    (tmp_path / "good.txt").write_text(TEXT)
    run = tmp_path / "run"
    args = ["--data", str(tmp_path / "good.txt"), *SMALL, "--checkpoint-every", "2"]
    assert main(["train", "--out", str(run), "--max-steps", "5", *args]) == 0
    prev = run / "checkpoint.safetensors.prev"
    assert prev.is_file() and prev.read_bytes() != (run / "checkpoint.safetensors").read_bytes()
    ck = run / "checkpoint.safetensors"
    ck.write_bytes(ck.read_bytes()[:100])  # damaged newest checkpoint
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--max-steps", "6"]) == 0
    assert "using the previous checkpoint (checkpoint.safetensors.prev, step 4)" in capsys.readouterr().err
