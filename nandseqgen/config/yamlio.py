"""YAML reading that remembers where every value came from.

The loader needs to name the YAML line of each offending value, so instead of
``yaml.safe_load`` we compose the node tree once and convert it ourselves,
recording ``key path -> line`` for every mapping key and sequence item.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is much faster on the 5,000-line reference config
    _Loader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - pure-python fallback
    _Loader = yaml.SafeLoader

Path = tuple  # a key path: ("op_names", "Read_SLC", "durations", "ISSUE")


def path_str(path: Path) -> str:
    """Dotted form of a key path (list indices in brackets)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class YamlDoc:
    """Plain data plus the line of every path and any duplicate keys seen."""

    data: Any
    source: str
    lines: dict = field(default_factory=dict)
    duplicates: list = field(default_factory=list)  # (path, first_line, line)
    sources: dict = field(default_factory=dict)  # path -> file, for merged overrides

    def _find(self, path: Path):
        path = tuple(path)
        while path:
            if path in self.lines:
                return path
            path = path[:-1]
        return None

    def line(self, path: Path) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        found = self._find(path)
        return self.lines[found] if found is not None else None

    def source_of(self, path: Path) -> str:
        found = self._find(path)
        return self.sources.get(found, self.source) if found is not None else self.source


def deep_merge(dst: dict, src: dict) -> dict:
    """Merge ``src`` into ``dst`` in place: mappings merge, anything else replaces."""
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            deep_merge(dst[key], value)
        else:
            dst[key] = copy.deepcopy(value)
    return dst


def merge_docs(base: YamlDoc, over: YamlDoc) -> YamlDoc:
    """``over`` deep-merged into ``base``; lines and file names of the merged
    values point into ``over``."""
    data = copy.deepcopy(base.data) if isinstance(base.data, dict) else {}
    deep_merge(data, over.data or {})
    out = YamlDoc(data=data, source=base.source, lines=dict(base.lines),
                  duplicates=base.duplicates + over.duplicates, sources=dict(base.sources))
    for path, line in over.lines.items():
        out.lines[path] = line
        out.sources[path] = over.source
    return out


#: Most values one document may expand to (aliases counted each time they are
#: used). The reference config has ~40,000; an alias bomb has billions.
MAX_NODES = 1_000_000
#: Deepest nesting accepted (the reference config nests 6 levels).
MAX_DEPTH = 64
_STR = "tag:yaml.org,2002:str"


