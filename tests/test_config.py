"""Register configs: load, hash, operator overrides, and errors naming file, key and problem."""
from __future__ import annotations

import pytest

from configs.loader import load_config
from schemas.errors import ConfigError, ExitCode
from schemas.fields import REGISTER_TYPES, all_fields


def _write(tmp_path, text: str):
    path = tmp_path / "override.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_every_register_type():
    cfg = load_config()
    assert set(cfg.registers) == set(REGISTER_TYPES)
    for rtype, reg in cfg.registers.items():
        assert set(reg.fields) == set(all_fields(rtype))
        assert reg.titles[0].startswith("SỔ ĐĂNG KÝ")
        assert reg.fields["entry_no"].required and "Số" in reg.fields["entry_no"].headers
    assert cfg.registers["marriage"].fields["wife_name"].group == "wife"
    assert "Chồng" in cfg.registers["marriage"].groups["husband"]
    assert cfg.registers["birth"].fields["date_of_birth"].kind == "date"
    assert 0 < cfg.low_confidence < 1


def test_config_hash_is_stable_and_tracks_changes(tmp_path):
    assert load_config().hash == load_config().hash
    same = _write(tmp_path, "thresholds: {low_confidence: 0.8}\n")
    assert load_config(same).hash == load_config().hash  # the default value: same config
    other = _write(tmp_path, "thresholds: {low_confidence: 0.85}\n")
    changed = load_config(other)
    assert changed.hash != load_config().hash and changed.low_confidence == 0.85


def test_override_adds_header_variants_and_titles(tmp_path):
    path = _write(tmp_path, "birth:\n  titles: [SỔ ĐĂNG KÝ KHAI SINH (BẢN SAO)]\n"
                            "  fields:\n    full_name: {headers: [Họ tên trẻ em]}\n")
    cfg = load_config(path)
    headers = cfg.registers["birth"].fields["full_name"].headers
    assert "Họ tên trẻ em" in headers and "Họ và tên" in headers  # added, not replaced
    assert "SỔ ĐĂNG KÝ KHAI SINH (BẢN SAO)" in cfg.registers["birth"].titles
    assert str(path) in cfg.sources


@pytest.mark.parametrize("text,words", [
    ("colour: blue\n", ["colour", "unknown"]),
    ("thresholds: {low_confidence: 2}\n", ["thresholds.low_confidence", "0..1"]),
    ("thresholds: {header_match: high}\n", ["thresholds.header_match", "number"]),
    ("birth:\n  fields:\n    husband_name: {headers: [Tên chồng]}\n", ["birth.fields.husband_name", "not a birth"]),
    ("death:\n  fields:\n    full_name: {headerz: [X]}\n", ["death.fields.full_name.headerz", "unknown"]),
    ("death:\n  fields:\n    full_name: {headers: [\"\"]}\n", ["death.fields.full_name.headers", "non-empty"]),
    # an override's rules are appended to the built-in ones: the bad one is numbered after them
    ("birth:\n  rules:\n    - {check: older_than, field: sex}\n",
     [f"birth.rules[{len(load_config().registers['birth'].rules)}]", "check must be one of"]),
    ("dates: {min_year: 2000, max_year: 1990}\n", ["min_year", "below"]),
    ("birth: [oops\n", ["not valid YAML"]),
    ("- just\n- a list\n", ["mapping"]),
])
def test_invalid_override_names_file_key_and_problem(tmp_path, text, words):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = err.value.message
    assert str(path) in msg
    for w in words:
        assert w in msg, msg
    assert err.value.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in msg  # one line


def test_missing_override_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.yaml")
