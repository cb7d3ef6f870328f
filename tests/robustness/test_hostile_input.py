"""Hostile input over real gRPC: the requestor and the provider let nothing in.

Every case ends in INVALID_ARGUMENT, or a FAILURE verdict with a reason
(the part is pending again and nothing else changed), never INTERNAL; no
file outside the task dir changes; INVALID_ARGUMENT leaves the whole tree,
`task.json` and `task.journal` included, as it was; and the server answers
the next valid call. The attack tables run against real processes (the
provider's, which answers once and exits, partly in-process to keep the
file fast); the hypothesis properties against in-process servers.

One exception, by design of gRPC: a message over the server's 4 MiB
receive limit is refused by gRPC itself with RESOURCE_EXHAUSTED before any
handler runs; that is acceptable as long as the server keeps serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tutorial_app.core.state import PartStatus, SubtaskStatus
from tutorial_app.files import zips
from tutorial_app.handlers.provider import ProviderHandler
from tutorial_app.handlers.requestor import RequestorHandler
from tutorial_app.search import pow
from tutorial_app.store import store

from tests.robustness.support import (
    InProcessApp,
    ProcessApp,
    call,
    corrupt_deflate_zip,
    flagged_zip,
    lying_zip,
    nothing_changes,
    provider_stub,
    requestor_stub,
    state_files,
    symlink_zip,
    tree,
    zip_of,
)
from tests.tutorial_app.zip_forge import (  # the byte-level forge shared with the zip tests
    BZIP2,
    LZMA,
    bomb,
    build,
    bzip2_gib_bomb,
    entry,
    unicode_path_extra,
)

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
INPUT_TEXT = "Hostile input, honest work.\n"
MIB = 1 << 20


# -- the world: a requestor work dir, one created task, one never created ------


@dataclass
class World:
    root: Path  # everything: work dir and the files outside it
    work: Path
    outside: Path
    main: RequestorTaskDir  # created, difficulty 0: every nonce is a valid proof
    fresh: RequestorTaskDir  # prepared with hostile task_inputs, never created


def make_world(root: Path) -> World:
    outside = root / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_text("not for the app\n")
    (outside / "stolen.zip").write_bytes(zip_of({"input.txt": b"stolen"}))
    work = root / "work"
    main = RequestorTaskDir(work / "main")
    main.prepare()
    (main.task_inputs_dir / "in.txt").write_text(INPUT_TEXT)
    fresh = RequestorTaskDir(work / "fresh")
    fresh.prepare()
    inputs = fresh.task_inputs_dir
    (inputs / "in.txt").write_text(INPUT_TEXT)
    (inputs / "link-out").symlink_to(outside / "secret.txt")
    (inputs / "link-up").symlink_to("../../../outside/secret.txt")
    (inputs / "loop").symlink_to("loop")
    (inputs / "dir").mkdir()
    os.mkfifo(inputs / "fifo")
    (inputs / "latin1.txt").write_bytes("Zażółć".encode("iso-8859-2"))
    with (inputs / "big.txt").open("wb") as handle:  # sparse: cheap to make
        handle.truncate(zips.MAX_INPUT_BYTES + 1)
    return World(root, work, outside, main, fresh)


def create_main(stub: object, world: World, parts: int = 500) -> None:
    code, reply = call(
        stub.CreateTask,  # type: ignore[attr-defined]
        pb.CreateTaskRequest(
            task_id="main",
            max_subtasks_count=parts,
            task_params_json=json.dumps({"resources": ["in.txt"], "difficulty": 0}),
        ),
    )
    assert code is OK, reply


def healthy(stub: object) -> None:
    """The next valid call is answered normally."""
    code, reply = call(
        stub.HasPendingSubtasks,  # type: ignore[attr-defined]
        pb.HasPendingSubtasksRequest(task_id="main"),
    )
    assert code is OK, reply
    assert reply.has_pending_subtasks is True


@pytest.fixture(scope="module")
def requestor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, object]]:
    """The table's target: the real app as a child process, created once per module."""
    world = make_world(tmp_path_factory.mktemp("hostile-process"))
    app = ProcessApp("requestor", world.work).wait_serving()
    stub = requestor_stub(app.channel)
    create_main(stub, world)
    yield world, stub
    healthy(stub)
    errors = app.stop()
    assert "Traceback" not in errors, errors


@pytest.fixture(scope="module")
def inproc_requestor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, object]]:
    """The properties' target: the same handlers, served in-process (fast)."""
    world = make_world(tmp_path_factory.mktemp("hostile-inprocess"))
    app = InProcessApp(world.work, requestor=RequestorHandler())
    stub = requestor_stub(app.channel)
    create_main(stub, world)
    yield world, stub
    healthy(stub)
    app.stop()


