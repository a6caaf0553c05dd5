"""``skaudio predict MODEL FILES...``: one line per file, streamed in batches."""

import csv
import json
import os
import sys

import numpy as np

from ._console import CLIError
from ._data import load_model


def run(args, console):
    from ..io import load_files

    model, info = load_model(args.model, sr=args.sr, duration=args.duration)
    if not args.files:
        raise CLIError("no files to predict")
    for path in args.files:
        if os.path.isdir(path):
            raise CLIError(f"{path} is a folder: pass its files (for example {path}/*.wav)")
    if not hasattr(model, "predict_proba") and args.proba:
        raise CLIError("this model gives no probabilities: drop --proba")
    if not str(args.model).lower().endswith(".onnx"):
        from .._keras import enable_compilation_cache

        enable_compilation_cache()  # the prediction step compiles once per machine
    classes = [str(c) for c in np.asarray(model.classes_).tolist()]
    out = sys.stdout
    writer = csv.writer(out, lineterminator="\n") if args.format == "csv" else None
    if writer is not None:
        writer.writerow(["path", "label"] + ([f"p_{c}" for c in classes] if args.proba
                                             else []))
    failed = 0
    for start in range(0, len(args.files), args.batch_size):
        batch = args.files[start:start + args.batch_size]
        decoded = load_files(batch, sr=int(info["sample_rate"]),
                             duration=float(info["duration"]),
                             on_error="skip" if args.on_error == "skip" else "raise")
        for filename, reason in decoded.errors:
            console.warn(f"skipped {filename}: {reason}")
        failed += len(decoded.errors)
        if not len(decoded.data):
            continue
        if args.proba:
            proba = model.predict_proba(decoded.data)
            labels = np.asarray(model.classes_)[np.argmax(proba, axis=1)]
        else:
            proba, labels = None, model.predict(decoded.data)
        for i, path in enumerate(np.asarray(batch)[decoded.decoded]):
            label = np.asarray(labels[i]).item()
            if writer is not None:
                writer.writerow([path, label] + ([f"{p:.6g}" for p in proba[i]]
                                                 if args.proba else []))
            else:
                row = {"path": str(path), "label": label}
                if args.proba:
                    row["proba"] = dict(zip(classes, map(float, proba[i])))
                out.write(json.dumps(row) + "\n")
        out.flush()
    return 1 if failed and args.on_error == "stop" else 0
