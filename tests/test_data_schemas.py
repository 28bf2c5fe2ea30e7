"""The suite's data files (ledger, controls, FIDO mapping) match their schemas, and a loader refuses a file that does
not, naming the file and the JSON pointer of the violation."""

from __future__ import annotations

import copy
import json

import pytest
from fidoconf.conformance import controls, ledger
from fidoconf.conformance.data import schemas_dir, vectors_dir
from fidoconf.conformance.data_files import SCHEMA_OF, DataFileInvalid, check, json_pointer, load
from jsonschema import Draft202012Validator


@pytest.mark.parametrize("name", sorted(SCHEMA_OF))
def test_schema_is_valid_2020_12(name):
    schema = json.loads((schemas_dir() / SCHEMA_OF[name]).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", sorted(SCHEMA_OF))
def test_shipped_file_matches_its_schema(name):
    value = load(name)
    assert isinstance(value, dict) and value


def _shipped(name: str) -> dict:
    return json.loads((vectors_dir() / name).read_text(encoding="utf-8"))


def _refused(name: str, value) -> DataFileInvalid:
    with pytest.raises(DataFileInvalid) as caught:
        check(name, value)
    return caught.value


def test_ledger_refuses_a_malformed_id():
    value = _shipped("ledger.json")
    value["ids"]["ATT-PACKED-F3"] = {"title": "x", "fido_ref": None, "source": "packed.json"}
    error = _refused("ledger.json", value)
    assert (error.file, error.pointer) == ("ledger.json", "/ids")
    assert "vectors/ledger.json at /ids:" in str(error) and "ATT-PACKED-F3" in str(error)


def test_ledger_refuses_an_unknown_member_of_an_entry():
    value = _shipped("ledger.json")
    first = next(iter(value["ids"]))
    value["ids"][first]["retierd"] = True
    assert _refused("ledger.json", value).pointer == f"/ids/{first}"


@pytest.mark.parametrize("retired", [1, "yes", False])
def test_ledger_retired_is_only_true(retired):
    value = _shipped("ledger.json")
    first = next(iter(value["ids"]))
    value["ids"][first]["retired"] = retired  # 1 == True in Python; the schema's const must still refuse it
    assert _refused("ledger.json", value).pointer == f"/ids/{first}"


def test_controls_refuse_an_unknown_profile_and_an_empty_id_list():
    value = _shipped("controls.json")
    value["controls"]["no-origin-check"]["profile"] = "nevis"
    assert _refused("controls.json", value).pointer == "/controls/no-origin-check/profile"
    value = _shipped("controls.json")
    value["controls"]["no-origin-check"]["ids"] = []
    assert _refused("controls.json", value).pointer == "/controls/no-origin-check/ids"


def test_fido_mapping_row_without_ids_needs_a_note():
    value = _shipped("fido_mapping.json")
    value["rows"]["Req-1 P-2"]["ids"] = []
    assert _refused("fido_mapping.json", value).pointer == "/rows/Req-1 P-2"


def test_pointer_escapes_per_rfc_6901():
    assert json_pointer(["rows", "a/b~c", 3]) == "/rows/a~1b~0c/3"


def test_loaders_read_through_the_schema(tmp_path, monkeypatch):
    broken = copy.deepcopy(_shipped("controls.json"))
    broken["controls"]["no-origin-check"]["ids"] = ["not-an-id"]
    (tmp_path / "controls.json").write_text(json.dumps(broken), encoding="utf-8")
    (tmp_path / "ledger.json").write_text('{"ids": {"OPT-CHAL-P01": {"title": ""}}}', encoding="utf-8")
    monkeypatch.setattr("fidoconf.conformance.data_files.vectors_dir", lambda: tmp_path)
    monkeypatch.setattr(ledger, "LEDGER", tmp_path / "ledger.json")
    with pytest.raises(DataFileInvalid, match=r"^vectors/controls\.json at /controls/no-origin-check/ids/0: "):
        controls.expected_failures()
    with pytest.raises(DataFileInvalid, match=r"^vectors/ledger\.json at /ids/OPT-CHAL-P01: "):
        ledger.read()


def test_unreadable_json_is_a_data_file_error(tmp_path):
    (tmp_path / "fido_mapping.json").write_text("{", encoding="utf-8")
    with pytest.raises(DataFileInvalid, match=r"^vectors/fido_mapping\.json at /: not readable JSON"):
        load("fido_mapping.json", directory=tmp_path)
