"""The runner's worker processes fork from one warm server (papermill and nbconvert imported, HTML
templates compiled) instead of each spawning and importing them anew (about 1.3 s per notebook).

Kept free of heavy imports so that ``custlab run`` can start the server first thing, letting its
preload overlap the command's own imports, validation and cache preparation.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import tempfile

_CONTEXT = None
# a Unix socket's path holds at most 107 bytes; the longest custlab makes is a kernel's,
# SOCKETS/custlab-XXXXXXXX/kernel-XXXXXXXX/k-4 (multiprocessing's own, pymp-XXXXXXXX/listener-XXXXXXXX, is shorter)
_SOCKET_PATH_ROOM = 107 - len("/custlab-XXXXXXXX/kernel-XXXXXXXX/k-4")


def socket_root() -> str | None:
    """Where the runner's Unix sockets go: the temporary folder, or /tmp when TMPDIR is too deep for
    a socket path (a scheduler's or a test's private folder), where every bind would fail with
    "AF_UNIX path too long" or ZMQ's "File name too long". None means the temporary folder."""
    if len(os.fsencode(tempfile.gettempdir())) <= _SOCKET_PATH_ROOM or not os.access("/tmp", os.W_OK):
        return None
    return "/tmp"


def context():
    """The forkserver context whose server preloads :mod:`custlab.run._warm`."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = mp.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["custlab.run._warm"])
    return _CONTEXT


def start() -> None:
    """Start the server now (its preload runs in the background until the first worker forks)."""
    from multiprocessing import forkserver

    context()
    saved = tempfile.tempdir
    tempfile.tempdir = socket_root() or saved
    try:  # multiprocessing makes its folder for the server's socket (once) with tempfile's default
        forkserver.ensure_running()
    finally:
        tempfile.tempdir = saved
