"""Imported once by the runner's fork server, so that every notebook worker starts warm:
papermill (with the runner's engine) and nbconvert imported, both HTML templates compiled.

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

import IPython.lib.lexers  # noqa: E402,F401 - the exporters' lexers; imported here, not by two threads at once
import ipykernel.kernelspec  # noqa: E402,F401 - what papermill imports when it starts a kernel
import papermill  # noqa: E402,F401

from . import _engine, _worker, report  # noqa: E402,F401

report.warm_exporters()
