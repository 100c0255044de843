"""Sampling: the draws follow softmax(z / T), and top-k / top-p keep exactly the right tokens."""

import numpy as np
import pytest

from rnnlab.models.generate import next_token


def draws(z, n=20000, **kw):
    rng = np.random.default_rng(0)
    return np.bincount([next_token(z, rng, **kw) for _ in range(n)], minlength=z.size) / n


def test_frequencies_follow_the_tempered_softmax():
    z = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    np.testing.assert_allclose(draws(z), [0.5, 0.3, 0.15, 0.05], atol=0.015)
    p2 = np.array([0.5, 0.3, 0.15, 0.05]) ** 2
    np.testing.assert_allclose(draws(z, temperature=0.5), p2 / p2.sum(), atol=0.015)


def test_top_k_and_top_p_keep_the_right_tokens():
    z = np.log(np.array([0.05, 0.4, 0.1, 0.3, 0.15]))
    f = draws(z, top_k=2)
    assert set(np.flatnonzero(f)) == {1, 3}
    np.testing.assert_allclose(f[[1, 3]], [0.4 / 0.7, 0.3 / 0.7], atol=0.015)
    f = draws(z, top_p=0.75)  # 0.4 + 0.3 = 0.7 < 0.75, so 0.15 joins; 0.85 >= 0.75 stops there
    assert set(np.flatnonzero(f)) == {1, 3, 4}
    assert next_token(z, np.random.default_rng(1), temperature=0.0) == 1


@pytest.mark.parametrize("p", [0.0, 1.5])
def test_top_p_out_of_range_is_refused_by_the_checks(p):
    from rnnlab.models.generate import check_sampling_args

    with pytest.raises(ValueError, match="top-p"):
        check_sampling_args(10, 1.0, None, p)
