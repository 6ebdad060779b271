"""The user's contract: policy files in the shape Flux users already write.

In: paths to YAML files/directories (and a separate secrets path). Out: a `Config` of typed,
validated objects, or `ConfigErrors` naming file:line: field for every problem found.
"""

from automation.config.base import ObjectKey, SourceLocation
from automation.config.config import Config
from automation.config.image import (
    FilterTags,
    ImagePolicy,
    ImagePolicySpec,
    ImageRepository,
    ImageRepositorySpec,
)
from automation.config.loader import (
    SECRETS_ENV,
    load_config,
    load_config_report,
    secrets_paths,
    secrets_paths_from_env,
)
from automation.config.secret import Secret
from automation.config.source import GitRef, GitRepository
from automation.config.update import ImageUpdateAutomation

__all__ = [
    "SECRETS_ENV",
    "Config",
    "FilterTags",
    "GitRef",
    "GitRepository",
    "ImagePolicy",
    "ImagePolicySpec",
    "ImageRepository",
    "ImageRepositorySpec",
    "ImageUpdateAutomation",
    "ObjectKey",
    "Secret",
    "SourceLocation",
    "load_config",
    "load_config_report",
    "secrets_paths",
    "secrets_paths_from_env",
]
