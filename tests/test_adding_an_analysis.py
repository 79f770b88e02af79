"""Adding an analysis is one folder of its own (README, "Adding an analysis"): a small example
analysis of web visits, with a table of its own, is written into a folder outside the package and
found by every mechanism that needs it, without a line of custlab's shared code or tables edited."""
import importlib
import sys

import pandas as pd
import pytest

import custlab.analyses
from custlab import config, i18n, report
from custlab.data import tables
from custlab.errors import ParamsError

EXAMPLE = {
    "__init__.py": '''"""Web visitors: how many visitors are active."""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "_visits": ["VisitSummary", "visit_summary"], "settings": ["VisitSettings", "VisitsParams"]})
''',
    "settings.py": '''from dataclasses import dataclass, field

from custlab.config import notebook_parameters, number


@dataclass(frozen=True)
class VisitSettings:
    min_sessions: int = field(default=2, metadata=number(1))  # a visitor with this many sessions is active


PARAMS = VisitsParams = notebook_parameters("70_web_visits", "visits", VisitSettings, "VisitsParams")
''',
    "_visits.py": '''from dataclasses import dataclass

import pandas as pd

from custlab.i18n import t
from custlab.report import Result


@dataclass(frozen=True)
class VisitSummary(Result):
    active: int
    visitors: int

    def summary(self):
        return pd.Series({"visitors": self.visitors, "active": self.active}, name="count")

    def sentences(self, language="en"):
        return [t("wv_active", language, active=self.active, visitors=self.visitors)]

    def metrics(self):
        return {"active_visitors": self.active}


def visit_summary(web_visits, min_sessions=2):
    sessions = web_visits.groupby("visitor_id")["sessions"].sum()
    return VisitSummary(int((sessions >= min_sessions).sum()), int(len(sessions)))
''',
    "strings.yaml": '''strings:
  wv_active:
    en: "{active:,} of {visitors:,} visitors came back at least twice."
    zh: "{visitors:,} 位访客中有 {active:,} 位至少回访两次。"
''',
    "tables/web_visits.yaml": '''position: 8
columns:
  visitor_id: {kind: id, required: true}
  customer_id: {kind: id}
  date: {kind: date, required: true}
  sessions: {kind: number, required: true}
  email: {kind: text, personal: true}
''',
}


@pytest.fixture()
def example(tmp_path, monkeypatch):
    root = tmp_path / "custlab"
    for name, text in EXAMPLE.items():
        path = root / "analyses" / "visits" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(custlab.analyses, "__path__", [*custlab.analyses.__path__, str(root / "analyses")])
    config.notebook_params.cache_clear()
    yield root
    config.notebook_params.cache_clear()
    for module in [m for m in sys.modules if m.startswith("custlab.analyses.visits")]:
        del sys.modules[module]


def test_an_analysis_is_five_files_of_its_own_and_a_notebook(example, monkeypatch):
    files = sorted(str(p.relative_to(example)) for p in example.rglob("*") if p.is_file())
    assert files == ["analyses/visits/__init__.py", "analyses/visits/_visits.py", "analyses/visits/settings.py",
                     "analyses/visits/strings.yaml", "analyses/visits/tables/web_visits.yaml"]
    # config discovers its settings, validates them and locates a wrong value, as for the shipped notebooks
    params = config.load_params("70_web_visits", overrides={"source": {"kind": "sql", "url": "sqlite://"},
                                                            "visits": {"min_sessions": 3}})
    assert type(params).__name__ == "VisitsParams" and params.visits.min_sessions == 3
    with pytest.raises(ParamsError, match=r"key 'visits.min_sessions' is 0; allowed: a number at least 1"):
        config.load_params("70_web_visits", overrides={"source": {"kind": "sql", "url": "sqlite://"}, "visits": {"min_sessions": 0}})
    assert "70_web_visits" in config.notebook_params() and len(config.notebook_params()) == 8
    # its table is declared once, beside it: the sources type it and privacy masks its personal column
    declared = tables.declared(example)
    assert declared["web_visits"].required == ("visitor_id", "date", "sessions") and declared["web_visits"].personal == ("email",)
    # its strings come from its own catalogue (custlab loads the package's catalogues at import; the
    # example lives outside the package, so its strings join them here as they would have then)
    own = i18n.load_catalogues(example)["strings"]
    assert own["wv_active"]["zh"].startswith("{visitors:,} 位访客")
    monkeypatch.setattr(i18n, "STRINGS", {**i18n.STRINGS, **own})
    # and its model loads on first use and follows the result protocol
    visits = importlib.import_module("custlab.analyses.visits")
    result = visits.visit_summary(pd.DataFrame({"visitor_id": ["a", "a", "b"], "sessions": [1, 1, 1]}))
    assert isinstance(result, report.Result) and result.metrics() == {"active_visitors": 1}
    assert "<table" in result._repr_html_() and "1 of 2 visitors came back at least twice." in result._repr_html_()
    assert result.sentences("zh") == ["2 位访客中有 1 位至少回访两次。"]
