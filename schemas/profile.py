"""The volume profile: what hotich decided for one register volume (docs/profile.md).

    OUT/volumes/<ID>/profile.yaml     written after every run (pipeline/run/profile.py)
    hotich run --profile FILE         applied to every page (pipeline/extract/page.py)

A profile is small, hand-editable YAML with `version: 1`. `load_profile` refuses a bad file
with one line naming the file and what is wrong (ConfigError: exit 2), before any work.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from schemas.atomic import write_bytes_atomic
from schemas.errors import ConfigError
from schemas.fields import REGISTER_TYPES, all_fields

PROFILE_VERSION = 1
PROFILE_FILE = "profile.yaml"
LAYOUT_KINDS = ("ledger", "form")
_KEYS = {"version", "volume_id", "register_type", "layout", "header_rows", "number_row",
         "verify_headers", "columns", "labels", "pages_read", "disagreements"}
_REQUIRED = ("version", "register_type", "layout")
_COLUMN_KEYS = {"field", "header", "x"}


@dataclass(frozen=True)
class ProfileColumn:
    """One ledger column: its field (None: a column whose cells are not read), the header
    words read (used to check a page fits), its x-range relative to the grid width (0..1)."""

    field: str | None
    header: str
    x0: float
    x1: float


@dataclass(frozen=True)
class VolumeProfile:
    """A volume's layout decisions.

    Attributes:
        register_type: birth | death | marriage.
        layout: ledger | form.
        columns: ledger columns, left to right.
        header_rows: ledger: ruled bands above the first entry row (header rows and the
            column-number row).
        number_row: ledger: whether one of those bands holds the column numbers.
        verify_headers: read the page's header cells and fail the page when their words
            disagree with the profile's (slower); off: the column count and x-ranges decide.
        labels: form labels as printed in this book ((label text, field) pairs), added to
            the label vocabulary.
        volume_id, pages_read, disagreements: what the profile was decided from (informative).
        sha256: of the file it was loaded from ("" when made in memory).
        source: the file it was loaded from.
    """

    register_type: str
    layout: str
    columns: tuple[ProfileColumn, ...] = ()
    header_rows: int = 1
    number_row: bool = False
    verify_headers: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    volume_id: str | None = None
    pages_read: int = 0
    disagreements: tuple[str, ...] = ()
    sha256: str = ""
    source: str = ""

    def as_dict(self) -> dict:
        d: dict = {"version": PROFILE_VERSION}
        if self.volume_id is not None:
            d["volume_id"] = self.volume_id
        d.update(register_type=self.register_type, layout=self.layout)
        if self.layout == "ledger":
            d.update(header_rows=self.header_rows, number_row=self.number_row,
                     verify_headers=self.verify_headers,
                     columns=[{"field": c.field, "header": c.header, "x": [c.x0, c.x1]}
                              for c in self.columns])
        if self.labels:
            d["labels"] = dict(self.labels)
        d["pages_read"] = self.pages_read
        d["disagreements"] = list(self.disagreements)
        return d


_HEAD = ("# hotich volume profile (docs/profile.md). Edit a column's `field` (or set it to null\n"
         "# to ignore the column), then rerun: hotich run INPUT --out OUT --profile THIS_FILE\n")


class _Dumper(yaml.SafeDumper):
    """Block style, but a column's x-range on one line: `x: [0.12, 0.2]`."""


