"""Load and validate the register configs once, into frozen typed objects.

The defaults are the YAML files beside this module (settings.yaml and one file per register
type). An operator's `--config FILE` may override settings and add header variants or titles:

    thresholds: {low_confidence: 0.85}
    birth:
      titles: [SỔ ĐĂNG KÝ KHAI SINH (BẢN SAO)]
      fields: {full_name: {headers: [Họ tên trẻ em]}}
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from schemas.errors import ConfigError
from schemas.fields import REGISTER_TYPES, all_fields, field_kind

CONFIG_DIR = Path(__file__).resolve().parent
# the field error model (pipeline/extract/perr.py), fitted by `python -m bench.calibrate fit`
PERR_MODEL = CONFIG_DIR / "perr_model.json"
RULE_CHECKS = {"not_before": ("field", "other"), "not_after": ("field", "other"), "year_range": ("field",),
               "min_age": ("field", "at", "years"), "max_delay": ("field", "at", "years", "other"),
               "name_sex": ("field",), "same_surname": ("field", "other")}


@dataclass(frozen=True)
class FieldSpec:
    """How one record field is found on a page and what it holds.

    Attributes:
        name: the contract's field name (full_name, date_of_birth...).
        kind: name, date, sex, place, ethnicity, nationality, code or text (from the name).
        headers: column headers / form labels that mean this field.
        required: an entry without it is flagged missing_required.
        group: marriage only: the header group above it (husband / wife).
        subheaders: marriage only: headers under the group ("Họ và tên" under "Chồng").
        derived: the headers (among `headers`) made from a sub-header and the group's word
            ("Chỗ ở chồng"), not written in the config.
    """

    name: str
    kind: str
    headers: tuple[str, ...]
    required: bool = False
    group: str | None = None
    subheaders: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A cross-field check (`check` is one of RULE_CHECKS) with its arguments."""

    check: str
    field: str
    other: str | None = None
    at: str | None = None
    years: int | None = None
    sex: str | None = None


