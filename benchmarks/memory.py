"""Peak memory of AudioLoader -> MelSpectrogram against the size of their outputs.

    python benchmarks/memory.py [--quick]

Each size is measured in a fresh Python process: ``AudioLoader(sr=16000,
duration=1.0, n_jobs=-1)`` decodes the first ``n`` FSDD recordings (read from
``../shared/data/fsdd`` or ``$SKAUDIO_FSDD``) and ``MelSpectrogram(sr=16000)``
turns them into ``(n, 32, 128)`` float32 spectrograms. The traced peak
(``tracemalloc``, which sees numpy's buffers) and the growth of the process's
peak resident memory (``getrusage``) are compared with the two arrays the
stages return (waveforms and spectrograms). Both work in fixed-size chunks
(files decoded straight into their output row; a few clips framed, transformed
and multiplied per thread), so the peak is the outputs plus a constant that
does not grow with ``n``. Goal: peak minus outputs at most 64 MiB at every
``n``, and growing by less than 16 MiB from the smallest to the largest ``n``.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))

MIB = 2**20

CHILD = r"""
import json, resource, sys, tracemalloc
import skaudio
from skaudio import AudioLoader, MelSpectrogram
from skaudio.datasets import load_fsdd

all_files = list(load_fsdd(sys.argv[1]).filenames)
loader, mel = AudioLoader(sr=16000, duration=1.0, n_jobs=-1), MelSpectrogram(sr=16000)
loader.fit(all_files[:1])
mel.fit_transform(loader.transform(all_files[:8]))  # imports, plans and pools warmed up
rows = []
for n in map(int, sys.argv[2:]):  # one size per process, or several with --quick
    files = all_files[:n]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    waves = loader.transform(files)
    spectra = mel.transform(waves)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rows.append({"n_files": len(files), "waveform_bytes": waves.nbytes,
                 "spectrogram_bytes": spectra.nbytes, "traced_peak_bytes": peak,
                 "rss_peak_growth_bytes": rss_after - rss_before})
    del waves, spectra
print(json.dumps(rows))
"""


def measure(fsdd, sizes):
    result = subprocess.run([sys.executable, "-c", CHILD, str(fsdd), *map(str, sizes)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a check that it runs (100 and 200 files), not a measurement")
    args = parser.parse_args(argv)

    from _common import write
    from from_files import FSDD, fsdd_files

    import skaudio  # noqa: F401  (selects skaudio's Keras backend first)

    fsdd_files()  # exits with a message when the dataset is missing
    sizes = (100, 200) if args.quick else (750, 1500, 3000)
    # A fresh process per size, so that each peak RSS is its own; --quick
    # measures both sizes in one process (the RSS growth of the second is then
    # only what exceeds the first's peak).
    rows = measure(FSDD, sizes) if args.quick else [r for n in sizes
                                                    for r in measure(FSDD, [n])]
    for r in rows:
        r["outputs_bytes"] = r["waveform_bytes"] + r["spectrogram_bytes"]
        r["excess_bytes"] = r["traced_peak_bytes"] - r["outputs_bytes"]

    print("AudioLoader -> MelSpectrogram, peak memory against the outputs "
          "(each size in a fresh process)")
    print("| files | outputs (MiB) | traced peak (MiB) | peak - outputs (MiB) | "
          "peak RSS growth (MiB) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n_files']} | {r['outputs_bytes'] / MIB:.0f} | "
              f"{r['traced_peak_bytes'] / MIB:.0f} | {r['excess_bytes'] / MIB:.1f} | "
              f"{r['rss_peak_growth_bytes'] / MIB:.0f} |")
    excess = max(r["excess_bytes"] for r in rows) / MIB
    growth = (rows[-1]["excess_bytes"] - rows[0]["excess_bytes"]) / MIB
    print(f"\nlargest peak - outputs: {excess:.1f} MiB (goal <= 64); its growth from "
          f"{sizes[0]} to {sizes[-1]} files: {growth:+.1f} MiB (goal < 16)")

    largest = rows[-1]
    goals = [
        {"figure": f"memory: traced peak - outputs, AudioLoader -> MelSpectrogram "
                   f"({largest['n_files']} files)", "value": largest["excess_bytes"] / MIB,
         "unit": "MiB", "goal": "<= 64 MiB", "met": excess <= 64},
        {"figure": f"memory: growth of peak - outputs from {sizes[0]} to "
                   f"{sizes[-1]} files", "value": growth, "unit": "MiB",
         "goal": "< 16 MiB", "met": growth < 16},
        {"figure": f"memory: traced peak / outputs ({largest['n_files']} files)",
         "value": largest["traced_peak_bytes"] / largest["outputs_bytes"], "unit": "x",
         "goal": "", "met": None},
    ]
    path = write("memory_quick" if args.quick else "memory", {
        "setup": {"sizes": list(sizes), "sr": 16000, "seconds": 1.0, "n_mels": 128,
                  "quick": args.quick},
        "runs": rows, "goals": goals,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
