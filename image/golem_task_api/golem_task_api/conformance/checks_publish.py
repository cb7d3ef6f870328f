"""Publishing: the app definition names the image checked, its app id, the node's whitelist."""

from __future__ import annotations

from typing import Any

from golem_task_api.conformance.battery import check
from golem_task_api.conformance.node import TaskDriver
from golem_task_api.conformance.report import Fail, Warn
from golem_task_api.conformance.target import AppSpec, Target, stop

#: The repository a node whitelists by default (golem.envs.default.DOCKER_REPOSITORY).
DEFAULT_WHITELIST = ("golemfactoryapps",)


def load_definition(spec: AppSpec) -> Any:
    """The definition as the node reads it (`apputils` extra: setuptools)."""
    from golem_task_api.apputils.app_definition import load_app_from_json_file

    assert spec.definition is not None
    return load_app_from_json_file(spec.definition)


def definition_image(spec: AppSpec) -> str:
    prereq = load_definition(spec).requestor_prereq
    return f"{prereq.get('image')}:{prereq.get('tag')}"


def repository(image: str) -> str:
    """What the node's whitelist holds: the image name up to its last '/' (no tag)."""
    name = image.rpartition(":")[0] if ":" in image.rpartition("/")[2] else image
    return name.rsplit("/", maxsplit=1)[0]


def notes(spec: AppSpec) -> list[str]:
    """Lines for the report's head: the app id a node derives, from the definition."""
    if spec.definition is None:
        return []
    definition = load_definition(spec)
    return [f"app id (golem.app_id, as the node derives it): {definition.id}  ({spec.definition})"]


@check("publish.definition", "the definition's image and tag are the image checked", "definition")
async def definition_matches(target: Target) -> str:
    spec = target.spec
    named = definition_image(spec)
    if spec.image is not None and named != spec.image:
        raise Fail(f"the definition names {named}, but the image checked is {spec.image}")
    requestor = await target.requestor(target.fresh_dir("requestor"))
    try:
        task = await TaskDriver(target, requestor, use_tls=False).create()
    finally:
        await stop(requestor)
    prereq = task.prerequisites if isinstance(task.prerequisites, dict) else {}
    providers = f"{prereq.get('image')}:{prereq.get('tag')}"
    if providers != named:
        raise Warn(
            f"the definition runs requestors on {named}, CreateTask sends providers to "
            f"{providers}: both must be published and whitelisted"
        )
    return f"{named} for requestors, and CreateTask names it for providers"


@check("publish.whitelist", "the image falls under the node's default Docker whitelist", "image")
async def whitelist(target: Target) -> str:
    image = target.spec.image or ""
    repo = repository(image)
    if repo in DEFAULT_WHITELIST:
        return f"repository {repo!r} is whitelisted by default"
    raise Warn(
        f"repository {repo!r} is not on a node's default Docker whitelist {DEFAULT_WHITELIST}: "
        f"a node pulls and runs {image} only after its operator whitelists {repo!r} "
        f"(golem.envs.docker.whitelist.Whitelist.add) or in Task API dev mode"
    )
