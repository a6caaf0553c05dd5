"""TemporalStatistics: each band's statistics over time, as numpy defines them."""

import numpy as np
import pytest

from skaudio import TemporalStatistics, pooling

NUMPY = {
    "mean": lambda X: X.mean(axis=1, dtype=np.float64),
    "std": lambda X: X.std(axis=1, dtype=np.float64),
    "min": lambda X: X.min(axis=1),
    "max": lambda X: X.max(axis=1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(9, 7, 5), (4, 6, 3, 2), (3, 130, 64)])
def test_statistics_equal_numpy(rng, shape, dtype):
    X = rng.normal(3, 2, size=shape).astype(dtype)
    given = X.copy()
    stats = ("std", "max", "mean", "min")
    out = TemporalStatistics(statistics=stats).fit_transform(X)
    expected = np.concatenate([NUMPY[s](X).reshape(len(X), -1) for s in stats],
                              axis=1).astype(dtype)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(X, given)  # the input is not modified


def test_one_band_statistics_equal_numpy_to_rounding(rng):
    """With one band numpy sums the frames pairwise; skaudio in order."""
    X = rng.normal(3, 2, size=(5, 300, 1))
    out = pooling.temporal_statistics(X, ("mean", "std"))
    np.testing.assert_allclose(out, np.concatenate([X.mean(axis=1), X.std(axis=1)],
                                                   axis=1), rtol=1e-13)


def test_non_contiguous_input(rng):
    X = rng.normal(size=(6, 20, 8))[:, :, ::2]
    out = pooling.temporal_statistics(X, ("mean", "std"))
    np.testing.assert_array_equal(out, np.concatenate([X.mean(axis=1), X.std(axis=1)],
                                                      axis=1))


def test_two_d_input_is_one_frame_per_row():
    X = np.array([[1.0, 2.0], [3.0, 5.0]])
    out = TemporalStatistics(statistics=("mean", "std")).fit_transform(X)
    np.testing.assert_array_equal(out, [[1.0, 2.0, 0.0, 0.0], [3.0, 5.0, 0.0, 0.0]])


def test_float32_power_does_not_overflow():
    """Squares of 1e20 overflow float32; the moments accumulate in float64."""
    X = np.zeros((1, 4, 1), dtype=np.float32)
    X[0, :2] = 1e20
    out = TemporalStatistics().fit_transform(X)
    np.testing.assert_allclose(out, [[5e19, 5e19]], rtol=1e-6)


def test_bad_statistics_name_the_choices():
    with pytest.raises(ValueError, match=r"statistics must be a non-empty tuple drawn "
                                         r"from \['max', 'mean', 'min', 'std'\]"):
        TemporalStatistics(statistics=("median",)).fit(np.ones((2, 3, 4)))


@pytest.mark.parametrize("statistics, message", [
    ("mean", r"The 'statistics' parameter of TemporalStatistics must be an instance of "
             r"'tuple' or an instance of 'list'"),
    ((), r"TemporalStatistics: statistics must be a non-empty tuple"),
])
def test_bad_statistics_raise_in_fit_and_transform(statistics, message):
    from skaudio._params import InvalidParameterError

    for method in ("fit", "transform"):
        with pytest.raises(InvalidParameterError, match=message):
            getattr(TemporalStatistics(statistics=statistics), method)(np.ones((2, 3, 4)))


def test_a_list_of_statistics_is_a_tuple_of_them():
    X = np.random.default_rng(0).random((2, 5, 3))
    np.testing.assert_array_equal(TemporalStatistics(["max", "mean"]).fit_transform(X),
                                  TemporalStatistics(("max", "mean")).fit_transform(X))


@pytest.mark.parametrize("X, statistics, message", [
    (np.ones((2, 3, 4)), ("mean", "median"), "drawn from"),
    (np.ones((2, 3, 4)), (), "drawn from"),
    (np.ones((2, 3, 4)), "mean", "drawn from"),
    (np.ones((2, 4)), ("mean",), r"shape \(2, 4\)"),
    (np.ones((2, 0, 4)), ("max",), "at least one frame"),
])
def test_temporal_statistics_says_what_is_wrong(X, statistics, message):
    with pytest.raises(ValueError, match=message):
        pooling.temporal_statistics(X, statistics)
