"""The runner's worker processes fork from one warm server (papermill and nbconvert imported, HTML
templates compiled) instead of each spawning and importing them anew (about 1.3 s per notebook).

Kept free of heavy imports so that ``custlab run`` can start the server first thing, letting its
preload overlap the command's own imports, validation and cache preparation.
"""
from __future__ import annotations

import multiprocessing as mp

_CONTEXT = None


def context():
    """The forkserver context whose server preloads :mod:`custlab._warm`."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = mp.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["custlab._warm"])
    return _CONTEXT


def start() -> None:
    """Start the server now (its preload runs in the background until the first worker forks)."""
    from multiprocessing import forkserver

    context()
    forkserver.ensure_running()
