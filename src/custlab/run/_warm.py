"""Imported once by the runner's fork server, so that every notebook worker starts warm:
papermill (with the runner's engine) and IPython imported, ready to start a kernel.

``rfc3987_syntax`` is kept out of this process. jsonschema (imported by nbformat, imported by
papermill) loads it eagerly for its optional ``iri`` format checks, and it builds some 35 Earley
parsers at import: 0.65 s of the 0.9 s papermill import here, on the path before the first notebook
can start (python-jsonschema/jsonschema#1428; opendatahub-io/notebooks#3532). No notebook schema uses
the ``iri`` formats, and jsonschema treats the module as optional; notebook kernels are separate
processes and unaffected.
"""
import signal
import sys

# Ctrl-C reaches every process of the terminal's group: the command alone decides, stops the
# workers and the cleaning process itself and writes what happened (these inherit this setting)
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.modules.setdefault("rfc3987_syntax", None)  # an ImportError for whoever asks: jsonschema skips it

import IPython.lib.lexers  # noqa: E402,F401 - papermill's run imports IPython, as do the exporters: not two threads at once
import encodings.unicode_escape  # noqa: E402,F401 - likewise imported by both threads of a worker
import ipykernel.kernelspec  # noqa: E402,F401 - what papermill imports when it starts a kernel
import papermill  # noqa: E402,F401
import pwd  # noqa: E402,F401 - likewise imported by both threads of a worker

from . import _engine, _worker  # noqa: E402,F401

# nbconvert and its templates are not loaded here: a worker's warm-up thread loads them while its
# kernel starts, and the first kernel of a run starts 0.09 s sooner (this preload is on its path).
# What a worker's main thread imports while it executes a notebook (IPython, pygments, and the two
# modules above) is preloaded, so the two threads never import the same module at once.