@dataclass(frozen=True)
class RegisterConfig:
    """One register type's titles, fields and cross-field rules."""

    register_type: str
    titles: tuple[str, ...]
    fields: dict[str, FieldSpec]
    rules: tuple[Rule, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """Everything the pipeline is configured with; `hash` goes into every record."""

    registers: dict[str, RegisterConfig]
    low_confidence: float
    header_match: float
    title_match: float
    min_year: int
    max_year: int
    render_dpi: int
    hash: str
    sources: tuple[str, ...]
    # the second recogniser (ocr/aster.py): "off", or "doubtful" (a second read of the cells
    # the doubt rule re-reads; see pipeline/extract/record.py)
    second_reader: str = "off"
    # the primary recogniser: "tesseract", "aster" (ocr/aster.py), or "auto" (chosen per
    # volume from its first pages, pipeline/run/primary.py); the runner hands each page a
    # Config whose `primary` is the volume's resolved one ("auto" reads as tesseract)
    primary: str = "tesseract"
    # `hotich run --silent-target`: the expected share of wrong and unflagged fields the
    # flags are set for (pipeline/extract/perr.py)
    silent_target: float = 0.003
    perr_model: str | None = None  # configs/perr_model.json's SHA-256 (first 12 hex digits)


def read_yaml(path: Path) -> dict:
    """A YAML mapping from `path` (empty file: {}).

    Raises:
        ConfigError: missing file, bad YAML or not a mapping, naming the file.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _merge(base: dict, extra: dict) -> dict:
    """Deep-merge `extra` into `base`; lists are extended (variants add, never replace)."""
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif isinstance(v, list) and isinstance(out.get(k), list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
        else:
            out[k] = v
    return out


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise ConfigError(f"{where}: must be a list of non-empty strings")
    return tuple(value)


def _register(src: str, rtype: str, raw: dict) -> RegisterConfig:
    known = {"register_type", "titles", "fields", "rules", "groups"}
    for k in raw:
        if k not in known:
            raise ConfigError(f"{src}: key {rtype}.{k}: unknown (expected one of {sorted(known)})")
    titles = _strings(f"{src}: key {rtype}.titles", raw.get("titles", []))
    if not titles:
        raise ConfigError(f"{src}: key {rtype}.titles: at least one page title is needed")
    groups = {g: _strings(f"{src}: key {rtype}.groups.{g}", v)
              for g, v in (raw.get("groups") or {}).items()}
    fields_raw = raw.get("fields") or {}
    if not isinstance(fields_raw, dict):
        raise ConfigError(f"{src}: key {rtype}.fields: must be a mapping of field names")
    allowed = set(all_fields(rtype))
    specs: dict[str, FieldSpec] = {}
    for name, spec in fields_raw.items():
        where = f"{src}: key {rtype}.fields.{name}"
        if name not in allowed:
            raise ConfigError(f"{where}: not a {rtype} record field (see CONTRACT.md)")
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: must be a mapping")
        for k in spec:
            if k not in {"headers", "required", "group", "subheaders"}:
                raise ConfigError(f"{where}.{k}: unknown key")
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise ConfigError(f"{where}.required: must be true or false")
        group = spec.get("group")
        if group is not None and group not in groups:
            raise ConfigError(f"{where}.group: {group!r} is not declared under {rtype}.groups")
        headers = _strings(f"{where}.headers", spec.get("headers", []))
        subheaders = _strings(f"{where}.subheaders", spec["subheaders"]) if "subheaders" in spec else ()
        if group is not None:
            # a book without the group row writes the group into each header ("Chỗ ở chồng",
            # "Quốc tịch vợ"): every sub-header followed by the group's first word
            word = groups[group][0].lower()
            derived = tuple(h for h in (f"{sub} {word}" for sub in subheaders) if h not in headers)
        else:
            derived = ()
        specs[name] = FieldSpec(
            name=name, kind=field_kind(name), headers=headers + derived,
            required=required, group=group, subheaders=subheaders, derived=derived)
    missing = [f for f in all_fields(rtype) if f not in specs]
    if missing:
        raise ConfigError(f"{src}: key {rtype}.fields: missing {', '.join(missing)}")
    rules = []
    for i, r in enumerate(raw.get("rules") or []):
        where = f"{src}: key {rtype}.rules[{i}]"
        if not isinstance(r, dict) or r.get("check") not in RULE_CHECKS:
            raise ConfigError(f"{where}: check must be one of {sorted(RULE_CHECKS)}")
        for arg in RULE_CHECKS[r["check"]]:
            if arg not in r:
                raise ConfigError(f"{where}: {r['check']} needs '{arg}'")
        for k in ("field", "other", "at"):
            if k in r and r[k] not in allowed:
                raise ConfigError(f"{where}.{k}: {r[k]!r} is not a {rtype} field")
        if r["check"] == "name_sex" and ("other" in r) == ("sex" in r):
            raise ConfigError(f"{where}: name_sex needs either 'other' (the sex field) or 'sex' (Nam or Nữ)")
        rules.append(Rule(**{k: r.get(k) for k in ("check", "field", "other", "at", "years", "sex")}))
    return RegisterConfig(register_type=rtype, titles=titles, fields=specs,
                          rules=tuple(rules), groups=groups)


SECOND_READER_MODES = ("off", "doubtful")
PRIMARY_MODES = ("tesseract", "aster", "auto")


def _number(src: str, key: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ConfigError(f"{src}: key {key}: must be a number in {lo}..{hi}, got {value!r}")
    return value


def load_config(extra: Path | None = None, silent_target: float | None = None) -> Config:
    """Load the defaults, merge an operator's override file, validate, and hash.

    Raises:
        ConfigError: naming the file, the key and the problem.
    """
    merged: dict[str, Any] = read_yaml(CONFIG_DIR / "settings.yaml")
    for rtype in REGISTER_TYPES:
        merged[rtype] = read_yaml(CONFIG_DIR / f"{rtype}.yaml")
    sources = [str(CONFIG_DIR / "settings.yaml")] + [str(CONFIG_DIR / f"{t}.yaml") for t in REGISTER_TYPES]
    src = "defaults"
    if extra is not None:
        extra = Path(extra)
        override = read_yaml(extra)
        for k in override:
            if k not in {"thresholds", "dates", "render_dpi", "recognition", *REGISTER_TYPES}:
                raise ConfigError(f"{extra}: key {k}: unknown (expected thresholds, dates, "
                                  f"render_dpi, recognition or a register type)")
        merged = _merge(merged, override)
        sources.append(str(extra))
        src = str(extra)
    th = merged.get("thresholds") or {}
    dates = merged.get("dates") or {}
    registers = {t: _register(src if extra else str(CONFIG_DIR / f"{t}.yaml"), t, merged[t])
                 for t in REGISTER_TYPES}
    min_year = int(_number(src, "dates.min_year", dates.get("min_year", 1880), 1800, 2100))
    max_year = int(_number(src, "dates.max_year", dates.get("max_year", 2021), 1800, 2100))
    if min_year >= max_year:
        raise ConfigError(f"{src}: key dates: min_year {min_year} must be below max_year {max_year}")
    second = (merged.get("recognition") or {}).get("second_reader", "off")
    second = "off" if second is False else second  # YAML 1.1 reads a bare off as false
    if second not in SECOND_READER_MODES:
        raise ConfigError(f"{src}: key recognition.second_reader: must be one of "
                          f"{', '.join(SECOND_READER_MODES)}, got {second!r}")
    primary = (merged.get("recognition") or {}).get("primary", "tesseract")
    if primary not in PRIMARY_MODES:
        raise ConfigError(f"{src}: key recognition.primary: must be one of "
                          f"{', '.join(PRIMARY_MODES)}, got {primary!r}")
    if silent_target is not None:
        merged["thresholds"] = {**th, "silent_target": silent_target}
        th = merged["thresholds"]
    target = float(_number(src, "thresholds.silent_target", th.get("silent_target", 0.003), 0, 1))
    # the error model decides flags: a refit model re-decides every page (config hash)
    merged["perr_model"] = hashlib.sha256(PERR_MODEL.read_bytes()).hexdigest()[:12] if PERR_MODEL.exists() else None
    canonical = json.dumps(merged, sort_keys=True, ensure_ascii=False, default=str)
    return Config(
        registers=registers,
        low_confidence=float(_number(src, "thresholds.low_confidence", th.get("low_confidence", 0.8), 0, 1)),
        header_match=float(_number(src, "thresholds.header_match", th.get("header_match", 80), 0, 100)),
        title_match=float(_number(src, "thresholds.title_match", th.get("title_match", 80), 0, 100)),
        min_year=min_year, max_year=max_year,
        render_dpi=int(_number(src, "render_dpi", merged.get("render_dpi", 300), 72, 1200)),
        hash=hashlib.sha256(canonical.encode()).hexdigest()[:16],
        sources=tuple(sources),
        second_reader=second,
        primary=primary,
        silent_target=target,
        perr_model=merged["perr_model"],
    )
