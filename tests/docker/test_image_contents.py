"""What the final image holds: the app with its compiled search, and no build tools.

The C extension is compiled in the Dockerfile's builder stage; the final stage
is the runtime base plus /opt/venv. These tests look inside the image (as an
unknown uid, read-only, without network, as a node runs it) for anything the
build should have left behind.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.docker.support import APP_USER, docker

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]

#: Runs inside the image with its own Python; prints one JSON object.
PROBE = r"""
import glob, importlib.util, json, os, shutil, sysconfig
import tutorial_app.search._fastpow as fastpow

skip = {"/proc", "/sys", "/dev"}
c_sources, wheels, pip_caches = [], [], []
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
    if os.path.basename(root) == "pip" and os.path.basename(os.path.dirname(root)) == ".cache":
        pip_caches.append(root)
    for name in files:
        if name.endswith(".c"):
            c_sources.append(os.path.join(root, name))
        elif name.endswith(".whl") and not root.startswith("/usr/share/python-wheels"):
            wheels.append(os.path.join(root, name))
tools = ["gcc", "cc", "c++", "g++", "cpp", "clang", "ld", "as", "pip", "pip3"]
print(json.dumps({
    "fastpow": fastpow.__file__,
    "digest": fastpow.Searcher(b"x", 1).digest(0).hex(),
    "on_path": {tool: shutil.which(tool) for tool in tools if shutil.which(tool)},
    "gcc_files": glob.glob("/usr/bin/*gcc*") + glob.glob("/usr/lib/gcc/*/*/cc1"),
    "python_h": os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")),
    "libc_headers": os.path.exists("/usr/include/stdio.h"),
    "pip_module": importlib.util.find_spec("pip") is not None,
    "c_sources": c_sources,
    "wheels": wheels,
    "pip_caches": pip_caches,
    "build_dirs": [p for p in ("/tmp/wheelhouse", "/tmp/src", "/tmp/dist", "/tmp/buildenv")
                   if os.path.exists(p)],
}))
"""


def run_in_image(image: str, entrypoint: str, *args: str) -> str:
    done = docker(
        "run", "--rm", "--network=none", "--read-only", "--user", APP_USER,
        "--entrypoint", entrypoint, image, *args,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def probe(docker_image: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(run_in_image(docker_image, "python", "-c", PROBE))
    return result


def test_the_compiled_search_is_in_the_image(probe: dict[str, object]) -> None:
    fastpow = probe["fastpow"]
    assert isinstance(fastpow, str)
    assert fastpow.startswith("/opt/venv/") and fastpow.endswith(".so"), fastpow
    assert probe["digest"] == hashlib.sha256(b"x0").hexdigest()


def test_no_build_tools_or_leftovers(probe: dict[str, object]) -> None:
    assert probe["on_path"] == {}, "compiler, linker or pip on PATH"
    assert probe["gcc_files"] == []
    assert probe["python_h"] is False, "Python headers"
    assert probe["libc_headers"] is False, "C library headers"
    assert probe["pip_module"] is False, "pip is importable"
    assert probe["c_sources"] == []
    assert probe["wheels"] == [], "wheelhouse files"
    assert probe["pip_caches"] == []
    assert probe["build_dirs"] == []


def test_no_compiler_for_the_shell(docker_image: str) -> None:
    """The same, the way one would check by hand."""
    out = run_in_image(
        docker_image, "sh", "-c", "command -v gcc cc c++ cpp pip pip3 || echo no compiler"
    )
    assert out.strip() == "no compiler"
