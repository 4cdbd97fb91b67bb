"""botocore's data (``endpoints.json``, the services' models) read once a process.

botocore caches what its data loader reads per loader, and every botocore session makes a
loader of its own. In a simulated run that means the same files read again and again:
moto's EC2 module makes three ``boto3.Session()`` at import and one more each time it
makes an account's EC2 backend (each reading ``endpoints.json`` and EC2's model, the
largest botocore has), and each simulated session of the harness makes one more.
Measured on the embedded default (``pytest`` on the features, one process): EC2's model
read 4 times and ``endpoints.json`` 6 times, about 0.9 s of JSON; read once each with the
loader shared (``tests/unit/test_botocore_data.py`` counts the reads both ways).

:func:`share_across_sessions` makes every botocore session of the process that uses
botocore's default data path use :func:`shared_loader`. A session given a data path of
its own (``AWS_DATA_PATH``, the ``data_path`` setting) keeps a loader of its own. What a
loader reads is botocore's installed data files, the same for every session, so sharing
it changes no answer.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()


class _Paths(list):
    """A loader's search paths that keep one copy of each: boto3 appends its own data
    folder to the loader of every session it makes, and a path listed twice is searched
    twice (each service's ``sdk-extras`` file read once per copy)."""

    def append(self, path: Any) -> None:
        if path not in self:
            super().append(path)

    def insert(self, index: Any, path: Any) -> None:
        if path not in self:
            super().insert(index, path)

    def extend(self, paths: Any) -> None:
        for path in paths:
            self.append(path)


_loader: Any = None
_installed = False


def shared_loader() -> Any:
    """The process's one ``botocore.loaders.Loader`` over botocore's default data path,
    its search paths kept without duplicates (:class:`_Paths`)."""
    global _loader
    import botocore.loaders

    with _lock:
        if _loader is None:
            loader = botocore.loaders.create_loader()
            if isinstance(getattr(loader, "_search_paths", None), list):  # botocore's own name for them
                loader._search_paths = _Paths(dict.fromkeys(loader._search_paths))
            _loader = loader
        return _loader


def share_across_sessions() -> None:
    """From now on, every botocore session of this process created without a data path of
    its own uses :func:`shared_loader`. Idempotent. Call it before importing moto (the
    moto extension, :mod:`wscard.aws.moto_ext`, does) so that moto's own sessions share it."""
    global _installed
    import botocore.session

    with _lock:
        if _installed:
            return
        original = botocore.session.create_loader

        def create_loader(search_path_string: str | None = None) -> Any:
            if search_path_string is None:
                return shared_loader()
            return original(search_path_string)

        botocore.session.create_loader = create_loader
        _installed = True
