"""``rnnlab export RUN --onnx MODEL.onnx``: a trained model as an ONNX file that any ONNX runtime
serves (``onnx`` and ``onnxruntime``: ``pip install "rnnlab[onnx]"``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["cmd_export"]


def cmd_export(args) -> int:
    from ..export.graph import require_onnx
    from ..tasks import read_run_config, task_class

    onnx = require_onnx()
    out = Path(args.onnx)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--onnx {out}: no such folder {out.parent}")
    cfg = read_run_config(args.run)
    proto = task_class(cfg.task).onnx_model(Path(args.run), args.weights)
    onnx.save(proto, str(out))
    shapes = lambda values: ", ".join(  # noqa: E731
        f"{v.name} ({', '.join(str(d.dim_param or d.dim_value) for d in v.type.tensor_type.shape.dim)})" for v in values)
    print(f"wrote {out}: inputs {shapes(proto.graph.input)}; outputs {shapes(proto.graph.output)}")
    return 0
