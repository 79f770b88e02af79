"""Imported once by the runner's fork server, so that every notebook worker starts warm:
papermill and nbconvert imported, both HTML templates compiled."""
import papermill  # noqa: F401

from . import report, runner  # noqa: F401

report.warm_exporters()
