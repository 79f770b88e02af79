"""Table declarations: one YAML file per table, read by sources, cleaning and privacy."""
import shutil
from pathlib import Path

import pytest

from custlab.data import privacy, tables


def test_the_shipped_declarations_give_the_canonical_tables_in_their_order():
    assert list(tables.SCHEMAS) == ["customers", "orders", "interactions", "survey", "conjoint_design",
                                    "conjoint_responses", "prospects"]
    assert tables.REQUIRED["orders"] == ("order_id", "customer_id", "order_date", "amount")
    assert tables.PRIMARY_KEYS == {"customers": "customer_id", "orders": "order_id", "conjoint_design": "profile_id",
                                   "prospects": "prospect_id"}
    assert tables.NEEDED == ("customers", "orders")
    assert tables.DERIVED == {"customers": {"region": ("province", "city")}}
    assert tables.OPTIONAL == {"orders": ("status", "channel")}
    assert tables.PERSONAL == {"credit_code", "phone", "email", "contact"}
    assert tables.PERSONAL <= privacy.PERSONAL_COLUMNS and "address" in privacy.PERSONAL_COLUMNS


def test_an_analysis_declares_its_own_table_beside_its_code(tmp_path):
    shutil.copytree(Path(tables.__file__).resolve().parents[1] / "resources" / "tables", tmp_path / "resources" / "tables")
    own = tmp_path / "analyses" / "visitors" / "tables"
    own.mkdir(parents=True)
    (own / "web_visits.yaml").write_text(
        "position: 8\nkey: visit_id\ncolumns:\n  visit_id: {kind: id, required: true}\n"
        "  visitor_id: {kind: id, required: true}\n  email: {kind: text, personal: true}\n  date: {kind: date}\n",
        encoding="utf-8")
    found = tables.declared(tmp_path)
    assert list(found)[-1] == "web_visits"
    visits = found["web_visits"]
    assert (visits.key, visits.required, visits.personal) == ("visit_id", ("visit_id", "visitor_id"), ("email",))
    assert visits.columns == {"visit_id": "id", "visitor_id": "id", "email": "text", "date": "date"}


def test_a_declaration_that_contradicts_itself_names_its_file(tmp_path):
    folder = tmp_path / "resources" / "tables"
    folder.mkdir(parents=True)
    (folder / "calls.yaml").write_text("key: call_id\ncolumns:\n  customer_id: {kind: identifier}\n"
                                       "  region: {kind: text, derived_from: [province]}\n", encoding="utf-8")
    with pytest.raises(TypeError, match=r"calls.yaml is inconsistent: column customer_id has kind 'identifier' \(allowed: "
                                        r"id, text, number, date\); the key 'call_id' is not one of its columns; column "
                                        r"region is derived from 'province', which is not a column\."):
        tables.declared(tmp_path)
