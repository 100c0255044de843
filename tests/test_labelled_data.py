"""Data for sequence classification: ``.ts`` multichannel series, labelled text tables, the named
sentiment and JapaneseVowels sets (from ../shared/data, skipped with the reason when it is absent),
tokens, vocabularies with a minimum count, and stratified splits."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rnnlab.data import Vocab
from rnnlab.data.labelled_text import load_sentiment, read_table, stratified_folds, stratified_split, text_tokens
from rnnlab.data.ts_format import Standardizer, read_ts

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared = pytest.mark.skipif(not (SHARED / "uea").is_dir(), reason=f"{SHARED} is absent")

HEADER = "#a comment\n@problemName Toy\n@univariate false\n@dimensions 2\n@equalLength false\n@classLabel true a b\n@data\n"


def write(tmp_path, name, text, gz=False):
    path = tmp_path / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def test_a_ts_file_gives_one_array_per_case_of_its_own_length(tmp_path):
    path = write(tmp_path, "toy.ts", HEADER + "1,2,3:4,5,6:a\n0.5,?:1,2:b\n", gz=True)
    data = read_ts(path)
    assert data.name == "Toy" and data.classes == ("a", "b") and data.labels == ["a", "b"] and data.channels == 2
    np.testing.assert_array_equal(data.series[0], [[1, 4], [2, 5], [3, 6]])
    assert data.series[1].shape == (2, 2) and np.isnan(data.series[1][1, 0])


@pytest.mark.parametrize("body,message", [
    ("1,2:3,4:a\n1,2:a\n", "toy.ts:9: 1 channels, but the first case has 2"),
    ("1,2,3:4,5:a\n", "toy.ts:8: the channels of a case must have one length, got [2, 3]"),
    ("1,x:3,4:a\n", "toy.ts:8: not a number"),
    ("1,2:3,4:c\n", "labels ['c'] are not among the declared classes ['a', 'b']"),
    ("", "holds no cases"),
])
def test_a_malformed_ts_file_is_one_clear_error(tmp_path, body, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_ts(write(tmp_path, "toy.ts", HEADER + body))


def test_standardising_uses_the_training_cases_only():
    rng = np.random.default_rng(0)
    train = [rng.normal(5, 3, size=(rng.integers(5, 9), 3)) for _ in range(40)]
    test = [rng.normal(5, 3, size=(6, 3)) + 10 for _ in range(5)]
    z = Standardizer(train)
    steps = np.concatenate(z(train))
    np.testing.assert_allclose(steps.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(steps.std(0), 1, atol=1e-12)
    assert np.concatenate(z(test)).mean() > 2  # the test cases are moved by the training statistics


@needs_shared
def test_japanese_vowels_as_published():
    train, test = (read_ts(SHARED / "uea" / f"JapaneseVowels_{s}.ts.gz") for s in ("TRAIN", "TEST"))
    assert (len(train.series), len(test.series), train.channels) == (270, 370, 12)
    assert train.classes == tuple(str(i) for i in range(1, 10))
    assert set(Counter(train.labels).values()) == {30}
    lengths = [s.shape[0] for s in train.series + test.series]
    assert (min(lengths), max(lengths)) == (7, 29)


def test_a_table_gives_its_text_and_label_columns(tmp_path):
    tsv = write(tmp_path, "t.tsv", "id\tLabel\ttext\textra\n1\tpos\tGood film, really.\tx\n2\tneg\tDull\ty\n")
    assert (read_table(tsv).texts, read_table(tsv).labels) == (["Good film, really.", "Dull"], ["pos", "neg"])
    csv = write(tmp_path, "t.csv", 'text,label\n"Good, and ""funny""",pos\nDull,neg\n', gz=True)
    assert read_table(csv).texts == ['Good, and "funny"', "Dull"]


