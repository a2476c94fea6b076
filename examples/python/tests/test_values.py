"""Value types, error mapping and default paths: no server needed."""

from __future__ import annotations

import pickle

import pytest

import tidemark
from tidemark import (
    Change,
    CheckResult,
    Compacted,
    Dep,
    Forbidden,
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    Overloaded,
    ParseError,
    ShuttingDown,
    Stamp,
    StorageFull,
    TidemarkError,
    Unavailable,
    UnknownIntent,
    default_socket_path,
    error_from_json,
)


def test_dep_parse_and_json():
    assert Dep.parse("users:42") == Dep("users", "42")
    assert Dep.parse("orders") == Dep("orders")
    assert Dep.parse("t:a:b") == Dep("t", "a:b")
    assert Dep("users", "42").to_json() == {"table": "users", "key": "42"}
    assert Dep("orders").to_json() == {"table": "orders"}
    assert str(Dep("users", "42")) == "users:42"
    assert hash(Dep("a", "b")) == hash(Dep.parse("a:b"))
    assert Dep("users", 42) == Dep("users", "42")  # integer primary keys become strings
    for bad in ("", ":x", "t:"):
        with pytest.raises(ValueError):
            Dep.parse(bad)
    with pytest.raises(Exception):
        Dep("t").table = "u"  # frozen


def test_change_forms():
    assert Change("t").to_json() == {"table": "t"}
    assert Change("t", []).to_json() == {"table": "t"}
    assert Change("t", []).wide and Change("t").wide
    assert Change("t", ("1", "2")).to_json() == {"table": "t", "keys": ["1", "2"]}
    assert Change.parse("users:7") == Change("users", ["7"])
    assert Change("users", [7, "8"]).to_json() == {"table": "users", "keys": ["7", "8"]}
    assert Change.from_json({"table": "t"}) == Change("t")
    assert len({Change("t", ["1"]), Change("t", ["1"])}) == 1
    with pytest.raises(TypeError):
        Change("t", "abc")


def test_results_are_picklable_and_check_result_is_truthy_iff_valid():
    stamp = Stamp("ab" * 16, 7)
    assert pickle.loads(pickle.dumps(stamp)) == stamp
    assert bool(CheckResult(True)) and not bool(CheckResult(False, "changed"))


@pytest.mark.parametrize(
    "code,cls",
    [
        (-32700, ParseError),
        (-32600, InvalidRequest),
        (-32601, MethodNotFound),
        (-32602, InvalidParams),
        (-32603, InternalError),
        (-32001, Overloaded),
        (-32002, StorageFull),
        (-32003, UnknownIntent),
        (-32004, Compacted),
        (-32005, Forbidden),
        (-32006, ShuttingDown),
    ],
)
def test_error_mapping_by_code(code, cls):
    error = error_from_json({"code": code, "message": "m", "data": {"x": 1}})
    assert type(error) is cls
    assert isinstance(error, TidemarkError)
    assert error.code == code == cls.code
    assert error.message == "m" and error.data == {"x": 1}
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and copy.code == code and copy.data == {"x": 1}


def test_error_data_accessors():
    assert error_from_json({"code": -32602, "message": "", "data": {"field": "deps[0].table"}}).field == "deps[0].table"
    assert error_from_json({"code": -32003, "message": "", "data": {"state": "expired"}}).state == "expired"
    assert error_from_json({"code": -32004, "message": "", "data": {"oldest": 12}}).oldest == 12
    assert error_from_json({"code": -32601, "message": "", "data": {"method": "x"}}).method == "x"
    unknown = error_from_json({"code": -31999, "message": "new"})
    assert type(unknown) is TidemarkError and unknown.code == -31999


def test_unavailable_is_a_tidemark_error_without_code():
    error = Unavailable("down")
    assert isinstance(error, TidemarkError) and error.code is None and error.retryable
    assert Overloaded.retryable and ShuttingDown.retryable and not InvalidParams.retryable


def test_default_socket_path_matches_the_server():
    # Same rules as Sources/TidemarkClient/DefaultPaths.swift, empty variables unset.
    assert default_socket_path({"TIDEMARK_SOCKET": "/x/s.sock", "XDG_RUNTIME_DIR": "/run/u"}, 5) == "/x/s.sock"
    assert default_socket_path({"TIDEMARK_SOCKET": "", "XDG_RUNTIME_DIR": "/run/u"}, 5) == "/run/u/tidemark/tidemark.sock"
    assert default_socket_path({"XDG_RUNTIME_DIR": "/run/u/"}, 5) == "/run/u/tidemark/tidemark.sock"
    assert default_socket_path({"XDG_RUNTIME_DIR": ""}, 5) == "/tmp/tidemark-5/tidemark.sock"
    assert default_socket_path({}, 1000) == "/tmp/tidemark-1000/tidemark.sock"


def test_client_default_path_reads_environment(monkeypatch):
    monkeypatch.setenv("TIDEMARK_SOCKET", "/nowhere/t.sock")
    assert tidemark.Client().socket_path == "/nowhere/t.sock"
    monkeypatch.delenv("TIDEMARK_SOCKET")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/9")
    assert tidemark.Client().socket_path == "/run/user/9/tidemark/tidemark.sock"
