from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor
DOCKER_CPU_FIELD_NUMBER: _ClassVar[int]
DOCKER_CPU: _descriptor.FieldDescriptor
DOCKER_GPU_FIELD_NUMBER: _ClassVar[int]
DOCKER_GPU: _descriptor.FieldDescriptor

class DockerPrerequisites(_message.Message):
    __slots__ = ("image", "tag")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    image: str
    tag: str
    def __init__(self, image: _Optional[str] = ..., tag: _Optional[str] = ...) -> None: ...
