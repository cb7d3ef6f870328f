"""Directory names fixed by the protocol (`constants.proto`, 51000..51100)."""

TASK_INPUTS_DIR = "task_inputs"
SUBTASK_INPUTS_DIR = "subtask_inputs"
TASK_OUTPUTS_DIR = "task_outputs"
SUBTASK_OUTPUTS_DIR = "subtask_outputs"
WORK_DIR = "golem/work"

#: Where a container sees its work directory.
CONTAINER_WORK_DIR = "/" + WORK_DIR
