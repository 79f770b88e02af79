"""The scheduling recipes in deploy/ are the README's, and their command runs."""
import os
import re
import shlex
import subprocess
import sys
import types

import pytest

from custlab import config

DEPLOY = config.PROJECT_ROOT / "deploy"


def _cron_command() -> str:
    line = next(x for x in (DEPLOY / "custlab.cron").read_text(encoding="utf-8").splitlines() if x and not x.startswith("#"))
    fields = line.split(None, 5)
    assert fields[:5] == ["0", "4", "1", "*", "*"]  # 04:00 on the 1st
    return fields[5]


def test_the_readme_shows_the_shipped_cron_line_and_systemd_runs_the_same_command(project_sample):  # monthly.yaml reads the sample
    command = _cron_command()
    readme = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"0 4 1 * * {command}" in readme
    assert (config.PARAMS_DIR / "monthly.yaml").exists() and config.load_params("00_data_quality", ["params/monthly.yaml"]).as_of is None
    service = (DEPLOY / "custlab.service").read_text(encoding="utf-8")
    workdir = re.search(r"^WorkingDirectory=(\S+)$", service, re.M).group(1)
    start = re.search(r"^ExecStart=(.+)$", service, re.M).group(1)
    assert command.startswith(f"cd {workdir} && ") and start == f"{workdir}/" + command.split(" && ")[1].split(" >>")[0]
    timer = (DEPLOY / "custlab.timer").read_text(encoding="utf-8")
    assert "OnCalendar=*-*-01 04:00:00" in timer and "Persistent=true" in timer


def _load_dag(monkeypatch):
    """The DAG file imported against stand-ins for Airflow (not installed here): what it builds."""
    built = []

    class Task:
        def __init__(self, **kwargs):
            self.kwargs, self.downstream = kwargs, []
            built.append(self)

        def __rshift__(self, other):
            for o in other if isinstance(other, list) else [other]:
                self.downstream.append(o)
            return other

    class DAG:
        def __init__(self, dag_id, **kwargs):
            self.dag_id, self.kwargs = dag_id, kwargs

        def __enter__(self):
            built.append(self)
            return self

        def __exit__(self, *exc):
            return False

    modules = {"pendulum": types.SimpleNamespace(datetime=lambda *args, **kwargs: (args, kwargs)),  # Airflow's own dependency
               "airflow": types.SimpleNamespace(DAG=DAG), "airflow.operators": types.SimpleNamespace(),
               "airflow.operators.bash": types.SimpleNamespace(BashOperator=type("BashOperator", (Task,), {})),
               "airflow.providers": types.SimpleNamespace(), "airflow.providers.papermill": types.SimpleNamespace(),
               "airflow.providers.papermill.operators": types.SimpleNamespace(),
               "airflow.providers.papermill.operators.papermill": types.SimpleNamespace(PapermillOperator=type("PapermillOperator", (Task,), {}))}
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setenv("CUSTLAB_HOME", "/opt/custlab")
    namespace = {"__name__": "custlab_monthly"}
    exec(compile((DEPLOY / "airflow" / "custlab_monthly.py").read_text(encoding="utf-8"), "custlab_monthly.py", "exec"), namespace)
    return namespace, built


def test_the_airflow_dag_runs_the_cron_command_and_the_papermill_variant_creates_its_folder(monkeypatch):
    namespace, built = _load_dag(monkeypatch)
    assert namespace["COMMAND"] == _cron_command().split(" >>")[0]
    dags = [b for b in built if hasattr(b, "dag_id")]
    assert [d.dag_id for d in dags] == ["custlab_monthly", "custlab_papermill"] and dags[0].kwargs["schedule"] == "0 4 1 * *"
    tasks = [b for b in built if hasattr(b, "kwargs") and not hasattr(b, "dag_id")]
    bash = [t for t in tasks if type(t).__name__ == "BashOperator"]
    assert bash[0].kwargs["bash_command"] == namespace["COMMAND"]
    folder, notebooks = bash[1], [t for t in tasks if type(t).__name__ == "PapermillOperator"]
    assert folder.kwargs["bash_command"] == "mkdir -p /opt/custlab/reports/airflow/{{ ds }}"
    assert [t.kwargs["task_id"] for t in notebooks] == sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert folder.downstream == [notebooks[0]] and notebooks[0].downstream == notebooks[1:]
    assert all(t.kwargs["output_nb"].startswith("/opt/custlab/reports/airflow/{{ ds }}/") for t in notebooks)
    assert all(t.kwargs["parameters"] == {"param_files": ["/opt/custlab/params/monthly.yaml"]} for t in notebooks)


@pytest.mark.slow
def test_the_cron_command_runs_from_the_project_folder(project_sample, tmp_path):
    assert config.SAMPLE_DB.exists()  # params/base.yaml's source, as `make demo` makes it
    command = _cron_command().split(" >>")[0].replace("/opt/custlab", shlex.quote(str(config.PROJECT_ROOT)))
    # the schedule's command as written, one notebook and a report folder of the test's own
    done = subprocess.run(f"{command} --only 00_data_quality --out {shlex.quote(str(tmp_path / 'reports'))}", shell=True,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "reports" / "latest" / "00_data_quality.leadership.html").exists()
