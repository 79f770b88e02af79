"""The canonical tables, declared once: their columns and kinds, the columns required, the
primary keys, the columns that may be absent or derived, and the tables every source must hold.

Sources read these declarations to type and check a table, the cleaning to know its keys, the
data-quality report to list what a source lacks. Personal-data columns are declared in
:mod:`custlab.data.privacy` beside the masking that uses them.
"""
from __future__ import annotations



# canonical tables: column -> kind; required columns and primary keys
SCHEMAS: dict[str, dict[str, str]] = {
    "customers": {"customer_id": "id", "name": "text", "credit_code": "text", "phone": "text", "email": "text",
                  "contact": "text", "industry": "text", "province": "text", "city": "text", "region": "text",
                  "employees": "number", "annual_revenue": "number", "registered_date": "date", "channel": "text"},
    "orders": {"order_id": "id", "customer_id": "id", "order_date": "date", "amount": "number", "product": "text",
               "category": "text", "quantity": "number", "status": "text", "channel": "text"},
    "interactions": {"customer_id": "id", "date": "date", "kind": "text", "count": "number"},
    "survey": {"customer_id": "id", "satisfaction": "number", "loyalty": "number"},
    "conjoint_design": {"profile_id": "id"},
    "conjoint_responses": {"respondent_id": "id", "task": "number", "profile_id": "id", "rating": "number", "chosen": "number"},
    "prospects": {"prospect_id": "id", "name": "text", "industry": "text", "province": "text", "city": "text",
                  "employees": "number", "annual_revenue": "number", "registered_date": "date"},
}


REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name"), "orders": ("order_id", "customer_id", "order_date", "amount"),
    "interactions": ("customer_id", "date", "kind", "count"), "survey": ("customer_id",),
    "conjoint_design": ("profile_id",), "conjoint_responses": ("respondent_id", "task", "profile_id"),
    "prospects": ("prospect_id", "name"),
}


#: columns read when present that no analysis needs, so their absence is not reported
OPTIONAL = {"orders": ("status", "channel")}


#: columns the cleaning derives from others when the source lacks them (region from province or city)
DERIVED = {"customers": {"region": ("province", "city")}, "prospects": {"region": ("province", "city")}}


PRIMARY_KEYS = {"customers": "customer_id", "orders": "order_id", "prospects": "prospect_id", "conjoint_design": "profile_id"}


#: the tables every source must hold (:meth:`Source.read` refuses an empty one): every analysis starts from them
NEEDED = ("customers", "orders")
