"""Provider environments and the Docker task helpers apps return from `create_task`.

`create_docker_*_task(image, tag, inf)` take 0.24's `Infrastructure`;
`min_memory_mib=` (or a plain number for `inf`) is the short spelling.
"""

from golem_task_api.envs.constants import DOCKER_CPU_ENV_ID, DOCKER_GPU_ENV_ID
from golem_task_api.wire.structs import Infrastructure, Task

__all__ = [
    "DOCKER_CPU_ENV_ID",
    "DOCKER_GPU_ENV_ID",
    "create_docker_cpu_task",
    "create_docker_gpu_task",
    "docker_prerequisites",
]


def docker_prerequisites(image: str, tag: str) -> dict[str, str]:
    """The `DockerPrerequisites` message as the JSON a node expects."""
    if not image or not tag:
        raise ValueError("a Docker prerequisite needs both an image and a tag")
    return {"image": image, "tag": tag}


def _infrastructure(
    inf: Infrastructure | float | None, min_memory_mib: float | None
) -> Infrastructure:
    if min_memory_mib is not None:
        if inf is not None:
            raise TypeError("give either inf or min_memory_mib, not both")
        return Infrastructure(min_memory_mib=float(min_memory_mib))
    if isinstance(inf, Infrastructure):
        return Infrastructure(min_memory_mib=inf.min_memory_mib)
    return Infrastructure(min_memory_mib=0.0 if inf is None else float(inf))


def _docker_task(
    env_id: str,
    image: str,
    tag: str,
    inf: Infrastructure | float | None,
    min_memory_mib: float | None,
) -> Task:
    return Task(
        env_id=env_id,
        prerequisites=docker_prerequisites(image, tag),
        inf_requirements=_infrastructure(inf, min_memory_mib),
    )


def create_docker_cpu_task(
    image: str,
    tag: str,
    inf: Infrastructure | float | None = None,
    *,
    min_memory_mib: float | None = None,
) -> Task:
    return _docker_task(DOCKER_CPU_ENV_ID, image, tag, inf, min_memory_mib)


def create_docker_gpu_task(
    image: str,
    tag: str,
    inf: Infrastructure | float | None = None,
    *,
    min_memory_mib: float | None = None,
) -> Task:
    return _docker_task(DOCKER_GPU_ENV_ID, image, tag, inf, min_memory_mib)
