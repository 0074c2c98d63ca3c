"""Outputs: recording, DataFrames, CSV files."""
from .recorder import Recorder
from .tables import TABLES
from .writers import file_name, write_run

__all__ = ["Recorder", "TABLES", "file_name", "write_run"]
