"""Vocabularies, corpora and truncated-BPTT batching."""

import gzip
import string

import numpy as np
import pytest

from rnnlab.data import (
    EOS,
    UNK,
    Vocab,
    batchify,
    get_batch,
    iterate,
    load_corpus,
    num_batches,
)
from rnnlab.data.corpora import resolve_data_dir

SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data"


def test_batching_matches_the_hand_worked_example():
    ids = np.arange(24)  # a..x
    data = batchify(ids, 4)
    expected = np.array([[0, 6, 12, 18], [1, 7, 13, 19], [2, 8, 14, 20],
                         [3, 9, 15, 21], [4, 10, 16, 22], [5, 11, 17, 23]])
    np.testing.assert_array_equal(data, expected)
    x, y = get_batch(data, 0, 2)
    np.testing.assert_array_equal(x, [[0, 6, 12, 18], [1, 7, 13, 19]])
    np.testing.assert_array_equal(y, [[1, 7, 13, 19], [2, 8, 14, 20]])
    # 5 input steps per stream (the last token is only a target): batches of T=2, 2, 1
    assert num_batches(data, 2) == 3
    batches = list(iterate(data, 2))
    assert [b[1].shape[0] for b in batches] == [2, 2, 1]
    np.testing.assert_array_equal(batches[-1][1], [[4, 10, 16, 22]])
    np.testing.assert_array_equal(batches[-1][2], [[5, 11, 17, 23]])
    # consecutive batches continue each stream: inputs concatenated = each stream minus its last token
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), data[:-1])


def test_batchify_drops_the_tail_and_refuses_too_few_tokens():
    assert batchify(np.arange(26), 4).shape == (6, 4)
    with pytest.raises(ValueError, match="too few for 4 streams"):
        batchify(np.arange(7), 4)


def test_char_vocab_round_trip_and_order():
    v = Vocab.build("abracadabra\n", "char")
    assert v.itos == ["a", "b", "r", "\n", "c", "d"]  # by falling count, ties by character
    ids = v.encode("cab\n")
    assert v.decode(ids) == "cab\n"
    w = Vocab.from_json(v.to_json())
    assert w.itos == v.itos and w.kind == "char"
    with pytest.raises(ValueError, match="character 'z' is not in the vocabulary"):
        v.encode("zap")


def test_word_vocab_unknowns_and_line_ends():
    v = Vocab.build(["the", "cat", UNK, "the", EOS], "word")
    np.testing.assert_array_equal(v.encode(["the", "dog"]), [v.stoi["the"], v.stoi[UNK]])
    assert v.decode(v.encode(v.tokenize("the cat\nthe"))) == "the cat\nthe\n"
    no_unk = Vocab.build(["a", "b"], "word")
    with pytest.raises(ValueError, match="word 'c' is not in the vocabulary"):
        no_unk.encode(["c"])


def test_text_file_split_is_deterministic_and_complete(tmp_path):
    text = "".join(string.ascii_lowercase[i % 26] for i in range(1000))
    f = tmp_path / "t.txt"
    f.write_text(text)
    c = load_corpus(str(f))
    assert [len(c.splits[s]) for s in ("train", "valid", "test")] == [900, 50, 50]
    assert "".join(c.splits["train"] + c.splits["valid"] + c.splits["test"]) == text
    assert load_corpus(str(f)).vocab.itos == c.vocab.itos


def test_folder_and_gzip_splits(tmp_path):
    (tmp_path / "train.txt").write_text("hello world\n")
    with gzip.open(tmp_path / "valid.txt.gz", "wt") as g:
        g.write("low\n")
    c = load_corpus(str(tmp_path))
    assert "".join(c.tokens("valid")) == "low\n"
    with pytest.raises(FileNotFoundError, match="no test split"):
        c.tokens("test")


@pytest.mark.parametrize("content,pattern", [
    (b"", "is empty"), (b"  \n\n", "is empty"), (b"\xff\xfe\x00abc", "not UTF-8"), (b"ab\x00cd", "binary"),
])
def test_bad_text_files(tmp_path, content, pattern):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(ValueError, match=pattern):
        load_corpus(str(f))


def test_unknown_dataset_and_missing_ptb(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        load_corpus("nope", tmp_path)
    with pytest.raises(FileNotFoundError, match="ptb.train.txt"):
        load_corpus("ptb-word", tmp_path)


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    assert resolve_data_dir(None) == tmp_path
    assert resolve_data_dir("/x") == __import__("pathlib").Path("/x")
    monkeypatch.delenv("RNNLAB_DATA")
    assert resolve_data_dir(None).parts[-2:] == (".cache", "rnnlab")


def test_embedded_default_corpus_is_deterministic():
    a, b = load_corpus("default"), load_corpus("default")
    assert a.vocab.itos == b.vocab.itos and a.splits["valid"] == b.splits["valid"]
    assert len(a.tokens("train")) > 1_000_000 and len(a.tokens("valid")) > 10_000
    assert "\n" in a.vocab.stoi and " " in a.vocab.stoi


@pytest.mark.skipif(not (SHARED / "ptb").is_dir(), reason="../shared/data/ptb is not present")
def test_ptb_word_and_char_counts():
    w = load_corpus("ptb-word", SHARED)
    assert len(w.vocab) == 10000 and len(w.tokens("train")) == 929_589 and len(w.tokens("valid")) == 73_760
    c = load_corpus("ptb-char", SHARED)
    assert len(c.vocab) == 50 and len(c.tokens("valid")) == 399_782


def test_download_verifies_before_writing(tmp_path):
    """The download logic on local file:// sources (tests never touch the network)."""
    from rnnlab.data.download import download

    src = tmp_path / "src.txt"
    src.write_bytes(b"hello\n")
    good = {"x": [{"url": src.as_uri(), "path": "x/a.txt", "md5": "b1946ac92492d2347c6235b4d2611184"}]}
    bad = {"x": [{"url": src.as_uri(), "path": "x/a.txt", "md5": "0" * 32}]}
    out = tmp_path / "data"
    with pytest.raises(ValueError, match="differs from the published"):
        download("x", out, log=lambda m: None, sources=bad)
    assert not (out / "x").exists()
    assert download("x", out, log=lambda m: None, sources=good) == [out / "x" / "a.txt"]
    assert (out / "x" / "a.txt").read_bytes() == b"hello\n"
    with pytest.raises(ValueError, match="unknown dataset 'y'"):
        download("y", out, sources=good)