def expect_invalid(
    world: World, method: object, request: object, codes: tuple[object, ...] = (INVALID,)
) -> str:
    """INVALID_ARGUMENT (or another of `codes`) with a message, and not a byte changed."""
    before = state_files(world.main), state_files(world.fresh)
    with nothing_changes(world.root):
        code, details = call(method, request)
    assert code in codes, (code, details)
    assert details
    assert (state_files(world.main), state_files(world.fresh)) == before
    return str(details)


# -- CreateTask: parameters of every JSON shape and size -------------------------

DEEP = "[" * 100_000 + "]" * 100_000
PARAMS_CASES: list[tuple[str, str, int]] = [
    ("not json", "{difficulty: 1", 1),
    ("empty", "", 1),
    ("list", "[]", 1),
    ("string", '"resources"', 1),
    ("null", "null", 1),
    ("number", "1", 1),
    ("bool", "true", 1),
    ("nested 100k deep", DEEP, 1),
    ("nested dict deep", '{"a":' * 50_000 + "1" + "}" * 50_000, 1),
    ("5000-digit int", "1" * 5000, 1),
    ("NaN", "NaN", 1),
    ("unknown key", '{"resources": ["in.txt"], "rm -rf": 1}', 1),
    ("no resources", '{"difficulty": 1}', 1),
    ("resources string", '{"resources": "in.txt"}', 1),
    ("resources empty", '{"resources": []}', 1),
    ("resources number", '{"resources": [1]}', 1),
    ("resources null", '{"resources": [null]}', 1),
    ("resources nested", '{"resources": [["in.txt"]]}', 1),
    ("difficulty fraction", '{"resources": ["in.txt"], "difficulty": 3.5}', 1),
    ("difficulty float 257", '{"resources": ["in.txt"], "difficulty": 257.0}', 1),
    ("difficulty text float", '{"resources": ["in.txt"], "difficulty": "3.0"}', 1),
    ("difficulty bool", '{"resources": ["in.txt"], "difficulty": true}', 1),
    ("difficulty text", '{"resources": ["in.txt"], "difficulty": "three"}', 1),
    ("difficulty negative", '{"resources": ["in.txt"], "difficulty": -1}', 1),
    ("difficulty 257", '{"resources": ["in.txt"], "difficulty": 257}', 1),
    ("difficulty huge", '{"resources": ["in.txt"], "difficulty": 1' + "0" * 4000 + "}", 1),
    ("difficulty inf", '{"resources": ["in.txt"], "difficulty": 1e400}', 1),
    ("difficulty NaN", '{"resources": ["in.txt"], "difficulty": NaN}', 1),
    ("count float", '{"resources": ["in.txt"], "subtasks_count": 1.5}', 2),
    ("count bool", '{"resources": ["in.txt"], "subtasks_count": true}', 2),
    ("count zero", '{"resources": ["in.txt"], "subtasks_count": 0}', 2),
    ("count over max", '{"resources": ["in.txt"], "subtasks_count": 3}', 2),
    ("max count zero", '{"resources": ["in.txt"]}', 0),
    ("max count negative", '{"resources": ["in.txt"]}', -5),
    ("max count int32 max", '{"resources": ["in.txt"]}', 2**31 - 1),
    ("1 MB resource name", json.dumps({"resources": ["x" * MIB]}), 1),
    ("1 MB unknown value", json.dumps({"resources": ["in.txt"], "junk": "y" * MIB}), 1),
    ("100k resources", json.dumps({"resources": ["in.txt"] * 100_000 + ["../x"]}), 1),
]

RESOURCE_CASES = [
    "../in.txt",
    "../../../outside/secret.txt",
    "/etc/passwd",
    str(Path("/") / "etc" / "shadow"),
    "sub/in.txt",
    "..",
    ".",
    "",
    "in.txt\0",
    "in\n.txt",
    "x" * 256,
    "ż" * 128,
    "link-out",  # a symlink inside task_inputs to a file outside
    "link-up",  # the same through a relative link
    "loop",  # a symlink to itself
    "dir",
    "fifo",
    "latin1.txt",  # not UTF-8
    "big.txt",  # 16 MiB + 1
    "missing.txt",
]


@pytest.mark.parametrize(
    ("text", "max_count"),
    [(c[1], c[2]) for c in PARAMS_CASES],
    ids=[c[0] for c in PARAMS_CASES],
)
def test_task_params_are_invalid_argument(
    requestor: tuple[World, object], text: str, max_count: int
) -> None:
    world, stub = requestor
    request = pb.CreateTaskRequest(task_id="fresh", max_subtasks_count=max_count)
    request.task_params_json = text
    expect_invalid(world, stub.CreateTask, request)  # type: ignore[attr-defined]
    healthy(stub)


