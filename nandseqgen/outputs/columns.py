"""What kind of value each output column holds (dtypes, CSV cells, Parquet types)."""
from __future__ import annotations

from .tables import TIME_COLUMNS

NULLABLE_INT = {"block", "page"}
INT_COLUMNS = {"seq", "op_id", "op_uid", "die", "plane", "count"}
FLOAT_COLUMNS = TIME_COLUMNS | {"input_time"}
JSON_COLUMNS = {"payload"}


def column_kind(col: str) -> str:
    if col in TIME_COLUMNS:
        return "time"  # microseconds, two decimals (docs/decisions.md 35)
    if col in FLOAT_COLUMNS:
        return "float"
    if col in NULLABLE_INT:
        return "nullable_int"
    if col in INT_COLUMNS:
        return "int"
    if col in JSON_COLUMNS:
        return "json"
    return "string"
