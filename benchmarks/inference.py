"""Inference speed of the reference pipeline MelSpectrogram -> PersaPlus -> VGGLikeClassifier.

    python benchmarks/inference.py [--quick]

The reference system of the PERSA+ paper (``make_frontend_pipeline("persa+")``
at 16 kHz, 64 mel bands, 1-second clips) is trained briefly on synthetic clips,
then timed at prediction:

* **batches**: ``predict_proba`` on batches of clips, in clips per second and
  real-time factor (compute seconds per second of audio: below 1 is faster than
  real time), with each stage's share;
* **single clip**: the latency of ``predict_proba`` on one clip, p50 and p95;
* **overhead**: both against the same work written by hand in the same run,
  alternating -- skaudio's functions ``melspectrogram`` and ``persa_plus`` and
  ``keras.Model.predict`` on the trained network -- so the ratio is the cost of
  the scikit-learn layer (goal: at most 1.10, as for training). Up to one
  batch (``batch_size`` clips) the estimator calls Keras's
  ``predict_on_batch``, which skips ``predict``'s data pipeline and callbacks
  (the same numbers, about a millisecond sooner), so on single clips the
  pipeline can beat the hand-written ``predict`` call.

Absolute times are noisy on a shared machine; the ratios are measured in one
run with the candidates alternating.
"""

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _common import alternate, median, timed, write  # noqa: E402

import skaudio  # noqa: E402, F401  (selects the backend before Keras loads)
from skaudio import make_frontend_pipeline  # noqa: E402
from skaudio.datasets import make_audio_classification  # noqa: E402
from skaudio.features import melspectrogram  # noqa: E402
from skaudio.frontends import persa_plus  # noqa: E402

