"""Command line: ``python -m skaudio demo`` (also installed as ``skaudio demo``)."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="skaudio", description="scikit-learn compatible audio classification."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="train the PERSA+ paper's six systems on built-in synthetic data "
             "(about two minutes on 2 cores)",
    )
    demo.add_argument("--n-samples", type=int, default=360, help="clips to generate")
    demo.add_argument("--epochs", type=int, default=25, help="training epochs per system")
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(n_samples=args.n_samples, epochs=args.epochs, random_state=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
