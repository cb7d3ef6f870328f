from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Infrastructure(_message.Message):
    __slots__ = ("min_memory_mib",)
    MIN_MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    min_memory_mib: float
    def __init__(self, min_memory_mib: _Optional[float] = ...) -> None: ...

class CreateTaskRequest(_message.Message):
    __slots__ = ("task_id", "max_subtasks_count", "task_params_json")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_SUBTASKS_COUNT_FIELD_NUMBER: _ClassVar[int]
    TASK_PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    max_subtasks_count: int
    task_params_json: str
    def __init__(self, task_id: _Optional[str] = ..., max_subtasks_count: _Optional[int] = ..., task_params_json: _Optional[str] = ...) -> None: ...

class CreateTaskReply(_message.Message):
    __slots__ = ("env_id", "prerequisites_json", "inf_requirements")
    ENV_ID_FIELD_NUMBER: _ClassVar[int]
    PREREQUISITES_JSON_FIELD_NUMBER: _ClassVar[int]
    INF_REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    env_id: str
    prerequisites_json: str
    inf_requirements: Infrastructure
    def __init__(self, env_id: _Optional[str] = ..., prerequisites_json: _Optional[str] = ..., inf_requirements: _Optional[_Union[Infrastructure, _Mapping]] = ...) -> None: ...

class NextSubtaskRequest(_message.Message):
    __slots__ = ("task_id", "subtask_id", "opaque_node_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_ID_FIELD_NUMBER: _ClassVar[int]
    OPAQUE_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    subtask_id: str
    opaque_node_id: str
    def __init__(self, task_id: _Optional[str] = ..., subtask_id: _Optional[str] = ..., opaque_node_id: _Optional[str] = ...) -> None: ...

class SubtaskReply(_message.Message):
    __slots__ = ("subtask_params_json", "resources")
    SUBTASK_PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    subtask_params_json: str
    resources: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subtask_params_json: _Optional[str] = ..., resources: _Optional[_Iterable[str]] = ...) -> None: ...

class NextSubtaskReply(_message.Message):
    __slots__ = ("subtask",)
    SUBTASK_FIELD_NUMBER: _ClassVar[int]
    subtask: SubtaskReply
    def __init__(self, subtask: _Optional[_Union[SubtaskReply, _Mapping]] = ...) -> None: ...

class ComputeRequest(_message.Message):
    __slots__ = ("task_id", "subtask_id", "subtask_params_json")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    subtask_id: str
    subtask_params_json: str
    def __init__(self, task_id: _Optional[str] = ..., subtask_id: _Optional[str] = ..., subtask_params_json: _Optional[str] = ...) -> None: ...

class ComputeReply(_message.Message):
    __slots__ = ("output_filepath",)
    OUTPUT_FILEPATH_FIELD_NUMBER: _ClassVar[int]
    output_filepath: str
    def __init__(self, output_filepath: _Optional[str] = ...) -> None: ...

class VerifyRequest(_message.Message):
    __slots__ = ("task_id", "subtask_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    subtask_id: str
    def __init__(self, task_id: _Optional[str] = ..., subtask_id: _Optional[str] = ...) -> None: ...

class VerifyReply(_message.Message):
    __slots__ = ("result", "reason")
    class VerifyResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SUCCESS: _ClassVar[VerifyReply.VerifyResult]
        FAILURE: _ClassVar[VerifyReply.VerifyResult]
        AWAITING_DATA: _ClassVar[VerifyReply.VerifyResult]
        INCONCLUSIVE: _ClassVar[VerifyReply.VerifyResult]
    SUCCESS: VerifyReply.VerifyResult
    FAILURE: VerifyReply.VerifyResult
    AWAITING_DATA: VerifyReply.VerifyResult
    INCONCLUSIVE: VerifyReply.VerifyResult
    RESULT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    result: VerifyReply.VerifyResult
    reason: str
    def __init__(self, result: _Optional[_Union[VerifyReply.VerifyResult, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class DiscardSubtasksRequest(_message.Message):
    __slots__ = ("task_id", "subtask_ids")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_IDS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    subtask_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task_id: _Optional[str] = ..., subtask_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DiscardSubtasksReply(_message.Message):
    __slots__ = ("discarded_subtask_ids",)
    DISCARDED_SUBTASK_IDS_FIELD_NUMBER: _ClassVar[int]
    discarded_subtask_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, discarded_subtask_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RunBenchmarkRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RunBenchmarkReply(_message.Message):
    __slots__ = ("score",)
    SCORE_FIELD_NUMBER: _ClassVar[int]
    score: float
    def __init__(self, score: _Optional[float] = ...) -> None: ...

class HasPendingSubtasksRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    def __init__(self, task_id: _Optional[str] = ...) -> None: ...

class HasPendingSubtasksReply(_message.Message):
    __slots__ = ("has_pending_subtasks",)
    HAS_PENDING_SUBTASKS_FIELD_NUMBER: _ClassVar[int]
    has_pending_subtasks: bool
    def __init__(self, has_pending_subtasks: _Optional[bool] = ...) -> None: ...

class AbortTaskRequest(_message.Message):
    __slots__ = ("task_id",)
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    def __init__(self, task_id: _Optional[str] = ...) -> None: ...

class AbortTaskReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AbortSubtaskRequest(_message.Message):
    __slots__ = ("task_id", "subtask_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    subtask_id: str
    def __init__(self, task_id: _Optional[str] = ..., subtask_id: _Optional[str] = ...) -> None: ...

class AbortSubtaskReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
