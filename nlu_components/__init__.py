"""Custom NLU components (registered with Rasa's default recipe; named in config.yml)."""

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class ConfiguredComponent(GraphComponent):
    """A component that needs no training: it is built from its config.yml entry alone."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = config

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ConfiguredComponent":
        return cls(config)
