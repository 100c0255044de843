"""The classification baselines do what they claim: DTW against its definition computed cell by cell,
nearest-neighbour and bag-of-words predictions on data where the answer is known."""

import numpy as np

from rnnlab.tasks.classify_baselines import bag_of_words, dtw_distances, majority, nearest_dtw


def dtw_by_definition(a, b):
    D = np.full((len(a) + 1, len(b) + 1), np.inf)
    D[0, 0] = 0
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            D[i, j] = ((a[i - 1] - b[j - 1]) ** 2).sum() + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return D[-1, -1]


def test_dtw_distances_follow_the_definition():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 2))
    others = [rng.normal(size=(n, 2)) for n in (3, 6, 9)]
    np.testing.assert_allclose(dtw_distances(a, others), [dtw_by_definition(a, b) for b in others], rtol=1e-12)
    stretched = np.repeat(a, 2, axis=0)  # the same shape, twice as slow: DTW does not mind
    assert dtw_distances(a, [stretched])[0] == 0


def test_nearest_dtw_and_bag_of_words_and_majority():
    rng = np.random.default_rng(1)
    up = [np.linspace(0, 1, n)[:, None] + rng.normal(0, 0.05, (n, 1)) for n in rng.integers(5, 12, 20)]
    down = [1 - s for s in up]
    train, y = up[:10] + down[:10], np.array([0] * 10 + [1] * 10)
    assert (nearest_dtw(train, y, up[10:] + down[10:]) == y).all()
    docs = [rng.integers(0, 3, rng.integers(2, 6)) + 3 * (i % 2) for i in range(60)]  # ids 0-2 or 3-5
    labels = np.arange(60) % 2
    assert (bag_of_words(docs[:40], labels[:40], docs[40:], 6, 2) == labels[40:]).all()
    assert (majority(np.array([1, 2, 2]), 3) == 2).all()


def test_ngrams_count_every_run_seen_in_training():
    from rnnlab.tasks.classify_baselines import ngrams

    train, (test,), size = ngrams([np.array([1, 2, 3])], [[np.array([2, 3, 4])]], 2)
    assert size == 5 and len(train[0]) == 5  # 1, 2, 3, (1 2), (2 3)
    assert sorted(test[0].tolist()) == sorted([train[0][1], train[0][2], train[0][4]])  # 2, 3, (2 3); 4, (3 4) unseen