class YamlShapeError(ValueError):
    """A document that parses but cannot be turned into plain data safely."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def expanded_size(root: yaml.Node) -> int:
    """How many values ``root`` expands to with every alias substituted,
    computed over the node graph without expanding it (so an alias bomb costs
    microseconds); raises :class:`YamlShapeError` on a cycle or above
    :data:`MAX_NODES`."""
    sizes: dict = {}
    on_path: set = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise YamlShapeError("recursive YAML alias (a value contains itself)",
                                 node.start_mark.line + 1)
        total = 1
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            on_path.add(key)
            items = node.value if isinstance(node, yaml.SequenceNode) else \
                [n for pair in node.value for n in pair]
            for child in items:
                total += size(child)
                if total > MAX_NODES:
                    raise YamlShapeError(f"document expands to more than {MAX_NODES:,} values "
                                         "through aliases (an alias bomb?)", node.start_mark.line + 1)
            on_path.discard(key)
        sizes[key] = total
        return total

    return size(root)


class _Converter:
    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.constructor = yaml.constructor.SafeConstructor()
        self.count = 0
        self.stack: set = set()  # ids of the collection nodes being converted (cycles)

    def convert(self, node: yaml.Node, path: Path) -> Any:
        line = node.start_mark.line + 1
        self.doc.lines.setdefault(path, line)
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlShapeError(f"document expands to more than {MAX_NODES:,} values "
                                 "(an alias bomb?)", line)
        if len(path) > MAX_DEPTH:
            raise YamlShapeError(f"nested deeper than {MAX_DEPTH} levels", line)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.stack:
                raise YamlShapeError("recursive YAML alias (a value contains itself)", line)
            self.stack.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
            finally:
                self.stack.discard(id(node))
        if node.tag == _STR:  # what the constructor gives a string: its text (most scalars)
            return node.value
        return self.constructor.construct_object(node, deep=True)

    def _key(self, key_node: yaml.Node):
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlShapeError("a mapping key must be a plain name, not a list or mapping", line)
        key = key_node.value if key_node.tag == _STR else \
            self.constructor.construct_object(key_node, deep=True)
        if not isinstance(key, str) or not key:
            raise YamlShapeError(f"mapping key {key!r} is not a name (write it in quotes)", line)
        return key

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                key = "<<"
            else:
                key = self._key(key_node)
            if key == "<<":  # merge key: fold the merged mapping(s) in first
                merged = self.convert(value_node, path)
                for item in merged if isinstance(merged, list) else [merged]:
                    if isinstance(item, dict):
                        for k, v in item.items():
                            out.setdefault(k, v)
                continue
            child = path + (key,)
            line = key_node.start_mark.line + 1
            if key in out:
                self.doc.duplicates.append((child, self.doc.lines.get(child), line))
            self.doc.lines[child] = line
            out[key] = self.convert(value_node, child)
        return out


def read_yaml_text(text: str, source: str = "<string>") -> YamlDoc:
    """Parse YAML text; raises ``yaml.YAMLError`` on syntax errors and
    :class:`YamlShapeError` on recursive aliases, alias bombs and keys that are
    not names."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except RecursionError as exc:  # the pure-Python composer recurses per level
        raise YamlShapeError("nested too deeply to read") from exc
    doc = YamlDoc(data=None, source=source)
    if node is not None:
        try:
            expanded_size(node)
            doc.data = _Converter(doc).convert(node, ())
        except RecursionError as exc:
            raise YamlShapeError("nested too deeply to read") from exc
    return doc


#: Largest file read as a config, override file or phase table.
MAX_FILE_BYTES = 64 * 1024 * 1024


def read_text_file(path: str) -> str:
    """The UTF-8 text of ``path``; raises :class:`FileProblem` with a one-line
    reason (missing, a directory, too large, binary, gzip, UTF-16, not UTF-8)."""
    if not os.path.exists(path):
        raise FileProblem(path, "no such file")
    if os.path.isdir(path):
        raise FileProblem(path, "is a directory, not a file")
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise FileProblem(path, f"{size:,} bytes; larger than the {MAX_FILE_BYTES:,} byte limit")
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise FileProblem(path, f"cannot be read ({exc.strerror or exc})") from exc
    return decode_text(path, raw)


def decode_text(path: str, raw: bytes) -> str:
    if raw[:2] == b"\x1f\x8b":
        raise FileProblem(path, "is gzip-compressed; decompress it first")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        raise FileProblem(path, "is UTF-16/UTF-32 text; save it as UTF-8")
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        if b"\x00" in raw:
            raise FileProblem(path, _nul_reason(raw)) from exc
        raise FileProblem(path, f"not UTF-8 text (byte {exc.start} on line {line})", line) from exc
    if "\x00" in text:
        raise FileProblem(path, _nul_reason(raw))
    return text


def _nul_reason(raw: bytes) -> str:
    head = raw[:4096]
    if head and max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 3:
        return "is UTF-16 text without a byte-order mark; save it as UTF-8"
    return "is a binary file, not YAML text (contains NUL bytes)"


class FileProblem(ValueError):
    """A file that cannot be used at all; ``str()`` is one line naming it."""

    def __init__(self, path: str, reason: str, line: int | None = None):
        self.path, self.reason, self.line = str(path), reason, line
        super().__init__(f"{path}: {reason}")


def read_yaml_file(path: str) -> YamlDoc:
    return read_yaml_text(read_text_file(path), source=str(path))
