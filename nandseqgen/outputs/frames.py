"""DataFrames of a run, built once on request with explicit dtypes."""
from __future__ import annotations

import pandas as pd

from .sinks import INT_COLUMNS as _INT
from .sinks import NULLABLE_INT as _NULLABLE_INT
from .tables import BUILDERS, TIME_COLUMNS


def typed(df: pd.DataFrame) -> pd.DataFrame:
    for col in df.columns:
        if col in TIME_COLUMNS or col == "input_time":
            df[col] = df[col].astype("float64")
        elif col in _NULLABLE_INT:
            df[col] = df[col].astype("Int64")
        elif col in _INT:
            df[col] = df[col].astype("int64")
        else:
            df[col] = df[col].astype("string")
    return df


def table_frame(recorder, table: str) -> pd.DataFrame:
    columns, rows = BUILDERS[table](recorder)
    return typed(pd.DataFrame(rows, columns=list(columns)))


ROLLBACK_COLUMNS = ("time", "die", "plane", "phase_key", "op_name", "op_base", "reason", "detail")


def rollback_frame(recorder) -> pd.DataFrame:
    rows = [(t / 100.0, d, p, key, name, base, reason, None if detail is None else str(detail))
            for t, d, p, key, name, base, reason, detail in recorder.all_rollbacks()]
    df = pd.DataFrame(rows, columns=list(ROLLBACK_COLUMNS))
    df["time"] = df["time"].astype("float64")
    df["die"] = df["die"].astype("int64")
    df["plane"] = df["plane"].astype("int64")
    for col in ("phase_key", "op_name", "op_base", "reason", "detail"):
        df[col] = df[col].astype("string")
    return df


def metrics_frame(metrics: dict) -> pd.DataFrame:
    """Flat ``metric, value`` table (nested dicts become ``parent.child``)."""
    rows = []
    for key, value in metrics.items():
        if isinstance(value, dict):
            rows += [(f"{key}.{k}", v) for k, v in value.items()]
        elif isinstance(value, (int, float)):
            rows.append((key, value))
    df = pd.DataFrame(rows, columns=["metric", "value"])
    df["metric"] = df["metric"].astype("string")
    df["value"] = df["value"].astype("float64")
    return df
