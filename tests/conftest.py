"""Fixtures for every area: the app image for docker-marked tests, wherever they live."""

import os

import pytest

from tests.docker.support import IMAGE_REF, unavailable_reason


@pytest.fixture(scope="session")
def docker_image() -> str:
    """The app image's reference; skips (or, under `make test-docker`, fails) without it."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("TUTORIAL_APP_DOCKER_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return IMAGE_REF