def _list(dumper: yaml.SafeDumper, data: list):
    flow = bool(data) and all(isinstance(v, (int, float)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _list)


def dump_profile(p: VolumeProfile) -> str:
    """The profile as YAML text (stable key order, Unicode kept as is)."""
    return _HEAD + yaml.dump(p.as_dict(), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                             width=100)


def write_profile(path: Path, p: VolumeProfile) -> None:
    """Write the profile atomically."""
    write_bytes_atomic(Path(path), dump_profile(p).encode("utf-8"))


def parse_profile(text: str, where: str = "profile") -> VolumeProfile:
    """Parse and validate profile YAML.

    Raises:
        ConfigError: one line naming `where` and what is wrong.
    """
    def bad(msg: str) -> ConfigError:
        return ConfigError(f"{where}: {msg}")

    try:
        d = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise bad(f"not valid YAML{at}: {getattr(e, 'problem', None) or type(e).__name__}") from None
    if not isinstance(d, dict):
        raise bad("not a profile: expected a mapping with version, register_type, layout")
    unknown = sorted(str(k) for k in d if k not in _KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(_KEYS))}")
    missing = [k for k in _REQUIRED if k not in d]
    if missing:
        raise bad(f"missing key(s) {', '.join(missing)}")
    if d["version"] != PROFILE_VERSION:
        raise bad(f"version {d['version']!r} is not supported (expected {PROFILE_VERSION})")
    rtype, layout = d["register_type"], d["layout"]
    if rtype not in REGISTER_TYPES:
        raise bad(f"register_type {rtype!r}: expected one of {', '.join(REGISTER_TYPES)}")
    if layout not in LAYOUT_KINDS:
        raise bad(f"layout {layout!r}: expected one of {', '.join(LAYOUT_KINDS)}")
    known = all_fields(rtype)
    columns: list[ProfileColumn] = []
    if layout == "ledger":
        raw = d.get("columns")
        if not isinstance(raw, list) or len(raw) < 2:
            raise bad("columns: a ledger profile needs a list of at least two columns")
        seen: set[str] = set()
        last = 0.0
        for i, c in enumerate(raw, 1):
            if not isinstance(c, dict) or "x" not in c or "field" not in c:
                raise bad(f"column {i}: needs `field` and `x: [from, to]`")
            extra = sorted(str(k) for k in c if k not in _COLUMN_KEYS)
            if extra:
                raise bad(f"column {i}: unknown key(s) {', '.join(extra)}")
            f = c["field"]
            if f is not None and f not in known:
                raise bad(f"column {i}: unknown field {f!r} for a {rtype} register "
                          f"(expected one of {', '.join(known)}, or null)")
            if f is not None and f in seen:
                raise bad(f"column {i}: field {f!r} is given to two columns")
            x = c["x"]
            if (not isinstance(x, list) or len(x) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x)
                    or not (0.0 <= x[0] < x[1] <= 1.0) or x[0] < last - 0.01):
                raise bad(f"column {i}: x must be [from, to] within 0..1, left to right, got {x!r}")
            last = float(x[1])
            if f:
                seen.add(f)
            columns.append(ProfileColumn(f, str(c.get("header") or ""), float(x[0]), float(x[1])))
    hr = d.get("header_rows", 1)
    if not isinstance(hr, int) or isinstance(hr, bool) or not 1 <= hr <= 3:
        raise bad(f"header_rows must be 1, 2 or 3, got {hr!r}")
    for k in ("number_row", "verify_headers"):
        if not isinstance(d.get(k, False), bool):
            raise bad(f"{k} must be true or false, got {d[k]!r}")
    labels = d.get("labels") or {}
    if not isinstance(labels, dict):
        raise bad("labels must be a mapping of label text to field")
    for text, f in labels.items():
        if f not in known:
            raise bad(f"label {text!r}: unknown field {f!r} for a {rtype} register")
    dis = d.get("disagreements") or []
    return VolumeProfile(
        register_type=rtype, layout=layout, columns=tuple(columns), header_rows=hr,
        number_row=bool(d.get("number_row", False)), verify_headers=bool(d.get("verify_headers", False)),
        labels=tuple((str(k), str(v)) for k, v in labels.items()),
        volume_id=None if d.get("volume_id") is None else str(d["volume_id"]),
        pages_read=int(d.get("pages_read") or 0),
        disagreements=tuple(str(x) for x in dis) if isinstance(dis, list) else (str(dis),),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def load_profile(path: Path) -> VolumeProfile:
    """Read and validate a profile file (see parse_profile)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read profile: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a profile: not UTF-8 text") from None
    p = parse_profile(text, str(path))
    return VolumeProfile(**{**p.__dict__, "source": str(path)})
