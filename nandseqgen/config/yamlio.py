"""YAML reading that remembers where every value came from.

The loader needs to name the YAML line of each offending value, so instead of
``yaml.safe_load`` we compose the node tree once and convert it ourselves,
recording ``key path -> line`` for every mapping key and sequence item.
"""
from __future__ import annotations

import copy
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


class _Converter:
    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, path: Path) -> Any:
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node, deep=True)
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
    """Parse YAML text; raises ``yaml.YAMLError`` on syntax errors."""
    node = yaml.compose(text, Loader=_Loader)
    doc = YamlDoc(data=None, source=source)
    if node is not None:
        doc.data = _Converter(doc).convert(node, ())
    return doc


def read_yaml_file(path: str) -> YamlDoc:
    with open(path, "r", encoding="utf-8") as fh:
        text = fh.read()
    return read_yaml_text(text, source=str(path))
