"""Optional progress bars (tqdm), and a silent stand-in."""

from __future__ import annotations

from typing import Any


class _Silent:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress(total: int, show: bool, desc: str, unit: str) -> Any:
    """A tqdm bar when ``show``, else an object with the same ``update`` / ``close`` that prints nothing."""
    if not show:
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit)
