"""Checks for optional libraries, so that nothing is ever installed at run time.

pymilvus-model calls ``pip install`` when a library it wants is missing. Every code path of this
package that reaches pymilvus-model checks the library first with ``require`` and raises
``MissingDependencyError`` naming the extra to install.
"""

from __future__ import annotations

import importlib.util

from milvus_model_adapters.errors import MissingDependencyError


def is_installed(module: str) -> bool:
    """Return whether ``module`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, *, extra: str | None = None, package: str | None = None, purpose: str = "") -> None:
    """Raise a clear error unless ``module`` is importable.

    Args:
        module: Import name to look for, such as ``"langchain_core"``.
        extra: Extra of this package that installs it, such as ``"langchain"``.
        package: Distribution name to suggest when no extra covers it.
        purpose: What the caller needed it for, for the message.

    Raises:
        MissingDependencyError: If the module cannot be found.
    """
    if is_installed(module):
        return
    hint = f'pip install "milvus-model-adapters[{extra}]"' if extra is not None else f"pip install {package or module}"
    what = f" for {purpose}" if purpose else ""
    raise MissingDependencyError(f"{module!r} is required{what} but is not installed; install it with: {hint}")
