"""Rasa 3.6 runs the model's graphs (the NLU pipeline for every message, the policies for every
prediction, two or three per message) with dask's synchronous scheduler: for each run it builds a
dask graph, orders it (dask.order), and keeps dask's bookkeeping of ready and finished tasks. On
these small graphs that bookkeeping cost more than some of the components it ran: about 0.9 ms of
the Rasa server's CPU per message (bench/profile.py; docs/benchmarks.md, "Per message: the action
call, the store's save and the graph runner").

Here the same nodes are called one after another in an order worked out once per set of targets
(each node after the nodes it needs, as dask's order also has them), each with what dask would
give it: the (name, output) pair of each node or input it needs, or the name itself when there is
none. The nodes and their inputs are Rasa's own; only the scheduling is gone. An error is raised
as dask raises it (the node's own), and a RuntimeError becomes Rasa's GraphRunError, as before.
"""

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

Plan = Tuple[Tuple[Tuple[Text, Any, Tuple[Text, ...]], ...], frozenset]


def plan(runner: DaskGraphRunner, targets: List[Text]) -> Plan:
    """((node name, node, names it needs), ...) in an order where every node comes after what it
    needs, and the names of the nodes; worked out once per targets."""
    plans: Dict[Tuple[Text, ...], Plan] = runner.__dict__.setdefault("_plans_in_order", {})
    key = tuple(targets)
    found = plans.get(key)
    if found is None:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        order: List[Text] = []
        placed: set = set()

        def place(name: Text, path: Tuple[Text, ...] = ()) -> None:
            if name in placed or name not in schema.nodes:
                return
            if name in path:
                raise GraphRunError(f"The graph has a cycle through '{name}'.")
            for needed in schema.nodes[name].needs.values():
                place(needed, (*path, name))
            placed.add(name)
            order.append(name)

        for name in [*targets, *schema.nodes]:
            place(name)
        steps = tuple(
            (name, runner._instantiated_nodes[name], tuple(schema.nodes[name].needs.values()))
            for name in order
        )
        found = plans[key] = (steps, frozenset(schema.nodes))
    return found


def run_in_order(
    self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
) -> Dict[Text, Any]:
    """DaskGraphRunner.run without dask (see above)."""
    run_targets = targets if targets else self._graph_schema.target_names
    steps, nodes = plan(self, run_targets)
    done: Dict[Text, Any] = {}
    for input_name, input_value in (inputs or {}).items():
        if isinstance(input_value, str) and (input_value in nodes or input_value in done):
            raise GraphRunError(
                f"Input value '{input_value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        done[input_name] = (input_name, input_value)
    try:
        for name, node, needs in steps:
            if name not in done:  # an input of the same name stands in for the node, as in dask
                done[name] = node(*[done.get(needed, needed) for needed in needs])
        return dict(done[target] for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def run_graphs_in_order() -> None:
    if not hasattr(DaskGraphRunner, "_rasa_run"):
        DaskGraphRunner._rasa_run = DaskGraphRunner.run
        DaskGraphRunner.run = run_in_order
