"""0.24's `DockerTaskApiService(image, work_dir)` running this project's app image."""

from pathlib import Path

import pytest
from golem_task_api.testutils import TaskLifecycleUtil
from golem_task_api.testutils.dockertaskapiservice import (
    DockerTaskApiService,
    is_docker_available,
    split_image,
)
from tutorial_app.version import IMAGE_NAME, IMAGE_TAG

IMAGE = f"{IMAGE_NAME}:{IMAGE_TAG}"


def test_split_image() -> None:
    assert split_image(IMAGE) == ("golemfactory/tutorialapp", "1.0.0")
    assert split_image("localhost:5000/app") == ("localhost:5000/app", "latest")
    assert split_image("app") == ("app", "latest")


@pytest.mark.docker
async def test_simulate_task_in_containers(tmp_path: Path, docker_image: str) -> None:
    """Run by `make test` (its docker stage); skipped, saying why, without an engine."""
    assert is_docker_available() and docker_image == IMAGE
    (tmp_path / "input.txt").write_text("compat")
    util = TaskLifecycleUtil(tmp_path / "work")
    task_dir = await util.simulate_task(
        lambda work_dir: DockerTaskApiService(IMAGE, work_dir),
        2,
        {"difficulty": 4, "resources": ["input.txt"]},
        [tmp_path / "input.txt"],
    )
    assert len(list(task_dir.task_outputs_dir.iterdir())) == 2
