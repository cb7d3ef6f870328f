"""Provider environments (`envs.proto`, 52000/52001) and Docker task helpers."""

from golem_task_api.structs import Infrastructure, Task

DOCKER_CPU_ENV_ID = "docker_cpu"
DOCKER_GPU_ENV_ID = "docker_gpu"


def docker_prerequisites(image: str, tag: str) -> dict[str, str]:
    """The `DockerPrerequisites` message as the JSON a node expects."""
    if not image or not tag:
        raise ValueError("a Docker prerequisite needs both an image and a tag")
    return {"image": image, "tag": tag}


def create_docker_cpu_task(image: str, tag: str, min_memory_mib: float = 0.0) -> Task:
    return Task(
        env_id=DOCKER_CPU_ENV_ID,
        prerequisites=docker_prerequisites(image, tag),
        inf_requirements=Infrastructure(min_memory_mib=min_memory_mib),
    )


def create_docker_gpu_task(image: str, tag: str, min_memory_mib: float = 0.0) -> Task:
    return Task(
        env_id=DOCKER_GPU_ENV_ID,
        prerequisites=docker_prerequisites(image, tag),
        inf_requirements=Infrastructure(min_memory_mib=min_memory_mib),
    )
