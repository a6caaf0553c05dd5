"""Messages and progress of the command line: on a terminal, quiet otherwise."""

import contextlib
import os
import sys
import warnings


class CLIError(Exception):
    """A problem the user can fix: printed as one line, exit status 1."""


class Console:
    """Where the commands talk: stderr, with progress bars only on a terminal.

    Parameters
    ----------
    quiet : bool
        Print nothing but errors and warnings about the data.
    """

    def __init__(self, quiet=False):
        self.quiet = quiet
        self.interactive = not quiet and sys.stderr.isatty()

    def info(self, message):
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def warn(self, message):
        print(f"skaudio: warning: {message}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def progress(self, description, total):
        """A function ``update(n_done)`` for a task of ``total`` steps."""
        if not self.interactive:
            self.info(f"{description}...")
            yield lambda done: None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), transient=True,
                      console=_rich_console()) as bar:
            task = bar.add_task(description, total=total)
            yield lambda done: bar.update(task, completed=done)
        self.info(f"{description}: done")


def _rich_console():
    from rich.console import Console as RichConsole

    return RichConsole(file=sys.stderr)


def silence_libraries():
    """Keep Keras's, JAX's and TensorFlow's internal messages from the user.

    Called by the command line only (an application, not the library): it sets
    their log levels and ignores their deprecation and future warnings.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "jax")
    for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    for module in ("keras", "jax", "scikeras", "absl", "onnxruntime"):
        warnings.filterwarnings("ignore", module=module)
    import logging

    for name in ("jax", "absl", "root"):
        logging.getLogger(name).setLevel(logging.ERROR)


def write_atomically(path, write):
    """``write(temporary_path)``, then rename onto ``path``: never a half-written file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CLIError(f"cannot write {path}: the folder {folder} does not exist")
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
