"""Sequence-to-sequence data and metrics: the CMU dictionary's split, generated sets that are right
and disjoint, tables, and the error rates on cases worked by hand."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from rnnlab.data.pairs import load_cmudict, make_addition, make_dates, read_pairs
from rnnlab.seq2seq.metrics import edit_distance, sequence_scores

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "cmudict").is_dir(), reason="needs ../shared/data/cmudict")
def test_cmudict_split_is_by_word_with_every_pronunciation_as_a_reference():
    splits = load_cmudict(SHARED)
    words = {s: {"".join(w) for w in p.sources} for s, p in splits.items()}
    assert sum(len(w) for w in words.values()) == 126_052  # the dictionary's words, each in one split
    assert not (words["train"] & words["valid"]) and not (words["train"] & words["test"])
    assert 0.88 < len(words["train"]) / 126_052 < 0.92
    phones = {ph for p in splits.values() for refs in p.references for r in refs for ph in r}
    assert len(phones) == 39 and not any(ch.isdigit() for ph in phones for ch in ph)
    train = splits["train"]
    i = [k for k, w in enumerate(train.sources) if "".join(w) == "read"]
    assert i and sorted(map(" ".join, train.references[i[0]])) == ["R EH D", "R IY D"]


def test_generated_sets_are_right_disjoint_and_repeatable():
    add = make_addition(seed=1, sizes=(300, 50, 50), reverse=True)
    for p in add.values():
        for src, refs in zip(p.sources, p.references):
            a, b = "".join(src)[::-1].split("+")
            assert refs == [list(str(int(a) + int(b)))]
    sources = [{"".join(s) for s in p.sources} for p in add.values()]
    assert sum(map(len, sources)) == len(set.union(*sources)) == 400
    dates = make_dates(seed=2, sizes=(200, 20, 20))
    for src, refs in zip(dates["train"].sources, dates["train"].references):
        datetime.date.fromisoformat("".join(refs[0]))  # a valid ISO date
    assert make_dates(seed=2, sizes=(200, 20, 20))["test"].sources == dates["test"].sources
    assert make_dates(seed=3, sizes=(200, 20, 20))["test"].sources != dates["test"].sources


def test_a_table_groups_references_and_names_what_is_wrong(tmp_path):
    p = tmp_path / "p.tsv"
    p.write_text("id\tsource\ttarget\n1\tab\tA B\n2\tab\tA C\n3\tc\tC\n")
    pairs = read_pairs(p, "char", "space")
    assert pairs.sources == [["a", "b"], ["c"]] and pairs.references[0] == [["A", "B"], ["A", "C"]]
    assert pairs.entries == 3
    c = tmp_path / "p.csv"
    c.write_text("src,target\nab,c\n")
    with pytest.raises(ValueError, match="has no 'source' column"):
        read_pairs(c)
    c.write_text("source,target\nab,\n")
    with pytest.raises(ValueError, match=r"p.csv:2 has an empty target"):
        read_pairs(c)


def test_error_rates_on_cases_worked_by_hand():
    assert edit_distance(list("kitten"), list("sitting")) == 3
    assert edit_distance([], list("ab")) == 2
    got = sequence_scores([["a", "b"], ["x"]], [[["a", "b"], ["a"]], [["y", "z"]]])
    # word 1 matches a reference; word 2 is 2 edits from its only reference of 2 tokens
    assert got == {"wer": 0.5, "per": 2 / 4, "exact": 0.5, "token_accuracy": 2 / 4, "n": 2}
    # the closest reference sets the phone errors: 1 edit to ["a"], not 2 to ["b", "c"]
    assert sequence_scores([["a", "x"]], [[["b", "c"], ["a"]]])["per"] == 1 / 1


@pytest.mark.skipif(not (SHARED / "cmudict").is_dir(), reason="needs ../shared/data/cmudict")
def test_cmudict_download_is_checked_and_read(tmp_path):
    """rnnlab data download cmudict's spec, served from file:// (tests never touch the network)."""
    import gzip

    from rnnlab.data.download import SOURCES, download

    served = tmp_path / "cmudict.dict"
    served.write_bytes(gzip.decompress((SHARED / "cmudict" / "cmudict.dict.gz").read_bytes()))
    spec = dict(SOURCES["cmudict"][0], url=served.as_uri())
    download("cmudict", tmp_path / "data", log=lambda m: None, sources={"cmudict": [spec]})
    assert len(load_cmudict(tmp_path / "data")["test"]) == len(load_cmudict(SHARED)["test"])
    (tmp_path / "other.dict").write_text("hello HH AH0 L OW1\n")
    with pytest.raises(ValueError, match="first line is not the expected one; nothing was written"):
        download("cmudict", tmp_path / "bad", log=lambda m: None,
                 sources={"cmudict": [dict(spec, url=(tmp_path / "other.dict").as_uri())]})
    assert not (tmp_path / "bad").exists()
