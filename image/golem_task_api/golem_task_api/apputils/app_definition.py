"""An app's definition file and its id, exactly as a Golem node derives it.

The node loads the file into its `AppDefinition` and names the app by the
hex BLAKE2b (16-byte digest) of the definition serialised again: the
fields in declaration order, `json.dumps` defaults (`", "` and `": "`
separators, ASCII escapes), `market_strategy` lower-cased, numbers kept as
the file wrote them (`10000` and `10000.0` give different ids). No
dataclasses-json: this module writes the same JSON itself.

Fixed: 0.24's `market_strategy` defaulted to a marshmallow field object
(so a definition built without one could not be serialised); it is "brass".
"""

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from setuptools import Command

AppId = str
MARKET_STRATEGIES = ("brass", "wasm")
#: Definition files are a few hundred bytes; refuse anything absurd unread.
MAX_DEFINITION_BYTES = 1 << 20

logger = logging.getLogger(__name__)


@dataclass
class AppDefinitionBase:
    name: str
    requestor_env: str
    requestor_prereq: dict[str, Any]
    max_benchmark_score: float
    version: str = "0.0"
    description: str = ""
    author: str = ""
    license: str = ""
    market_strategy: str = "brass"

    _TEXT_FIELDS: ClassVar[tuple[str, ...]] = (
        "name",
        "requestor_env",
        "version",
        "description",
        "author",
        "license",
    )

    def __post_init__(self) -> None:
        for name in self._TEXT_FIELDS:
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"app definition: {name!r} must be a string")
        if not isinstance(self.requestor_prereq, dict):
            raise ValueError("app definition: 'requestor_prereq' must be an object")
        score = self.max_benchmark_score
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise ValueError("app definition: 'max_benchmark_score' must be a number")
        strategy = self.market_strategy or "brass"
        if not isinstance(strategy, str) or strategy.lower() not in MARKET_STRATEGIES:
            raise ValueError(
                f"app definition: 'market_strategy' must be one of {MARKET_STRATEGIES}"
            )
        self.market_strategy = strategy.lower()

    @property
    def id(self) -> AppId:
        return hashlib.blake2b(self.to_json().encode("utf-8"), digest_size=16).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "requestor_env": self.requestor_env,
            "requestor_prereq": self.requestor_prereq,
            "max_benchmark_score": self.max_benchmark_score,
            "version": self.version,
            "description": self.description,
            "author": self.author,
            "license": self.license,
            "market_strategy": self.market_strategy,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> "AppDefinitionBase":
        """Build from parsed JSON; unknown keys are ignored, as the node ignores them."""
        if not isinstance(data, dict):
            raise ValueError("an app definition must be a JSON object")
        missing = [
            name
            for name in ("name", "requestor_env", "requestor_prereq", "max_benchmark_score")
            if name not in data
        ]
        if missing:
            raise ValueError(f"app definition: missing {', '.join(missing)}")
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @classmethod
    def from_json(cls, json_str: str) -> "AppDefinitionBase":
        try:
            data = json.loads(json_str)
        except json.JSONDecodeError as exc:
            raise ValueError(f"an app definition must be JSON: {exc}") from None
        return cls.from_dict(data)


def save_app_to_json_file(app_def: AppDefinitionBase, json_file: Path) -> None:
    """Write `app_def` as the node will read it; create parent directories."""
    try:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(app_def.to_json(), encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"Error writing app definition to file '{json_file}': {exc}") from exc


def load_app_from_json_file(json_file: Path) -> AppDefinitionBase:
    """Read a definition file; ValueError (naming the file) if it is not one."""
    try:
        with json_file.open("rb") as stream:
            raw = stream.read(MAX_DEFINITION_BYTES + 1)
        if len(raw) > MAX_DEFINITION_BYTES:
            raise ValueError(f"larger than {MAX_DEFINITION_BYTES} bytes")
        return AppDefinitionBase.from_json(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"Error parsing app definition from file '{json_file}': {exc}") from exc


def app_json_file_name(app_def: AppDefinitionBase) -> str:
    """`<name>_<version>_<id>.json` with '/' made safe, as `BuildAppDefCommand` names it."""
    return f"{app_def.name.replace('/', '_')}_{app_def.version}_{app_def.id}.json"


class BuildAppDefCommand(Command):  # type: ignore[misc]
    """`python setup.py build_app_def`: write the definition from the distribution's metadata.

    `--config-path` (default `task-api-config.json`) gives name,
    market_strategy, requestor_env, requestor_prereq and max_benchmark_score;
    `--dist-path` (default `dist/`) is emptied and receives the file.
    """

    description = "build app definition for distribution in golem"
    user_options = [
        ("dist-path=", "d", "Path to output build results, will be deleted before build"),
        ("config-path=", "c", "Config file with task-api settings"),
    ]

    def initialize_options(self) -> None:
        self.dist_path: Any = ""
        self.config_path: Any = ""

    def finalize_options(self) -> None:
        self.dist_path = Path(self.dist_path or "dist/")
        self.config_path = Path(self.config_path or "task-api-config.json")
        self.config = json.loads(self.config_path.read_text(encoding="utf-8"))

    def run(self) -> None:
        shutil.rmtree(self.dist_path, ignore_errors=True)
        self.dist_path.mkdir(parents=True)
        dist = self.distribution
        app_definition = AppDefinitionBase(
            name=self.config["name"],
            author=dist.get_maintainer(),
            license=dist.get_license(),
            version=dist.get_version(),
            market_strategy=self.config["market_strategy"],
            description=dist.get_description(),
            requestor_env=self.config["requestor_env"],
            requestor_prereq=self.config["requestor_prereq"],
            max_benchmark_score=self.config["max_benchmark_score"],
        )
        file = self.dist_path / app_json_file_name(app_definition)
        save_app_to_json_file(app_definition, file)
        logger.info("Saved app_definition to %r", str(file))