@pytest.mark.parametrize("name", RESOURCE_CASES, ids=[repr(n)[:30] for n in RESOURCE_CASES])
def test_resources_escaping_task_inputs_are_invalid_argument(
    requestor: tuple[World, object], name: str
) -> None:
    world, stub = requestor
    # Only the first resource is read; later ones must still be plain files inside.
    second = name not in ("latin1.txt", "big.txt")
    for resources in ([name], ["in.txt", name]) if second else ([name],):
        request = pb.CreateTaskRequest(
            task_id="fresh",
            max_subtasks_count=1,
            task_params_json=json.dumps({"resources": resources, "difficulty": 1}),
        )
        expect_invalid(world, stub.CreateTask, request)  # type: ignore[attr-defined]
    healthy(stub)


def test_message_over_the_size_limit_is_refused_and_the_server_stays_up(
    requestor: tuple[World, object],
) -> None:
    """gRPC's 4 MiB receive limit answers RESOURCE_EXHAUSTED before the handler runs."""
    world, stub = requestor
    request = pb.CreateTaskRequest(
        task_id="fresh",
        max_subtasks_count=1,
        task_params_json=json.dumps({"resources": ["in.txt"], "junk": "z" * (5 * MIB)}),
    )
    with nothing_changes(world.root):
        code, _ = call(stub.CreateTask, request)  # type: ignore[attr-defined]
    assert code is grpc.StatusCode.RESOURCE_EXHAUSTED
    healthy(stub)


# -- ids ---------------------------------------------------------------------------

BAD_IDS = [
    "",
    ".",
    "..",
    "../main",
    "../../outside",
    "/etc",
    "a/b",
    "a\\b",
    "a\0b",
    "x" * 10_000,
    "ż" * 128,  # 128 characters, 256 bytes: too long for a directory name
]
#: Accepted by the runtime (they are safe directory names) but not by the app,
#: whose subtask ids also name files.
APP_BAD_SUBTASK_IDS = ["-x", "a b", "ż", "a\n", "x" * 129]


def id_calls(bad: str, *, subtask_only: bool = False) -> list[tuple[str, object]]:
    calls: list[tuple[str, object]] = [
        ("NextSubtask", pb.NextSubtaskRequest(task_id="main", subtask_id=bad)),
        ("Verify", pb.VerifyRequest(task_id="main", subtask_id=bad)),
        ("AbortSubtask", pb.AbortSubtaskRequest(task_id="main", subtask_id=bad)),
    ]
    if subtask_only:
        return calls
    return [
        *calls,
        ("CreateTask", pb.CreateTaskRequest(task_id=bad, max_subtasks_count=1)),
        ("NextSubtask", pb.NextSubtaskRequest(task_id=bad, subtask_id="s")),
        ("Verify", pb.VerifyRequest(task_id=bad, subtask_id="s")),
        ("HasPendingSubtasks", pb.HasPendingSubtasksRequest(task_id=bad)),
        ("AbortTask", pb.AbortTaskRequest(task_id=bad)),
        ("AbortSubtask", pb.AbortSubtaskRequest(task_id=bad, subtask_id="s")),
        ("DiscardSubtasks", pb.DiscardSubtasksRequest(task_id=bad)),
        ("DiscardSubtasks", pb.DiscardSubtasksRequest(task_id="main", subtask_ids=["s", bad])),
    ]


@pytest.mark.parametrize("bad", BAD_IDS, ids=[repr(b)[:20] for b in BAD_IDS])
def test_bad_ids_are_invalid_argument(requestor: tuple[World, object], bad: str) -> None:
    world, stub = requestor
    for method, request in id_calls(bad):
        details = expect_invalid(world, getattr(stub, method), request)
        assert "_id" in details, (method, details)
    healthy(stub)


@pytest.mark.parametrize(
    "bad", APP_BAD_SUBTASK_IDS, ids=[repr(b)[:20] for b in APP_BAD_SUBTASK_IDS]
)
def test_subtask_ids_the_app_refuses(requestor: tuple[World, object], bad: str) -> None:
    world, stub = requestor
    for method, request in id_calls(bad, subtask_only=True):
        expect_invalid(world, getattr(stub, method), request)
    healthy(stub)


# -- Verify: hostile results -----------------------------------------------------


def line(inp: str, nonce: int) -> str:
    return f"{pow.hash_hex(inp, nonce)} {nonce}"


def raw_line(inp: str, nonce_text: str) -> str:
    """A hash that is right for the literal nonce text (so only the format is wrong)."""
    return hashlib.sha256((inp + nonce_text).encode("utf-8")).hexdigest() + " " + nonce_text


