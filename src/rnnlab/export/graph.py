"""A small builder of ONNX graphs (``onnx.helper`` underneath): nodes with generated output names,
weights as float32 initializers, int64 constants; ``model`` checks and returns the ``ModelProto``.

``onnx`` is an optional extra (``pip install "rnnlab[onnx]"``): ``require_onnx`` says so in one line.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Graph", "require_onnx", "OPSET"]

OPSET = 17


def require_onnx():
    """The ``onnx`` module, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError('exporting to ONNX needs the onnx package: pip install "rnnlab[onnx]"') from None
    return onnx


class Graph:
    def __init__(self) -> None:
        require_onnx()
        self.nodes: list = []
        self.initializers: list = []
        self.inputs: list = []
        self.outputs: list = []

    def constant(self, name: str, value: np.ndarray) -> str:
        """A weight (float32) or an index array (int64) as an initializer; its name."""
        from onnx import numpy_helper

        if any(t.name == name for t in self.initializers):  # asked for again (the same value)
            return name
        value = np.asarray(value)
        value = value.astype(np.int64 if value.dtype.kind in "iu" else np.float32)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def int64s(self, name: str, values: list[int]) -> str:
        return self.constant(name, np.array(values, np.int64))

    def node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        """One node with one output named ``output``; returns that name."""
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def input(self, name: str, elem: str, shape: list) -> str:
        """A graph input: ``elem`` "float" or "int64", ``shape`` with names for dynamic axes."""
        from onnx import TensorProto, helper

        kind = {"float": TensorProto.FLOAT, "int64": TensorProto.INT64}[elem]
        self.inputs.append(helper.make_tensor_value_info(name, kind, shape))
        return name

    def output(self, source: str, name: str, elem: str, shape: list) -> None:
        from onnx import TensorProto, helper

        kind = {"float": TensorProto.FLOAT, "int64": TensorProto.INT64}[elem]
        self.node("Identity", [source], name)
        self.outputs.append(helper.make_tensor_value_info(name, kind, shape))

    def model(self, name: str, doc: str):
        onnx = require_onnx()
        from onnx import helper

        graph = helper.make_graph(self.nodes, name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="rnnlab",
                                  doc_string=doc)
        onnx.checker.check_model(model)
        return model
