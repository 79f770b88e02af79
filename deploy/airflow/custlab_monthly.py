"""Airflow DAGs for custlab (copy into the dags/ folder).

``custlab_monthly`` runs ``custlab run`` as the cron line does: every notebook, the analyst and
leadership HTML (personal data masked), manifest.json and reports/latest. It needs the project
at ``CUSTLAB_HOME`` (default /opt/custlab) with its .venv (``make venv``); Airflow's own Python
needs nothing from custlab.

``custlab_papermill`` is the variant with one Airflow task per notebook. PapermillOperator runs
the notebook in the worker's Python, so custlab must be installed there
(``pip install -e /opt/custlab``) and its kernel registered; it writes only the executed
.ipynb (no HTML, no masking, no manifest: render with ``jupyter nbconvert`` yourself). The
output folder is created first: papermill does not create it.
"""
import os

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

HOME = os.environ.get("CUSTLAB_HOME", "/opt/custlab")
PARAMS = "params/monthly.yaml"
COMMAND = f"cd {HOME} && .venv/bin/custlab run {PARAMS}"  # the cron line's command (deploy/custlab.cron)
NOTEBOOKS = ("00_data_quality", "10_key_accounts", "20_survey_factors", "30_satisfaction_drivers",
             "40_customer_segments", "50_conjoint", "60_prospects")
START = pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai")

with DAG("custlab_monthly", schedule="0 4 1 * *", start_date=START, catchup=False, tags=["custlab"]):
    BashOperator(task_id="custlab_run", bash_command=COMMAND)

with DAG("custlab_papermill", schedule=None, start_date=START, catchup=False, tags=["custlab"]):
    from airflow.providers.papermill.operators.papermill import PapermillOperator

    out = f"{HOME}/reports/airflow/{{{{ ds }}}}"
    folder = BashOperator(task_id="output_folder", bash_command=f"mkdir -p {out}")
    first, *rest = (PapermillOperator(task_id=name, input_nb=f"{HOME}/notebooks/{name}.ipynb", output_nb=f"{out}/{name}.ipynb",
                                      parameters={"param_files": [f"{HOME}/{PARAMS}"]}) for name in NOTEBOOKS)
    folder >> first >> rest  # 00_data_quality first: the others read the tables it cleans
