"""Datasets and models of the command line: reading them, with clear errors."""

import json
import os
from pathlib import Path

import numpy as np

from ._console import CLIError, write_atomically


def read_dataset(source, *, sr, duration, group_pattern, on_error, console,
                 label_pattern=None):
    """Decode DATA (class folders or a CSV) into waveforms, labels and groups."""
    from ..datasets import load_audio_csv, load_audio_folder
    from ..io import load_files

    if os.path.isdir(source):
        bunch = load_audio_folder(source, label_pattern=label_pattern,
                                  group_pattern=group_pattern)
    elif os.path.isfile(source) and source.lower().endswith(".csv"):
        if group_pattern is not None or label_pattern is not None:
            raise CLIError("--label-pattern and --group-pattern apply to folders; a CSV "
                           "gives labels and groups in its columns")
        bunch = load_audio_csv(source)
    elif os.path.exists(source):
        raise CLIError(f"{source} is neither a folder of class sub-folders nor a .csv file")
    else:
        raise CLIError(f"{source} does not exist")
    with console.progress(f"decoding {len(bunch.filenames)} files", len(bunch.filenames)) \
            as update:
        decoded = load_files(bunch.filenames, sr=sr, duration=duration,
                             on_error="skip" if on_error == "skip" else "raise",
                             callback=update)
    for filename, reason in decoded.errors:
        console.warn(f"skipped {filename}: {reason}")
    labels = np.asarray(bunch.target_names)[bunch.target][decoded.decoded]
    groups = None if bunch.groups is None else bunch.groups[decoded.decoded]
    return decoded.data, labels, groups, bunch.filenames[decoded.decoded], decoded.errors


def label_scores(y_true, y_pred):
    """The PERSA+/CAB-CNN papers' scores of one set of predictions (``PAPER_SCORING``)."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "unweighted_recall": float(balanced_accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro"))}


def sidecar_path(model_path):
    """``model.joblib`` -> ``model.joblib.json``: what the model was trained on."""
    return Path(f"{os.fspath(model_path)}.json")


def save_model(estimator, path, info):
    """The fitted pipeline with joblib, and a JSON of what it was trained on beside it."""
    import joblib

    write_atomically(path, lambda tmp: joblib.dump(estimator, tmp))
    text = json.dumps(info, indent=2, default=_json_default) + "\n"
    write_atomically(sidecar_path(path), lambda tmp: Path(tmp).write_text(text))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def load_model(path, *, sr=None, duration=None):
    """``(model, info)``: a joblib pipeline with its JSON, or an exported ONNX file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CLIError(f"model file {path} does not exist")
    if path.lower().endswith(".onnx"):
        from ..export import ONNXClassifier

        model = ONNXClassifier(path)
        try:
            meta = model.metadata_
        except Exception as exc:  # noqa: BLE001 - any unreadable file: one line
            raise CLIError(f"{path} is not an ONNX file skaudio exported ({exc})") from None
        if meta.get("python_steps"):
            raise CLIError(f"{path} needs the steps {meta['python_steps']} in Python before "
                           "it: predict with the joblib file 'skaudio export' wrote beside it")
        info = json.loads(sidecar_path(path).read_text()) if sidecar_path(path).is_file() \
            else {}
        if meta.get("sample_rate"):  # the file reads waveforms
            shortest, longest = meta["input_samples"]
            duration = info.get("duration") or longest / meta["sample_rate"]
            if not shortest <= round(duration * meta["sample_rate"]) <= longest:
                duration = longest / meta["sample_rate"]
            info.update(sample_rate=meta["sample_rate"], duration=duration)
    else:
        import joblib

        try:
            model = joblib.load(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file: one line
            raise CLIError(f"{path} is not a skaudio model (a joblib file of a fitted "
                           f"pipeline): {type(exc).__name__}: {exc}") from None
        if not hasattr(model, "predict") or not hasattr(model, "classes_"):
            raise CLIError(f"{path} holds a {type(model).__name__}, not a fitted classifier")
        info = {}
        if sidecar_path(path).is_file():
            info = json.loads(sidecar_path(path).read_text())
    info = {**info, **{k: v for k, v in (("sample_rate", sr), ("duration", duration))
                       if v is not None}}
    if not info.get("sample_rate") or not info.get("duration"):
        raise CLIError(f"the sample rate and clip duration of {path} are unknown (its JSON "
                       f"{sidecar_path(path)} is missing): pass --sr and --duration")
    return model, info
