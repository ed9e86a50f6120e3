"""server/graph_runner.py runs Rasa's graphs without dask: the same outputs as dask's run, the
same errors, on graphs of the shapes Rasa builds (a chain: the NLU pipeline; several branches
joined: the policies and their ensemble; inputs; targets that need only part of the graph)."""

from typing import Any, Dict, List, Text

import pytest
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from server.graph_runner import run_in_order

pytestmark = pytest.mark.unit

CALLS: List[Text] = []


class Step(GraphComponent):
    """Records that it ran and returns its name with what it got, so that an output tells which
    inputs reached it."""

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.name = config["name"]

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "Step":
        return cls(config)

    def run(self, **received: Any) -> Any:
        CALLS.append(self.name)
        if self.name == "broken":
            raise ValueError("broken on purpose")
        return [self.name, sorted((key, repr(value)) for key, value in received.items())]


def node(name: Text, **needs: Text) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Step, constructor_name="create", fn="run", config={"name": name})


SCHEMAS = {
    "chain": {
        "tokenizer": node("tokenizer", message="__message__"),
        "featurizer": node("featurizer", message="tokenizer"),
        "classifier": node("classifier", message="featurizer"),
    },
    "branches joined": {
        "tracker": node("tracker", tracker="__tracker__"),
        "rules": node("rules", tracker="tracker"),
        "memo": node("memo", tracker="tracker"),
        "ted": node("ted", tracker="tracker", domain="__domain__"),
        "ensemble": node("ensemble", a="rules", b="memo", c="ted"),
        "unused": node("unused", tracker="tracker"),
    },
    "diamond with a missing input": {
        "a": node("a", x="__x__"),
        "b": node("b", x="a", y="nowhere"),
        "c": node("c", x="a"),
        "d": node("d", x="c", y="b"),
    },
}
RUNS = [
    ("chain", {"__message__": "智慧职教怎么退出"}, ["classifier"]),
    ("chain", {"__message__": "x"}, ["featurizer", "classifier"]),
    ("chain", {"__message__": "x"}, None),
    ("branches joined", {"__tracker__": [1, 2], "__domain__": {"k": 1}}, ["ensemble"]),
    ("branches joined", {"__tracker__": 1, "__domain__": 2}, ["rules", "ted"]),
    ("branches joined", {"__tracker__": 1, "__domain__": 2}, None),
    ("branches joined", {"tracker": ("given", 1), "__domain__": 2}, ["ensemble"]),
    ("diamond with a missing input", {"__x__": 0}, ["c"]),
]


def runner(tmp_path, schema: Dict[Text, SchemaNode], targets=None) -> DaskGraphRunner:
    nodes = dict(schema)
    for name in targets or []:
        nodes[name] = SchemaNode(**{**nodes[name].__dict__, "is_target": True})
    graph = GraphSchema(nodes)
    return DaskGraphRunner(graph, LocalModelStorage(tmp_path), ExecutionContext(graph, "test"))


def dask_run(graph_runner, inputs, targets):
    original = getattr(DaskGraphRunner, "_rasa_run", DaskGraphRunner.run)
    return original(graph_runner, inputs, targets)


@pytest.mark.parametrize("shape, inputs, targets", RUNS, ids=[f"{r[0]} {r[2]}" for r in RUNS])
def test_the_same_outputs_as_dask(tmp_path, shape, inputs, targets):
    graph_runner = runner(
        tmp_path, SCHEMAS[shape], targets=["ensemble"] if shape == "branches joined" else None
    )
    CALLS.clear()
    theirs = dask_run(graph_runner, inputs, targets)
    dask_calls = sorted(CALLS)
    CALLS.clear()
    for _ in range(2):  # the plan is worked out once and reused
        assert run_in_order(graph_runner, inputs, targets) == theirs
    assert sorted(CALLS) == sorted(dask_calls * 2)


def test_a_missing_input_fails_as_in_dask(tmp_path):
    graph_runner = runner(tmp_path, SCHEMAS["diamond with a missing input"])
    for run in (dask_run, run_in_order):
        with pytest.raises(GraphRunError, match="Missing input to run node 'b'"):
            run(graph_runner, {"__x__": 0}, ["d"])


def test_an_input_named_like_a_node_is_refused_as_in_dask(tmp_path):
    graph_runner = runner(tmp_path, SCHEMAS["chain"])
    for run in (dask_run, run_in_order):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(graph_runner, {"__message__": "tokenizer"}, ["classifier"])


def test_a_node_error_is_the_nodes_own_as_in_dask(tmp_path):
    schema = {"broken": node("broken", x="__x__"), "after": node("after", x="broken")}
    graph_runner = runner(tmp_path, schema)
    errors = []
    for run in (dask_run, run_in_order):
        with pytest.raises(Exception) as caught:
            run(graph_runner, {"__x__": 1}, ["after"])
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]


def test_installed_once_in_the_rasa_server():
    from server import apply_fixes

    apply_fixes()
    apply_fixes()
    assert DaskGraphRunner.run is run_in_order and DaskGraphRunner._rasa_run is not run_in_order
