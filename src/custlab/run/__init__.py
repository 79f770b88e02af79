"""The run wing: executing the notebooks and publishing their reports.

``runner`` validates the parameters, prepares the clean tables and executes the notebooks in
worker processes; ``folders`` lists run folders and renders their index pages. The modules whose
names start with an underscore (the fork server, its preload, the worker and the Papermill engine)
are private to this wing; :func:`start_workers` starts the fork server early (the command does, so
that the workers' warm-up overlaps its own imports).
"""
from ._forkserver import start as start_workers

__all__ = ["folders", "runner", "start_workers"]
