"""Errors a user of custlab can meet.

Every message is a sentence that says what is wrong, where (file, table, column, row)
and how to fix it. Tracebacks belong in the log, not in front of the analyst.
"""
from __future__ import annotations


class CustlabError(Exception):
    """Base class of every error custlab raises on purpose."""


class ParamsError(CustlabError):
    """A parameter file or value is invalid (unknown key, wrong type, missing file)."""


class SourceError(CustlabError):
    """A data source cannot be opened or read."""


class SchemaError(CustlabError):
    """A table does not have the columns, types or keys an analysis needs."""


class CleaningError(CustlabError):
    """Cleaning could not account for every row, or a rule is misconfigured."""


class AnalysisError(CustlabError):
    """An analysis cannot run on the data it was given."""


class RunInterrupted(CustlabError):
    """The run was stopped by a signal (Ctrl-C, or SIGTERM from a scheduler) and its notebooks with it."""

    def __init__(self, message: str, signum: int):
        self.signum = signum
        super().__init__(message)


class NotebookError(CustlabError):
    """A notebook failed while the runner executed it."""

    def __init__(self, notebook: str, cell_index: int | None, source: str, error: str):
        self.notebook = notebook
        self.cell_index = cell_index
        self.source = source
        self.error = error
        where = f"cell {cell_index}" if cell_index is not None else "before any cell ran"
        super().__init__(f"Notebook {notebook} failed at {where}: {error}")
