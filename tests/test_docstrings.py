"""Every public function and class documents itself as numpydoc expects.

The public names are those of ``skaudio.PUBLIC_MODULES``' ``__all__`` (the
API reference lists the same). Each has a summary, ``Parameters`` naming
exactly its signature's arguments, ``Returns`` (functions), ``Examples`` and
a ``References`` section naming the paper or work it implements.
"""

import importlib
import inspect
import warnings

import pytest

import skaudio

numpydoc_validate = pytest.importorskip(
    "numpydoc.validate", reason="numpydoc (the test extra) checks the docstrings")

# numpydoc's codes: GL08 no docstring, SS01 no summary, PR01 an argument not
# documented, PR02 a documented argument the signature lacks, RT01 no Returns
# section, EX01 no Examples section.
CHECKS = {"GL08", "SS01", "PR01", "PR02", "RT01", "EX01"}


def public_objects():
    """``{import path: object}`` of every public function and class, once each."""
    found = {}
    for module_name in skaudio.PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants and submodules
            path = f"{obj.__module__}.{obj.__qualname__}"
            if obj.__module__.split(".")[-1].startswith("_"):
                path = f"{module_name}.{name}"  # documented where it is public
            found.setdefault(id(obj), (path, obj))
    return dict(found.values())


PUBLIC = public_objects()


def test_public_modules_define_all():
    for module_name in skaudio.PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        assert hasattr(module, "__all__"), f"{module_name} lacks __all__"
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, f"{module_name}.__all__ names what it lacks: {missing}"


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_docstring(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpydoc warns on a section it cannot parse
        result = numpydoc_validate.validate(path)
    errors = [f"{code}: {message}" for code, message in result["errors"] if code in CHECKS
              and not (code == "RT01" and inspect.isclass(PUBLIC[path]))]
    references = result.get("docstring", "")
    if "References\n    ----------" not in references and \
            "References\n----------" not in references:
        errors.append("References: no section naming the paper or work it implements")
    assert not errors, f"{path}:\n" + "\n".join(errors)
