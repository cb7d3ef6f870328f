"""Provider environment ids (`envs.proto`, 52000/52001), at 0.24's module path."""

DOCKER_CPU_ENV_ID = "docker_cpu"
DOCKER_GPU_ENV_ID = "docker_gpu"
