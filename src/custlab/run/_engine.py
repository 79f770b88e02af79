"""The runner's Papermill engine: nbclient, with fewer writes of the partial notebook.

Papermill writes the whole output notebook (JSON with embedded images, schema-validated) at every
cell's start and end: 60 writes and 0.45 s for notebook 10, about a tenth of its run. Here the
writes at cell boundaries happen at most every :data:`SAVE_EVERY` seconds; the first and the last
write always happen, and Papermill's own autosave during long cells is unchanged. The partial
notebook matters only when a worker is killed (a notebook past --timeout plus the grace period):
it then shows the run up to a few seconds before the kill. A cell that raises, a cell timeout and
a dead kernel end through Papermill's final write as before.

With ``deadline`` (a :func:`time.monotonic` time), each cell may wait only until then, so a
notebook past its --timeout stops with a cell timeout in the cell that was running, reported like
an error in that cell; the runner's kill is then only the backstop for a kernel that does not answer.

With ``kernel_stoppers`` (a list), the kernel is left running when execution ends and a function
that stops it is appended: stopping a kernel that has pandas, scikit-learn and matplotlib loaded
takes about 0.4 s, which the runner spends writing the HTML instead of waiting. That kernel talks
to the worker over Unix sockets in a private temporary folder rather than loopback TCP: other
local users cannot connect to it, and it does not print ipykernel's "running over TCP without
encryption" warning into every scheduled run's output.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, catch_nb_assignment, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

NAME = "custlab"
SAVE_EVERY = 5.0  # seconds between writes of the partial notebook at cell boundaries


class PromptKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, noticing a stopped kernel within 10 ms: it checks every
    0.1 s by default, which added 0.05 s on average to every notebook's end (the kernel itself
    takes about 0.3 s to exit after its shutdown reply). The graceful shutdown is unchanged."""

    async def _async_finish_shutdown(self, waittime=None, pollinterval=0.01, restart=False):
        await super()._async_finish_shutdown(waittime=waittime, pollinterval=pollinterval, restart=restart)


class ThrottledExecutionManager(NotebookExecutionManager):
    """Papermill's execution manager whose cell-boundary saves are throttled."""

    _saved_at: float | None = None
    _closing = False

    @catch_nb_assignment
    def save(self, **kwargs):
        now = time.monotonic()
        if self._closing or self._saved_at is None or now - self._saved_at >= SAVE_EVERY:
            super().save(**kwargs)
            self._saved_at = now

    def notebook_complete(self, **kwargs):
        self._closing = True  # the final write always happens
        super().notebook_complete(**kwargs)


class ThrottledEngine(NBClientEngine):
    """nbclient execution managed by :class:`ThrottledExecutionManager`
    (Papermill's ``Engine.execute_notebook`` with that one class swapped in)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        nb_man = ThrottledExecutionManager(nb, output_path=output_path, progress_bar=progress_bar,
                                           log_output=log_output, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, kernel_stoppers=None, socket_dir=None,
                                 deadline=None, kernel_log=None, **kwargs):
        if kernel_stoppers is None:
            return super().execute_managed_notebook(nb_man, kernel_name, log_output=log_output, stdout_file=stdout_file,
                                                    stderr_file=stderr_file, start_timeout=start_timeout,
                                                    execution_timeout=execution_timeout, **kwargs)
        # as NBClientEngine.execute_managed_notebook (papermill 2.6), but the kernel outlives execute()
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        # short (a Unix socket path has ~100 characters); under ``socket_dir``, which the runner removes
        # even when it had to kill this worker
        sockets = tempfile.mkdtemp(prefix="kernel-", dir=socket_dir)
        # the connection file too (it holds the kernel's key): a worker that is killed cannot delete it
        km = (PromptKernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(sockets, "k"),
                                  connection_file=os.path.join(sockets, "kernel.json"))
              if os.name == "posix" else PromptKernelManager(kernel_name=kernel_name))
        if deadline is not None:  # the notebook's time, not each cell's: a cell may wait only for what is left
            # (nbclient reads a timeout of 0 as "none", hence the small floor: an overdue cell times out at once)
            kwargs["timeout_func"] = lambda cell: max(deadline - time.monotonic(), 0.01)
            execution_timeout = None  # nbclient's own trait takes whole seconds only
        client = PapermillNotebookClient(nb_man, km=km, **merge_kwargs(
            kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file))

        # the kernel's own output (warnings, ZMQ noise when it is stopped after --timeout) goes to a log
        # beside the notebook's reports, not to the terminal of whoever started the run
        log_file = open(kernel_log, "ab") if kernel_log else None  # noqa: SIM115 - open while the kernel lives

        def stop() -> None:
            try:
                if client.km is not None:
                    client._cleanup_kernel()
            finally:
                shutil.rmtree(sockets, ignore_errors=True)
                if log_file is not None:
                    log_file.close()

        kernel_stoppers.append(stop)
        streams = {"stdout": log_file, "stderr": log_file} if log_file is not None else {}
        return client.execute(cleanup_kc=False, **streams)


papermill_engines.register(NAME, ThrottledEngine)
