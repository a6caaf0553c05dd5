"""``skaudio export MODEL OUT.onnx``: the trained pipeline as one ONNX file."""

import json
import os

from ._console import CLIError
from ._data import load_model, save_model, sidecar_path


def run(args, console):
    from ..export import export_network

    if not args.out.lower().endswith(".onnx"):
        raise CLIError(f"the exported file's name must end in .onnx; got {args.out}")
    model, info = load_model(args.model)
    quantize = None if args.quantize == "none" else args.quantize
    try:
        deployed = export_network(model, args.out, quantize=quantize)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"cannot export {args.model}: {exc}") from None
    size_kb = os.path.getsize(args.out) / 1e3
    steps = getattr(deployed, "steps", None)
    if steps:
        # Steps ONNX cannot express stay in Python: save the deployed pipeline too.
        joblib_path = args.out[:-len(".onnx")] + ".deployed.joblib"
        save_model(deployed, joblib_path, {**info, "exported": args.out})
        console.info(f"wrote {args.out} ({size_kb:.0f} KB, {quantize or 'float32'}); the "
                     f"steps {[name for name, _ in steps[:-1]]} stay in Python: predict "
                     f"with {joblib_path}")
    else:
        console.info(f"wrote {args.out} ({size_kb:.0f} KB, {quantize or 'float32'}): it "
                     "reads waveforms, no Python needed")
    sidecar_path(args.out).write_text(json.dumps({**info, "quantize": quantize},
                                                 indent=2, default=str) + "\n")
    return 0
