"""Ways of running an app for a node: a local process, or a Docker container."""

from golem_task_api.node.services.base import TaskApiService
from golem_task_api.node.services.docker import DockerTaskApiService
from golem_task_api.node.services.process import ProcessTaskApiService

__all__ = ["DockerTaskApiService", "ProcessTaskApiService", "TaskApiService"]
