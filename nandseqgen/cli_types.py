"""argparse value types of the command line: every value is typed and
range-checked before anything runs, and a bad one is one line naming the
option (argparse prints ``nandseqgen run: error: argument --sites: ...``)."""
from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import re

from .config.sections import MAX_RUNS
from .config.values import MAX_RUN_US

MAX_SEED = 2**32 - 1  # the autofill stream takes 32 bits of the seed
MAX_SITES = 1024


def int_in(lo: int, hi: int):
    """An integer in ``[lo, hi]``."""
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is outside {lo}..{hi:,}")
        return value
    parse.__name__ = "integer"
    return parse


def time_us(text: str) -> float:
    """A finite simulated time in us, in ``(0, MAX_RUN_US]``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not 0 < value <= MAX_RUN_US:
        raise argparse.ArgumentTypeError(f"{text} is outside (0, {MAX_RUN_US:,.0f}] us")
    return value


def date_yymmdd(text: str) -> str:
    """A real calendar date written yymmdd (it becomes part of file names)."""
    if not re.fullmatch(r"\d{6}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not yymmdd (six digits, e.g. 261122)")
    try:
        _dt.datetime.strptime(text, "%y%m%d")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a calendar date (yymmdd)") from None
    return text


def existing_file(text: str) -> str:
    """A path to an existing regular file."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text}: is a directory, not a file")
    return text


def new_file(text: str) -> str:
    """A file to write: its folder exists and it is not a directory."""
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text}: is a directory, not a file")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"{text}: folder {folder} does not exist")
    return text


def out_dir(text: str) -> str:
    """An output folder: absent (created) or a directory, never a file."""
    if not text:
        raise argparse.ArgumentTypeError("empty folder name")
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text}: exists and is not a directory")
    return text


SEED = int_in(0, MAX_SEED)
NUM_RUNS = int_in(1, MAX_RUNS)
SITES = int_in(1, MAX_SITES)