SR, DURATION, N_MELS, Q = 16000, 1.0, 64, 9.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer clips and repeats")
    args = parser.parse_args(argv)
    if args.quick:
        n_train, batch_sizes, repeats, n_single, epochs = 64, (16,), 2, 10, 1
    else:
        n_train, batch_sizes, repeats, n_single, epochs = 256, (32, 256), 9, 100, 2

    data = make_audio_classification(n_samples=max(n_train, max(batch_sizes)), n_classes=4,
                                     duration=DURATION, sr=SR, random_state=0)
    X, y = data.data, data.target
    pipe = make_frontend_pipeline("persa+", q=Q, sr=SR, n_mels=N_MELS, epochs=epochs,
                                  random_state=0)
    pipe.fit(X[:n_train], y[:n_train])
    mel, front, clf = (step for _, step in pipe.steps)
    model, keras_batch = clf.model_, clf.batch_size

    def by_hand(clips):
        S = melspectrogram(clips, sr=SR, n_fft=mel.n_fft, hop_length=mel.hop_length,
                           n_mels=N_MELS)
        Z = persa_plus(S, q=Q, random_state=front.random_state)
        return model.predict(Z[..., np.newaxis], batch_size=keras_batch, verbose=0)

    # the two paths compute the same probabilities
    np.testing.assert_allclose(pipe.predict_proba(X[:8]), by_hand(X[:8]), rtol=1e-4,
                               atol=1e-6)

    def repeats_for(n):
        # Small batches take tens of milliseconds: more repeats, so that their
        # medians are as steady as the largest batch's.
        return repeats * max(1, max(batch_sizes) // n)

    rows, goals, record = [], [], {"batches": {}, "single_clip": {}}
    for n in batch_sizes:
        clips = X[:n]
        pipe.predict_proba(clips)  # warm: compiles the prediction step for this shape
        by_hand(clips)
        times = alternate({"skaudio": lambda: pipe.predict_proba(clips),
                           "by hand": lambda: by_hand(clips)}, repeats_for(n))
        S = mel.transform(clips)
        Z = front.transform(S)
        stages = {"mel": median([timed(lambda: mel.transform(clips)) for _ in range(3)]),
                  "persa+": median([timed(lambda: front.transform(S)) for _ in range(3)]),
                  "network": median([timed(lambda: clf.predict_proba(Z))
                                     for _ in range(3)])}
        t = median(times["skaudio"])
        ratio = t / median(times["by hand"])
        rtf = t / (n * DURATION)
        record["batches"][n] = {"seconds": times, "stage_seconds": stages,
                                "clips_per_second": n / t, "real_time_factor": rtf,
                                "ratio_to_by_hand": ratio}
        share = ", ".join(f"{k} {100 * v / sum(stages.values()):.0f} %"
                          for k, v in stages.items())
        rows.append(f"| batch of {n} | {n / t:.0f} clips/s | RTF {rtf:.4f} "
                    f"({1 / rtf:.0f}x real time) | {ratio:.3f} | {share} |")
        goals.append({"figure": f"inference, batch of {n} 1-s clips: clips per second",
                      "value": n / t, "unit": "clips/s", "goal": "report", "met": None})
        goals.append({"figure": f"inference, batch of {n}: real-time factor "
                                "(compute s per s of audio)",
                      "value": rtf, "unit": "", "goal": "< 1", "met": bool(rtf < 1)})
        goals.append({"figure": f"inference, batch of {n}: pipeline / by hand",
                      "value": ratio, "unit": "x", "goal": "<= 1.10",
                      "met": bool(ratio <= 1.10)})

    # single-clip latency, alternating the two paths clip by clip
    one = {"skaudio": [], "by hand": []}
    for path in (lambda c: pipe.predict_proba(c), by_hand):
        path(X[:1])  # warm: compiles the one-sample shape
    for i in range(n_single):
        clip = X[i % X.shape[0]][np.newaxis]
        one["skaudio"].append(timed(lambda: pipe.predict_proba(clip)))
        one["by hand"].append(timed(lambda: by_hand(clip)))
    p50, p95 = (float(np.percentile(one["skaudio"], p)) for p in (50, 95))
    ratio = median(one["skaudio"]) / median(one["by hand"])
    record["single_clip"] = {"seconds": one, "p50": p50, "p95": p95,
                             "by_hand_p50": float(np.percentile(one["by hand"], 50)),
                             "ratio_to_by_hand": ratio}
    rows.append(f"| single clip | latency p50 {1e3 * p50:.1f} ms, p95 {1e3 * p95:.1f} ms "
                f"| RTF {p95 / DURATION:.4f} (p95) | {ratio:.3f} | |")
    goals += [
        {"figure": "single 1-s clip latency p50", "value": 1e3 * p50, "unit": "ms",
         "goal": "report", "met": None},
        {"figure": "single 1-s clip latency p95", "value": 1e3 * p95, "unit": "ms",
         "goal": "< 1000 (real time)", "met": bool(p95 < DURATION)},
        {"figure": "single-clip latency: pipeline / by hand (medians)", "value": ratio,
         "unit": "x", "goal": "<= 1.10", "met": bool(ratio <= 1.10)},
    ]

    print(f"inference: MelSpectrogram(sr={SR}, n_mels={N_MELS}) -> PersaPlus(q={Q:g}) -> "
          f"VGGLikeClassifier, {DURATION:g}-s clips, "
          + ", ".join(f"{repeats_for(n)} alternating repeats for a batch of {n}"
                      for n in batch_sizes)
          + f", {n_single} single clips")
    print("| input | throughput / latency | real-time factor | pipeline / by hand "
          "| stage shares |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n(absolute times are noisy on a shared machine; the ratios are measured in "
          "one run, alternating the two paths)")
    path = write("inference_quick" if args.quick else "inference", {
        "setup": {"sr": SR, "clip_seconds": DURATION, "n_mels": N_MELS, "q": Q,
                  "n_train": n_train, "epochs": epochs, "batch_sizes": list(batch_sizes),
                  "repeats": {n: repeats_for(n) for n in batch_sizes},
                  "single_clips": n_single,
                  "keras_predict_batch_size": keras_batch, "quick": args.quick},
        **record, "goals": goals,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