def result(text: str | bytes) -> bytes:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return zip_of({zips.RESULT_MEMBER: data})


Maker = Callable[[str], bytes]
RESULT_ZIPS: list[tuple[str, Maker]] = [
    ("not a zip", lambda inp: b"hello, I am not a zip"),
    ("empty file", lambda inp: b""),
    ("zip header only", lambda inp: b"PK\x03\x04" + b"\0" * 26),
    ("no members", lambda inp: zip_of({})),
    ("two members", lambda inp: zip_of({"result.txt": line(inp, 0).encode(), "x": b""})),
    ("1000 members", lambda inp: zip_of({f"m{i}": b"" for i in range(1000)})),
    ("declares 1 GB", lambda inp: lying_zip(line(inp, 0).encode(), 10**9, "result.txt")),
    ("bomb 1000x", lambda inp: zip_of({"result.txt": line(inp, 0).encode() + b" " * MIB})),
    ("lying header bomb", lambda inp: lying_zip(line(inp, 0).encode() + b"0" * 60_000, 80, "r")),
    ("nested dirs", lambda inp: zip_of({"a/": b"", "a/b/": b"", "a/b/result.txt": b""})),
    ("member in a dir", lambda inp: zip_of({"a/b/result.txt": line(inp, 0).encode()})),
    ("member ../../x", lambda inp: zip_of({"../../evil": line(inp, 0).encode()})),
    ("member absolute", lambda inp: zip_of({"/tmp/evil": line(inp, 0).encode()})),
    ("symlink entry", lambda inp: symlink_zip("result.txt", line(inp, 0).encode())),
    ("directory entry", lambda inp: zip_of({"result.txt/": b""})),
    ("corrupt deflate", lambda inp: corrupt_deflate_zip("result.txt")),
    ("encrypted flag", lambda inp: flagged_zip("result.txt", line(inp, 0).encode(), flag=1)),
    ("unknown method", lambda inp: flagged_zip("result.txt", b"x", method=99)),
    ("upper-case hex", lambda inp: result(line(inp, 0).upper())),
    ("leading zeros", lambda inp: result(raw_line(inp, "007"))),
    ("negative nonce", lambda inp: result(raw_line(inp, "-1"))),
    ("5000-digit nonce", lambda inp: result(raw_line(inp, "9" * 5000))),
    ("nonce 2**64", lambda inp: result(raw_line(inp, str(2**64)))),
    ("arabic digits", lambda inp: result(raw_line(inp, "\u0663"))),
    ("two spaces", lambda inp: result(line(inp, 0).replace(" ", "  "))),
    ("leading space", lambda inp: result(" " + line(inp, 0))),
    ("tab", lambda inp: result(line(inp, 0).replace(" ", "\t"))),
    ("CRLF", lambda inp: result(line(inp, 0) + "\r\n")),
    ("two newlines", lambda inp: result(line(inp, 0) + "\n\n")),
    ("trailing garbage", lambda inp: result(line(inp, 0) + " x")),
    ("second line", lambda inp: result(line(inp, 0) + "\n" + line(inp, 1))),
    ("non-UTF-8", lambda inp: result(line(inp, 0).encode() + b"\xff")),
    ("empty member", lambda inp: result(b"")),
    ("hash only", lambda inp: result(pow.hash_hex(inp, 0))),
    ("other part's hash", lambda inp: result(line(inp + "x", 0))),
    ("bzip2 bomb 1 GiB", lambda inp: bzip2_gib_bomb()),
    ("lzma bomb 256 MiB", lambda inp: bomb(LZMA, 256 * MIB)),
    ("bzip2 valid", lambda inp: build([entry("result.txt", line(inp, 0).encode(), BZIP2)])),
    ("unicode path", lambda inp: unicode_path_zip(line(inp, 0).encode())),
    ("hidden entry", lambda inp: hidden_entry_zip(line(inp, 0).encode())),
    ("duplicate names", lambda inp: build([entry("r", line(inp, 0).encode()), entry("r", b"")])),
    ("local name differs", lambda inp: build([entry("r", line(inp, 0).encode(), local=RENAME)])),
    ("trailing data", lambda inp: zip_of({"r": line(inp, 0).encode()}) + b"tail"),
]
RENAME = {"name": b"x"}


def unicode_path_zip(data: bytes) -> bytes:
    """`unzip` extracts this result.txt as ../../pwned.sh (Python ignores the field)."""
    extra = unicode_path_extra(b"result.txt", "../../pwned.sh")
    return build([entry("result.txt", data, extra=extra)])