@pytest.mark.parametrize("text,message", [
    ("words,class\nhi,a\n", "has no 'text' and no 'label' column (its header: words, class)"),
    ("text,label\nhi,a\n ,b\n", "t.csv:3 has an empty text"),
    ("text,label\n", "has a header but no rows"),
])
def test_a_bad_table_is_one_clear_error(tmp_path, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_table(write(tmp_path, "t.csv", text))


@needs_shared
def test_the_sentiment_set_as_published():
    data = load_sentiment(SHARED)
    assert len(data.texts) == 10_605 - 37 and Counter(data.labels) == {"positive": 5242, "negative": 5326}
    assert data.texts[2] == "Effective but too tepid biopic" and data.labels[2] == "negative"


def test_tokens_and_a_vocabulary_with_a_minimum_count():
    assert text_tokens("Don't stop -- it's GREAT!") == ["don't", "stop", "-", "-", "it's", "great", "!"]
    assert text_tokens("Hi!", "char") == ["H", "i", "!"]
    v = Vocab.build(["b", "a", "b", "c", "b", "a"], "word", min_count=2, unk=True)
    assert v.itos == ["<unk>", "b", "a"]
    assert list(v.encode(["c", "a"])) == [0, 2]


def test_stratified_splits_keep_the_class_proportions():
    labels = ["x"] * 90 + ["y"] * 10
    train, valid, test = stratified_split(labels, seed=3)
    assert sorted(np.concatenate([train, valid, test])) == list(range(100))
    for part, size in ((train, 80), (valid, 10), (test, 10)):
        assert len(part) == size and sum(labels[i] == "y" for i in part) == size // 10
    assert all((a == b).all() for a, b in zip(stratified_split(labels, 3), (train, valid, test)))
    assert not all((a == b).all() for a, b in zip(stratified_split(labels, 4), (train, valid, test)))
    folds = stratified_folds(labels, 10, seed=0)
    assert sorted(np.concatenate(folds)) == list(range(100))
    assert all(len(f) == 10 and sum(labels[i] == "y" for i in f) == 1 for f in folds)


@needs_shared
def test_download_takes_the_named_sets_out_of_their_archives(tmp_path):
    """rnnlab data download's real specs (checksum, case counts, member names), on archives made here
    from ../shared/data and served from file:// (tests never touch the network)."""
    import io
    import tarfile
    import zipfile

    from rnnlab.data.download import SOURCES, download

    snippets = gzip.decompress((SHARED / "sentiment" / "movieReviewSnippets_GroundTruth.txt.gz").read_bytes())
    tgz = tmp_path / "hutto_ICWSM_2014.tar.gz"
    with tarfile.open(tgz, "w:gz") as t:
        info = tarfile.TarInfo("hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt")
        info.size = len(snippets)
        t.addfile(info, io.BytesIO(snippets))
    zpath = tmp_path / "JapaneseVowels.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for split in ("TRAIN", "TEST"):
            z.writestr(f"JapaneseVowels/JapaneseVowels_{split}.ts",
                       gzip.decompress((SHARED / "uea" / f"JapaneseVowels_{split}.ts.gz").read_bytes()))
    sources = {"sentiment": [dict(SOURCES["sentiment"][0], url=tgz.as_uri())],
               "japanese-vowels": [dict(s, url=zpath.as_uri()) for s in SOURCES["japanese-vowels"]]}
    out = tmp_path / "data"
    fetched = []
    for name in sources:
        download(name, out, log=fetched.append, sources=sources)
    assert sum(m.startswith("fetching") for m in fetched) == 2  # the zip once for both of its files
    assert len(load_sentiment(out).texts) == 10_568
    assert len(read_ts(out / "uea" / "JapaneseVowels_TEST.ts").series) == 370
    wrong = {"japanese-vowels": [dict(SOURCES["japanese-vowels"][0], url=zpath.as_uri(), ts_cases=271)]}
    with pytest.raises(ValueError, match="270 cases, not the expected 271; nothing was written"):
        download("japanese-vowels", tmp_path / "other", log=lambda m: None, sources=wrong)
    assert not (tmp_path / "other").exists()
