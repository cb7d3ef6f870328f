from pathlib import Path
from types import ModuleType

import pytest

from tests.interop import grpclib_stubs


@pytest.fixture(scope="session")
def stub_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grpclib_stubs.build(tmp_path_factory.mktemp("grpclib-stubs"))


@pytest.fixture(scope="session")
def stubs(stub_file: Path) -> ModuleType:
    return grpclib_stubs.load(stub_file)
