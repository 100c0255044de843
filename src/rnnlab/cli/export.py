"""``rnnlab export RUN --onnx MODEL.onnx``: a trained model as an ONNX file that any ONNX runtime
serves (``onnx`` and ``onnxruntime``: ``pip install "rnnlab[onnx]"``); a model used in parts (an
encoder-decoder) as one file a part, MODEL.encoder.onnx and MODEL.decoder.onnx."""

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
    parts = task_class(cfg.task).onnx_models(Path(args.run), args.weights)
    shapes = lambda values: ", ".join(  # noqa: E731
        f"{v.name} ({', '.join(str(d.dim_param or d.dim_value) for d in v.type.tensor_type.shape.dim)})" for v in values)
    for part, proto in parts.items():
        path = out.with_suffix(f".{part}{out.suffix}") if part else out
        onnx.save(proto, str(path))
        print(f"wrote {path}: inputs {shapes(proto.graph.input)}; outputs {shapes(proto.graph.output)}")
    return 0
