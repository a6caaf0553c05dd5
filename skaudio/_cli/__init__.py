"""The ``skaudio`` command line: demo, train, evaluate, predict, export.

Each command is a thin layer over the library (``skaudio.datasets``,
``skaudio.io.load_files``, ``skaudio.robustness``, ``skaudio.report``,
``skaudio.export``); the modules here parse arguments, show progress and
turn errors into one line and a non-zero exit status.
"""

import argparse
import os
import sys

from ._console import CLIError, Console, silence_libraries

EPILOG = """examples:
  skaudio train recordings/ --system persa+ --out model.joblib --report train.html
  skaudio evaluate model.joblib test_recordings/ --report evaluate.html
  skaudio predict model.joblib clip1.wav clip2.wav --proba --format json
  skaudio export model.joblib model.onnx

DATA is a folder with one sub-folder of audio files per class, or a CSV file with
the columns path,label[,group]. Model files are joblib (pickle) files: load only
models you trust."""


def _data_options(parser, *, sample_rate=True):
    if sample_rate:
        parser.add_argument("--sr", type=int, default=16000,
                            help="sample rate the audio is decoded at (default 16000)")
        parser.add_argument("--duration", type=float, default=1.0,
                            help="seconds of every clip: longer files are cut, shorter "
                                 "padded with silence (default 1.0)")
    parser.add_argument("--label-pattern", metavar="REGEX",
                        help="regular expression whose first group in a file name is its "
                             "class, for a folder of files without class sub-folders; "
                             "FSDD: '^(\\d)_'")
    parser.add_argument("--group-pattern", metavar="REGEX",
                        help="regular expression whose first group in a file name is its "
                             "source (speaker, session), for grouped cross-validation; "
                             "FSDD: '_([a-z]+)_'")
    parser.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                        help="a file that cannot be decoded stops the run (default) or is "
                             "reported and skipped")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skaudio", description="scikit-learn compatible audio classification.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true",
                        help="print only results, warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", parents=[common], help="train the PERSA+ paper's six systems on built-in "
                          "synthetic data (about two minutes on 2 cores)")
    demo.add_argument("--n-samples", type=int, default=360, help="clips to generate")
    demo.add_argument("--epochs", type=int, default=25, help="training epochs per system")
    demo.add_argument("--seed", type=int, default=0, help="random seed")

    train = sub.add_parser(
        "train", parents=[common], help="cross-validate a system on DATA, then fit it on "
                           "every file and save it")
    train.add_argument("data", metavar="DATA")
    train.add_argument("--system", default="persa+",
                       help="log, log-au, log-t, persa, persa+ (default) or pcen: the "
                            "PERSA+ paper's front-ends with its VGG-like CNN")
    train.add_argument("--out", required=True, help="the model file to write (joblib)")
    train.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                       help="a pipeline parameter, e.g. epochs=20 or persaplus__q=6 "
                            "(repeatable)")
    train.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                       help="values to grid-search inside every fold (repeatable)")
    train.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    train.add_argument("--n-mels", type=int, default=64, help="mel bands (default 64)")
    train.add_argument("--n-fft", type=int, default=1024,
                       help="FFT size; the hop is a quarter of it (default 1024)")
    train.add_argument("--seed", type=int, default=0, help="random seed")
    train.add_argument("--report", metavar="HTML", help="write an HTML report")
    _data_options(train)

    evaluate = sub.add_parser(
        "evaluate", parents=[common], help="score a trained model on DATA, clean and "
                              "under the PERSA+ paper's gain and interference protocols")
    evaluate.add_argument("model", metavar="MODEL")
    evaluate.add_argument("data", metavar="DATA")
    evaluate.add_argument("--report", metavar="HTML", help="write an HTML report")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the gains and noise")
    evaluate.add_argument("--sr", type=int, help="override the model's sample rate")
    evaluate.add_argument("--duration", type=float, help="override the model's duration")
    _data_options(evaluate, sample_rate=False)

    predict = sub.add_parser(
        "predict", parents=[common], help="predict the class of audio files")
    predict.add_argument("model", metavar="MODEL", help="a joblib or exported .onnx model")
    predict.add_argument("files", metavar="FILE", nargs="+")
    predict.add_argument("--proba", action="store_true", help="also print probabilities")
    predict.add_argument("--format", choices=("csv", "json"), default="csv",
                         help="csv (default, with a header) or JSON lines")
    predict.add_argument("--batch-size", type=int, default=64,
                         help="files decoded and predicted at a time (bounds the memory)")
    predict.add_argument("--on-error", choices=("stop", "skip"), default="stop")
    predict.add_argument("--sr", type=int, help="override the model's sample rate")
    predict.add_argument("--duration", type=float, help="override the model's duration")

    export = sub.add_parser(
        "export", parents=[common], help="export a trained model to ONNX (needs "
                            "skaudio[export])")
    export.add_argument("model", metavar="MODEL")
    export.add_argument("out", metavar="OUT.onnx")
    export.add_argument("--quantize", choices=("int8", "int8-dynamic", "none"),
                        default="int8", help="weights in int8 (default) or float32 (none)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    console = Console(quiet=args.quiet)
    if args.command == "demo":
        from ..demo import run_demo

        run_demo(n_samples=args.n_samples, epochs=args.epochs, random_state=args.seed)
        return 0
    silence_libraries()
    if args.command == "train":
        from ._train import run
    elif args.command == "evaluate":
        from ._evaluate import run
    elif args.command == "predict":
        from ._predict import run
    else:
        from ._export import run
    try:
        return run(args, console)
    except (CLIError, ValueError, OSError, ImportError, TypeError) as exc:
        if os.environ.get("SKAUDIO_DEBUG"):
            raise
        message = " ".join(str(exc).split())  # one line
        print(f"skaudio: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("skaudio: interrupted", file=sys.stderr)
        return 130