def hidden_entry_zip(data: bytes) -> bytes:
    """A second local entry the central directory does not list (a streaming
    extractor would write it, and zipfile would not)."""
    return build([entry("result.txt", data), entry(".bashrc", b"evil")], listed=[0])


def install(path: Path, what: str | bytes | None, world: World) -> None:
    """Put a hostile result (or input) at `path`; a str names a special kind of file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(what, bytes):
        path.write_bytes(what)
    elif what == "directory":
        path.mkdir()
    elif what == "fifo":
        os.mkfifo(path)
    elif what == "symlink out":
        path.symlink_to(world.outside / "secret.txt")
    elif what == "symlink to a valid zip":
        path.symlink_to(world.outside / "valid.zip")
    elif what == "sparse 16 MiB":
        with path.open("wb") as handle:
            handle.truncate(zips.MAX_INPUT_BYTES + 1)
    else:
        assert what == "missing"


SPECIAL_RESULTS = ["missing", "directory", "fifo", "symlink out", "symlink to a valid zip"]
SPECIAL_RESULTS.append("sparse 16 MiB")


def part_input(task_dir: Path, subtask_id: str) -> str:
    task, _ = store.read_task(task_dir)
    assert task is not None
    return task.part_input(task.subtasks[subtask_id].part)


def verify_hostile(world: World, stub: object, sid: str, make: Callable[[str], object]) -> str:
    """NextSubtask, plant the result, Verify: FAILURE, part pending, nothing else changed."""
    main = world.main
    before, _ = store.read_task(main)
    assert before is not None
    code, reply = call(
        stub.NextSubtask,  # type: ignore[attr-defined]
        pb.NextSubtaskRequest(task_id="main", subtask_id=sid),
    )
    assert code is OK and reply.HasField("subtask"), reply
    inp = part_input(main, sid)
    what = make(inp)
    (world.outside / "valid.zip").write_bytes(result(line(inp, 0)))  # for the symlink case
    install(main.subtask_outputs_dir(sid) / f"{sid}.zip", what, world)  # type: ignore[arg-type]
    outside_task = tree(world.root, skip=main)
    outputs = tree(main.task_outputs_dir)
    code, reply = call(
        stub.Verify,  # type: ignore[attr-defined]
        pb.VerifyRequest(task_id="main", subtask_id=sid),
    )
    assert code is OK, reply
    assert reply.result == pb.VerifyReply.FAILURE, reply
    assert reply.reason
    after, _ = store.read_task(main)
    assert after is not None
    # The part is pending again; no other part or subtask moved.
    assert [(p.status, p.subtask_id) for p in after.parts] == [
        (p.status, p.subtask_id) for p in before.parts
    ]
    assert after.subtasks[sid].status is SubtaskStatus.FAILED
    part = after.subtasks[sid].part  # its earlier attempt, if any, is folded into a count
    assert {k: v for k, v in after.subtasks.items() if k != sid} == {
        k: v for k, v in before.subtasks.items() if v.part != part
    }
    assert tree(main.task_outputs_dir) == outputs
    assert tree(world.root, skip=main) == outside_task
    healthy(stub)
    return str(reply.reason)


def _sid(case: str) -> str:
    return "v-" + re.sub(r"[^A-Za-z0-9]+", "-", case).strip("-")


@pytest.mark.parametrize("make", [c[1] for c in RESULT_ZIPS], ids=[c[0] for c in RESULT_ZIPS])
def test_hostile_results_fail_with_a_reason(
    requestor: tuple[World, object], make: Maker, request: pytest.FixtureRequest
) -> None:
    world, stub = requestor
    verify_hostile(world, stub, _sid(request.node.callspec.id), make)


@pytest.mark.parametrize("kind", SPECIAL_RESULTS)
def test_result_files_that_are_not_regular_zips_fail(
    requestor: tuple[World, object], kind: str
) -> None:
    world, stub = requestor
    reason = verify_hostile(world, stub, _sid("special " + kind), lambda inp: kind)
    assert re.search(r"missing|symlink|not a regular file|bytes", reason), reason


def test_a_valid_result_still_succeeds(requestor: tuple[World, object]) -> None:
    """The control case: the same path with an honest result is accepted."""
    world, stub = requestor
    sid = "v-honest"
    code, reply = call(stub.NextSubtask, pb.NextSubtaskRequest(task_id="main", subtask_id=sid))  # type: ignore[attr-defined]
    assert code is OK
    path = world.main.subtask_outputs_dir(sid) / f"{sid}.zip"
    install(path, result(line(part_input(world.main, sid), 0)), world)
    code, reply = call(stub.Verify, pb.VerifyRequest(task_id="main", subtask_id=sid))  # type: ignore[attr-defined]
    assert code is OK and reply.result == pb.VerifyReply.SUCCESS, reply


# -- the provider: hostile subtask params and input zips ---------------------------

GOOD_PARAMS = json.dumps({"difficulty": 1, "resources": ["in.zip"]})
ProviderCase = tuple[str, str, str, "bytes | str"]  # task_id, subtask_id, params, input
PROVIDER_CASES: list[tuple[str, tuple[str, str, str, bytes | str]]] = [
    ("params list", ("t", "s", "[]", b"")),
    ("params null", ("t", "s", "null", b"")),
    ("params deep", ("t", "s", DEEP, b"")),
    ("params 5000-digit", ("t", "s", "1" * 5000, b"")),
    ("params unknown key", ("t", "s", '{"difficulty": 1, "resources": ["in.zip"], "x": 1}', b"")),
    ("difficulty fraction", ("t", "s", '{"difficulty": 1.5, "resources": ["in.zip"]}', b"")),
    ("difficulty 999", ("t", "s", '{"difficulty": 999, "resources": ["in.zip"]}', b"")),
    ("two resources", ("t", "s", '{"difficulty": 1, "resources": ["in.zip", "b.zip"]}', b"")),
    ("resource ../", ("t", "s", '{"difficulty": 1, "resources": ["../in.zip"]}', b"")),
    ("resource absolute", ("t", "s", '{"difficulty": 1, "resources": ["/etc/x.zip"]}', b"")),
    ("resource not .zip", ("t", "s", '{"difficulty": 1, "resources": ["in.txt"]}', b"")),
    ("task_id ..", ("..", "s", GOOD_PARAMS, b"")),
    ("subtask_id a/b", ("t", "a/b", GOOD_PARAMS, b"")),
    ("subtask_id NUL", ("t", "a\0", GOOD_PARAMS, b"")),
    ("subtask_id 10000", ("t", "s" * 10_000, GOOD_PARAMS, b"")),
    ("subtask_id -x", ("t", "-x", GOOD_PARAMS, b"")),
    ("input missing", ("t", "s", GOOD_PARAMS, "missing")),
    ("input directory", ("t", "s", GOOD_PARAMS, "directory")),
    ("input fifo", ("t", "s", GOOD_PARAMS, "fifo")),
    ("input symlink out", ("t", "s", GOOD_PARAMS, "symlink out")),
    ("input sparse 16 MiB", ("t", "s", GOOD_PARAMS, "sparse 16 MiB")),
    ("input not a zip", ("t", "s", GOOD_PARAMS, b"not a zip")),
    ("input empty file", ("t", "s", GOOD_PARAMS, b"")),
    ("input no members", ("t", "s", GOOD_PARAMS, zip_of({}))),
    ("input 1000 members", ("t", "s", GOOD_PARAMS, zip_of({f"m{i}": b"" for i in range(1000)}))),
    ("input bomb", ("t", "s", GOOD_PARAMS, zip_of({"input.txt": b"\0" * (17 * MIB)}))),
    ("input lying header", ("t", "s", GOOD_PARAMS, lying_zip(b"a" * 100_000, 10, "input.txt"))),
    ("input symlink entry", ("t", "s", GOOD_PARAMS, symlink_zip("input.txt", b"/etc/passwd"))),
    ("input dir entry", ("t", "s", GOOD_PARAMS, zip_of({"input.txt/": b""}))),
    ("input nested", ("t", "s", GOOD_PARAMS, zip_of({"a/b/input.txt": b"hi"}))),
    ("input ../ member", ("t", "s", GOOD_PARAMS, zip_of({"../input.txt": b"hi"}))),
    ("input corrupt deflate", ("t", "s", GOOD_PARAMS, corrupt_deflate_zip("input.txt"))),
    ("input encrypted", ("t", "s", GOOD_PARAMS, flagged_zip("input.txt", b"hi", flag=1))),
    ("input unknown method", ("t", "s", GOOD_PARAMS, flagged_zip("input.txt", b"h", method=99))),
    ("input not UTF-8", ("t", "s", GOOD_PARAMS, zip_of({"input.txt": b"\xff\xfe"}))),
    ("input bzip2 bomb", ("t", "s", GOOD_PARAMS, bzip2_gib_bomb("input.txt"))),
    ("input lzma bomb", ("t", "s", GOOD_PARAMS, bomb(LZMA, 256 * MIB, "input.txt"))),
    ("input unicode path", ("t", "s", GOOD_PARAMS, unicode_path_zip(b"hi"))),
    ("input hidden entry", ("t", "s", GOOD_PARAMS, hidden_entry_zip(b"hi"))),
]
#: These also run against a real provider process each (in parallel).
PROCESS_PROVIDER_CASES = [
    "params deep",
    "resource ../",
    "subtask_id 10000",
    "input symlink out",
    "input bomb",
    "input symlink entry",
    "input corrupt deflate",
    "input ../ member",
    "input bzip2 bomb",
    "input lzma bomb",
]


def provider_world(root: Path, what: bytes | str) -> tuple[World, ProviderTaskDir]:
    world = World(root, root / "provider", root / "outside", None, None)  # type: ignore[arg-type]
    world.outside.mkdir(parents=True)
    (world.outside / "secret.txt").write_text("not for the app\n")
    task_dir = ProviderTaskDir(world.work)
    task_dir.prepare()
    install(task_dir.subtask_inputs_dir / "in.zip", what, world)
    return world, task_dir


def compute_request(case: tuple[str, str, str, bytes | str]) -> pb.ComputeRequest:
    task_id, subtask_id, params, _ = case
    return pb.ComputeRequest(task_id=task_id, subtask_id=subtask_id, subtask_params_json=params)


def compute_is_refused(app: InProcessApp | ProcessApp, world: World, case: object) -> str:
    with nothing_changes(world.root):
        code, details = call(provider_stub(app.channel).Compute, compute_request(case))  # type: ignore[arg-type]
    assert code is INVALID, (code, details)
    assert details
    return str(details)


def valid_compute_works(work: Path) -> None:
    """A fresh provider (the last one answered and exited) computes normally."""
    task_dir = ProviderTaskDir(work)
    task_dir.prepare()
    (task_dir.subtask_inputs_dir / "ok.zip").write_bytes(zip_of({"input.txt": b"ok"}))
    app = InProcessApp(work, provider=ProviderHandler())
    try:
        params = json.dumps({"difficulty": 1, "resources": ["ok.zip"]})
        request = pb.ComputeRequest(task_id="t", subtask_id="ok", subtask_params_json=params)
        code, reply = call(provider_stub(app.channel).Compute, request)
        assert code is OK, reply
        assert reply.output_filepath == "ok.zip"
    finally:
        app.stop()


@pytest.mark.parametrize("case", [c[1] for c in PROVIDER_CASES], ids=[c[0] for c in PROVIDER_CASES])
def test_provider_refuses_hostile_compute(
    tmp_path: Path, case: tuple[str, str, str, bytes | str]
) -> None:
    world, _ = provider_world(tmp_path, case[3])
    app = InProcessApp(world.work, provider=ProviderHandler())
    try:
        compute_is_refused(app, world, case)
        app.wait_stopped()  # answered its one request, then shut down cleanly
    finally:
        app.stop()
    valid_compute_works(tmp_path / "again")


def test_provider_process_refuses_hostile_compute(tmp_path: Path) -> None:
    """A real provider process per case; each refuses, exits 0 and logs no traceback."""
    cases = dict(PROVIDER_CASES)

    def one(name: str) -> None:
        world, _ = provider_world(tmp_path / _sid(name), cases[name][3])
        app = ProcessApp("provider", world.work).wait_serving()
        try:
            compute_is_refused(app, world, cases[name])
            assert app.process.wait(10.0) == 0
        finally:
            errors = app.stop()
        assert "Traceback" not in errors, errors

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, PROCESS_PROVIDER_CASES))


# -- properties (in-process, bounded) ------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
resource_names = st.sampled_from(RESOURCE_CASES) | st.text(max_size=30)
task_params = json_values | st.fixed_dictionaries(
    {},
    optional={
        "resources": st.lists(resource_names, max_size=3) | json_values,
        "difficulty": json_values | st.integers(-5, 300),
        "subtasks_count": json_values | st.integers(-5, 5),
        "extra": json_values,
    },
)


@PROPERTY_SETTINGS
@given(params=task_params, max_count=st.integers(-(2**31), 2**31 - 1))
def test_property_task_params(
    inproc_requestor: tuple[World, object], params: object, max_count: int
) -> None:
    world, stub = inproc_requestor
    request = pb.CreateTaskRequest(task_id="fresh", max_subtasks_count=max_count)
    request.task_params_json = json.dumps(params)
    expect_invalid(world, stub.CreateTask, request)  # type: ignore[attr-defined]


ids = st.text(st.sampled_from("ab.-_/\\\0\n żZ9"), max_size=40) | st.sampled_from(BAD_IDS)


@PROPERTY_SETTINGS
@given(task_id=ids, subtask_id=ids)
def test_property_ids(
    inproc_requestor: tuple[World, object], task_id: str, subtask_id: str
) -> None:
    world, stub = inproc_requestor
    if task_id != "main":
        for request in (
            pb.HasPendingSubtasksRequest(task_id=task_id),
            pb.AbortTaskRequest(task_id=task_id),
        ):
            method = (
                stub.HasPendingSubtasks
                if isinstance(request, pb.HasPendingSubtasksRequest)
                else stub.AbortTask
            )  # type: ignore[attr-defined]
            expect_invalid(world, method, request, (INVALID, NOT_FOUND))
    if subtask_id in _known(world.main):
        return  # a subtask of earlier examples: Verify and AbortSubtask are legal moves
    app_ok = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", subtask_id) is not None
    for method in ("Verify", "AbortSubtask"):
        request_type = getattr(pb, f"{method}Request")
        expect_invalid(
            world,
            getattr(stub, method),
            request_type(task_id="main", subtask_id=subtask_id),
            (INVALID, NOT_FOUND),  # a well-formed id the task does not know: NOT_FOUND
        )
    outside = tree(world.root, skip=world.main)
    code, reply = call(
        stub.NextSubtask, pb.NextSubtaskRequest(task_id="main", subtask_id=subtask_id)
    )  # type: ignore[attr-defined]
    assert code in (OK, INVALID), (code, reply)
    assert (code is OK) == app_ok, (subtask_id, reply)
    assert tree(world.root, skip=world.main) == outside


def _known(task_dir: Path) -> set[str]:
    """The subtask ids the task still knows (each part's latest attempt)."""
    task, _ = store.read_task(task_dir)
    assert task is not None
    return set(task.subtasks)


def _used(task_dir: Path) -> int:
    """How many subtasks the task handed out (fresh ids count from it)."""
    task, _ = store.read_task(task_dir)
    assert task is not None
    return sum(task.attempts(index) for index in range(len(task.parts)))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_mutated_result_zips(
    inproc_requestor: tuple[World, object], data: st.DataObject
) -> None:
    """Random byte damage to an honest result: SUCCESS or FAILURE, never an error."""
    world, stub = inproc_requestor
    sid = f"m{_used(world.main)}"
    nonce = data.draw(st.integers(0, 10**6))
    damage = data.draw(
        st.lists(st.tuples(st.integers(0, 10**4), st.integers(0, 255)), min_size=1, max_size=4)
    )
    cut = data.draw(st.none() | st.integers(0, 10**4))

    def make(inp: str) -> bytes:
        # Positions are drawn independently of the zip's length, which varies
        # with the part's salt (hypothesis replays must draw the same way).
        raw = bytearray(result(line(inp, nonce)))
        for at, value in damage:
            raw[at % len(raw)] = value
        return bytes(raw[: cut % (len(raw) + 1)] if cut is not None else raw)

    main = world.main
    before, _ = store.read_task(main)
    assert before is not None
    code, reply = call(stub.NextSubtask, pb.NextSubtaskRequest(task_id="main", subtask_id=sid))  # type: ignore[attr-defined]
    assert code is OK, reply
    install(main.subtask_outputs_dir(sid) / f"{sid}.zip", make(part_input(main, sid)), world)
    outside = tree(world.root, skip=main)
    code, reply = call(stub.Verify, pb.VerifyRequest(task_id="main", subtask_id=sid))  # type: ignore[attr-defined]
    assert code is OK, reply
    assert reply.reason
    after, _ = store.read_task(main)
    assert after is not None
    part = after.subtasks[sid].part
    if reply.result == pb.VerifyReply.FAILURE:
        assert after.parts[part].status is PartStatus.PENDING
        assert not (main.task_outputs_dir / f"{sid}.zip").exists()
    else:
        assert reply.result == pb.VerifyReply.SUCCESS
        assert after.parts[part].status is PartStatus.DONE
    assert tree(world.root, skip=main) == outside


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=400), flips=st.lists(st.integers(0, 10**6), max_size=4))
def test_property_provider_input_zips(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes, flips: list[int]
) -> None:
    """Random or damaged input zips: the provider answers OK or INVALID_ARGUMENT, never more."""
    data = bytearray(raw if raw else zip_of({"input.txt": b"hello"}))
    for flip in flips:
        data[flip % len(data)] ^= 0x5A
    world, task_dir = provider_world(tmp_path_factory.mktemp("prov"), bytes(data))
    app = InProcessApp(world.work, provider=ProviderHandler())
    try:
        outside = tree(world.outside)
        code, reply = call(
            provider_stub(app.channel).Compute, compute_request(("t", "s", GOOD_PARAMS, b""))
        )
        assert code in (OK, INVALID), (code, reply)
        if code is OK:
            assert reply.output_filepath == "s.zip"
            assert zipfile.is_zipfile(task_dir / "s.zip")
        assert tree(world.outside) == outside
        app.wait_stopped()
    finally:
        app.stop()
