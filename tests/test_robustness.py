"""The robustness protocols (v3 gain, v4 interference), reports and the shortcut probe."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skaudio import (
    LogCompression,
    MelSpectrogram,
    PerSampleNorm,
    PersaPlus,
    TemporalStatistics,
)
from skaudio.datasets import make_audio_classification
from skaudio.diagnostics import ShortcutWarning, shortcut_probe
from skaudio.robustness import (
    RobustnessReport,
    apply_gain,
    default_interference_plan,
    make_gain_version,
    make_interference_version,
    mix_at_snr,
    pink_noise,
    plot_robustness,
    robustness_report,
)


@pytest.fixture(scope="module")
def data():
    d = make_audio_classification(n_samples=60, n_classes=3, duration=0.25, sr=8000,
                                  random_state=0)
    d.folds = np.arange(60) % 3
    return d


def snr_db(clean, mixed):
    return 10 * np.log10(np.mean(clean.astype(float) ** 2, axis=-1)
                         / np.mean((mixed.astype(float) - clean) ** 2, axis=-1))


@pytest.mark.parametrize("target", [-5.0, 0.0, 9.0, 30.0])
def test_mix_at_snr_is_exact(data, target, rng):
    noise = rng.standard_normal(1000)  # shorter than the clips: tiled
    mixed = mix_at_snr(data.data, noise, target)
    np.testing.assert_allclose(snr_db(data.data, mixed), target, atol=0.1)
    one = mix_at_snr(data.data[0], noise, target)
    assert one.shape == data.data[0].shape
    assert abs(snr_db(data.data[0], one) - target) < 0.1


def test_mix_at_snr_per_clip_values_and_edge_cases(data, rng):
    targets = rng.uniform(0, 20, size=60)
    mixed = mix_at_snr(data.data, rng.standard_normal((60, 2000)), targets)
    np.testing.assert_allclose(snr_db(data.data, mixed), targets, atol=0.1)
    np.testing.assert_array_equal(mix_at_snr(data.data, rng.standard_normal(10), np.inf),
                                  data.data)
    silent = np.zeros((2, 100))
    np.testing.assert_array_equal(mix_at_snr(silent, np.ones(100), 0.0), silent)
    with pytest.raises(ValueError, match="one interference or one per clip"):
        mix_at_snr(data.data, np.ones((3, 100)), 0.0)
    with pytest.raises(ValueError, match="snr_db must be"):
        mix_at_snr(data.data, np.ones(100), np.nan)


def test_mix_at_snr_repeats_each_interference_from_its_own_samples():
    # Two interferences of 3 samples for clips of 7: each row repeats itself
    # (a b c a b c a), never continuing with the other row's samples.
    clips = np.ones((2, 7))
    interference = np.array([[1.0, -1.0, 0.5], [0.25, 0.5, -0.25]])
    mixed = mix_at_snr(clips, interference, 0.0)
    added = mixed - clips
    for row, noise in zip(added, interference):
        expected = np.tile(noise, 3)[:7]
        scale = row[0] / expected[0]
        np.testing.assert_allclose(row, scale * expected, rtol=1e-5)


def test_apply_gain(data):
    np.testing.assert_allclose(apply_gain(data.data, -20.0), data.data * 0.1, rtol=1e-6)
    with pytest.raises(ValueError, match="one per clip"):
        apply_gain(data.data, [0.0, -10.0])


def test_v3_gain_is_constant_within_fold_and_class(data):
    X_v3, gain = make_gain_version(data.data, data.target, data.folds, random_state=0)
    for fold in range(3):
        for label in range(3):
            cell = (data.folds == fold) & (data.target == label)
            assert len(set(gain[cell])) == 1
            assert gain[cell][0] in (0.0, -10.0, -20.0, -30.0)
            np.testing.assert_allclose(X_v3[cell], apply_gain(data.data[cell], gain[cell][0]))
    assert len(set(gain)) > 1


def test_default_plan_never_contaminates_a_class_with_itself():
    plan = default_interference_plan(["music", "speech", "other"], 3)
    assert len(plan) == 3
    for row in plan:
        assert all(source != label for label, source in row.items())
    sources = {source for row in plan for source in row.values()}
    assert "noise" in sources and sources - {"noise"}


def test_v4_interference_comes_from_the_planned_class(data):
    plan = [{0: 1, 1: 2, 2: "noise"}, {0: 2, 1: "noise", 2: 0}, {0: "noise", 1: 0, 2: 1}]
    X_v4, info = make_interference_version(data.data, data.target, data.folds, plan=plan,
                                           random_state=0)
    for fold in range(3):
        for label in range(3):
            cell = (data.folds == fold) & (data.target == label)
            assert set(info["source"][cell]) == {plan[fold][label]}
    np.testing.assert_allclose(snr_db(data.data, X_v4), info["snr_db"], atol=0.1)
    assert 5 < np.mean(info["snr_db"]) < 13  # N(9, 3^2)
    # the interference of class 0 in fold 0 is a clip of class 1 from fold 0
    cell = np.flatnonzero((data.folds == 0) & (data.target == 0))[0]
    residual = X_v4[cell] - data.data[cell]
    candidates = data.data[(data.folds == 0) & (data.target == 1)]
    ratios = [np.corrcoef(residual, c)[0, 1] for c in candidates]
    assert max(ratios) > 0.999


def test_v4_rejects_a_plan_without_source_clips(data):
    plan = [{0: 1, 1: 2, 2: 0}] * 3
    with pytest.raises(ValueError, match="plan has 3 folds, the data 2"):
        make_interference_version(data.data[data.folds < 2], data.target[data.folds < 2],
                                  data.folds[data.folds < 2], plan=plan)
    folds = np.where(data.target == 1, 1, 0)  # class 1 only in fold 1
    with pytest.raises(ValueError, match="no clip of class"):
        make_interference_version(data.data, data.target, folds,
                                  plan=[{0: 1, 1: 0, 2: 0}, {0: 1, 1: 0, 2: 0}])


def test_pink_noise_has_unit_rms_and_falling_spectrum():
    n = pink_noise((4, 16000), random_state=0)
    np.testing.assert_allclose(np.sqrt(np.mean(n**2, axis=1)), 1.0)
    spectrum = np.mean(np.abs(np.fft.rfft(n, axis=1)) ** 2, axis=0)
    assert spectrum[100:200].mean() > 5 * spectrum[2000:4000].mean()


def test_robustness_report_shape_and_markdown(data, tmp_path):
    pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
                         PerSampleNorm(), TemporalStatistics(), StandardScaler(),
                         LogisticRegression(max_iter=500))
    report = robustness_report(pipe, data.data, data.target, gains_db=(0, -20),
                               snrs_db=(np.inf, 6, 0), cv=3, name="PERSA", random_state=0)
    assert isinstance(report, RobustnessReport)
    assert len(report.rows) == 3 * (2 + 3)
    summary = report.summary()
    assert [(k, v) for k, v, *_ in summary] == [("gain", 0), ("gain", -20),
                                                  ("snr", np.inf), ("snr", 6), ("snr", 0)]
    assert all(n == 3 for *_, n in summary)
    # PERSA is gain-invariant: the same accuracy at every gain, fold by fold (up to
    # one of 20 test clips flipping on float32 rounding)
    by_gain = {v: [r["score"] for r in report.rows if r["kind"] == "gain" and r["value"] == v]
               for v in (0, -20)}
    np.testing.assert_allclose(by_gain[0], by_gain[-20], atol=0.051)
    clean = [m for k, v, m, *_ in summary if k == "snr" and v == np.inf][0]
    assert clean == [m for k, v, m, *_ in summary if k == "gain" and v == 0][0]
    text = report.to_markdown()
    assert "| PERSA: condition |" in text and "| gain -20 dB |" in text and "| clean |" in text
    assert report.to_dict()["summary"][0]["n_folds"] == 3
    pytest.importorskip("matplotlib", reason="plot_robustness needs matplotlib")
    plot_robustness([report], tmp_path / "robustness.png")
    assert (tmp_path / "robustness.png").stat().st_size > 1000


def test_log_loses_accuracy_under_gain_where_persa_does_not(data):
    common = [MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16)]
    tail = [TemporalStatistics(), LogisticRegression(max_iter=2000)]
    log = robustness_report(make_pipeline(*common, LogCompression(), *tail), data.data,
                            data.target, gains_db=(0, -30), snrs_db=(), cv=3)
    persa = robustness_report(make_pipeline(*common, PerSampleNorm(), *tail), data.data,
                              data.target, gains_db=(0, -30), snrs_db=(), cv=3)
    log_clean, log_quiet = [m for *_, m, _, _ in log.summary()]
    persa_clean, persa_quiet = [m for *_, m, _, _ in persa.summary()]
    assert abs(persa_quiet - persa_clean) <= 0.051
    assert log_quiet < log_clean - 0.2


# ----------------------------------------------------------- shortcut probe
def watermarked(watermark=True, n_files=12, segments=10, seed=0):
    """Power spectrograms whose audible half carries no class information.

    Low bands: random audible power, the same distribution for both classes.
    High bands: a floor at -130 dB, plus (``watermark``) a -95 dB line in a
    band of the file's own (above the front-ends' -100 dB log floor): a per-file
    watermark that gives away the file, and so its label, to a split that mixes a
    file's segments.
    """
    rng = np.random.default_rng(seed)
    n = n_files * segments
    X = np.full((n, 20, 32), 1e-13)
    X[:, :, :16] = rng.uniform(1e-3, 1, size=(n, 20, 16))
    files = np.repeat(np.arange(n_files), segments)
    labels = rng.permutation(np.arange(n_files) % 2)[files]
    if watermark:
        X[np.arange(n), :, 16 + files] = 10**-9.5
    return X, labels, files


def test_probe_flags_a_watermark_under_a_leaky_split():
    X, y, files = watermarked()
    with pytest.warns(ShortcutWarning, match="predicts the labels"):
        result = shortcut_probe(X, y)
    assert result.shortcut and result.accuracy > 0.9 and result.p_value < 1e-6
    assert result.chance == 0.5


def test_probe_is_quiet_on_clean_data_and_on_a_grouped_split():
    X, y, files = watermarked(watermark=False)
    assert not shortcut_probe(X, y, warn=False).shortcut
    X, y, files = watermarked()
    grouped = shortcut_probe(X, y, groups=files, cv=4, warn=False)
    assert not grouped.shortcut and grouped.accuracy < 0.75


def test_probe_mask_selects_the_probed_bins():
    X, y, files = watermarked()
    mask = np.zeros(X.shape[1:], dtype=bool)
    mask[:, :16] = True  # audible half only: no watermark there
    assert not shortcut_probe(X, y, mask=mask, warn=False).shortcut


def test_persa_plus_at_small_q_hides_the_watermark():
    X, y, files = watermarked()
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def accuracy(frontend):
        pipe = make_pipeline(frontend, TemporalStatistics(), StandardScaler(),
                             LogisticRegression(max_iter=2000))
        return cross_val_score(pipe, X, y, cv=cv).mean()

    assert accuracy(PerSampleNorm()) > 0.9  # the watermark decides
    assert accuracy(PersaPlus(q=3, noise="white", random_state=0)) < 0.75  # buried


def test_cross_validate_protocol_trains_on_one_version_tests_on_others(data):
    from skaudio.robustness import cross_validate_protocol

    pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=256, hop_length=128, n_mels=16),
                         LogCompression(), TemporalStatistics(),
                         LogisticRegression(max_iter=2000))
    quiet = apply_gain(data.data, -30.0)
    scores = cross_validate_protocol(pipe, data.data, data.target, data.folds,
                                     {"same": data.data, "quiet": quiet})
    assert set(scores) == {"same", "quiet"} and len(scores["same"]) == 3
    expected = cross_val_score(pipe, data.data, data.target,
                               cv=[(np.flatnonzero(data.folds != f),
                                    np.flatnonzero(data.folds == f)) for f in range(3)])
    np.testing.assert_allclose(scores["same"], expected)
    assert np.mean(scores["quiet"]) < np.mean(scores["same"])  # LOG is level-bound
    with pytest.raises(ValueError, match="versions of the same clips"):
        cross_validate_protocol(pipe, data.data, data.target, data.folds,
                                {"short": data.data[:10]})


def test_plot_robustness_leaves_matplotlibs_backend_and_pyplot_alone(tmp_path):
    """A library function never calls matplotlib.use nor touches pyplot's state."""
    matplotlib = pytest.importorskip("matplotlib", reason="plot_robustness needs matplotlib")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    rows = [{"kind": kind, "value": value, "fold": fold, "score": 0.5 + 0.1 * fold}
            for kind, values in (("gain", (0, -20)), ("snr", (np.inf, 6)))
            for value in values for fold in range(2)]
    original = matplotlib.get_backend()
    plt.switch_backend("svg")  # the user's choice, not Agg
    try:
        figures = plt.get_fignums()
        fig = plot_robustness(RobustnessReport("PERSA", rows), tmp_path / "plot.png")
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == figures
    finally:
        plt.switch_backend(original)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert (tmp_path / "plot.png").stat().st_size > 1000
