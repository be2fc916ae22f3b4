"""The default data shipped with the product (units, catalogue, holiday calendar), as YAML."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def read(name: str) -> Any:
    """One of the YAML files shipped in this folder."""
    text = resources.files("liandong.defaults").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
