"""One self-contained HTML page of what a network does on one input (``rnnlab inspect --html``): no
network access is needed to view it (inline CSS, SVG and a few lines of JavaScript, data as JSON).

    the input coloured by one unit's activation   h, tanh(c) in [-1, 1] (blue negative, red positive)
                                                  or a gate in [0, 1] (white to red); a menu picks the
                                                  unit and the quantity
    gradient flow                                 ||dL/dh_t|| against the lag (log scale), and the
                                                  largest singular value of each step's Jacobian
    gate saturation                               per unit, fraction of steps a gate is < 0.1 (x)
                                                  against > 0.9 (y), one colour per gate (Karpathy
                                                  et al. 2015)

``colour(value, signed)`` is the one colour map, used by the page's script (the same formula in
JavaScript) and by the tests. The words are those of ``lang`` (``rnnlab.insight.messages``); the page
declares it (``<html lang>``).
"""

from __future__ import annotations

import html
import json
import math

__all__ = ["build_page", "colour", "svg_curves", "svg_scatter"]

_GATE_COLOURS = {"input": "#1f77b4", "forget": "#d62728", "output": "#2ca02c", "reset": "#9467bd",
                 "update": "#ff7f0e"}


def colour(value: float, signed: bool) -> str:
    """The background of a token: signed values in [-1, 1] blue (-) to white (0) to red (+); unsigned
    values in [0, 1] white to red. ``rgb(r, g, b)`` as the browser reports it."""
    v = max(-1.0, min(1.0, value)) if signed else max(0.0, min(1.0, value))
    fade = round(255 * (1 - abs(v)))
    return f"rgb(255, {fade}, {fade})" if v >= 0 else f"rgb({fade}, {fade}, 255)"


def _axes(width, height, pad, xs, ys, log_y):
    """Scaling functions and the frame of an SVG plot."""
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    ty = [math.log10(y) for y in ys] if log_y else list(ys)
    y0, y1 = min(ty), max(ty) if max(ty) > min(ty) else min(ty) + 1

    def sx(x):
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

    def sy(y):
        t = math.log10(y) if log_y else y
        return height - pad - (t - y0) / (y1 - y0) * (height - 2 * pad)

    ticks = (f'<text x="{pad}" y="{pad - 6}" font-size="11">{10 ** y1 if log_y else y1:.3g}</text>'
             f'<text x="{pad}" y="{height - pad + 14}" font-size="11">{10 ** y0 if log_y else y0:.3g}</text>'
             f'<text x="{pad}" y="{height - pad + 26}" font-size="11">{x0:g}</text>'
             f'<text x="{width - pad}" y="{height - pad + 14}" font-size="11" text-anchor="end">{x1:g}</text>')
    frame = (f'<rect x="{pad}" y="{pad}" width="{width - 2 * pad}" height="{height - 2 * pad}" fill="none" '
             f'stroke="#999"/>{ticks}')
    return sx, sy, frame


def svg_curves(curves: dict[str, list[float]], xlabel: str, ylabel: str, log_y: bool = True,
               width: int = 460, height: int = 260) -> str:
    """An SVG line plot: one polyline (class "curve", data-name) per named curve of y against 0, 1, ..."""
    values = [y for ys in curves.values() for y in ys if not log_y or y > 0]
    if not values:
        return "<p>(nothing to plot)</p>"
    n = max(len(ys) for ys in curves.values())
    sx, sy, frame = _axes(width, height, 36, [0, n - 1], values, log_y)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"]
    lines = []
    for (name, ys), c in zip(curves.items(), colours):
        points = " ".join(f"{sx(i):.1f},{sy(y):.1f}" for i, y in enumerate(ys) if not log_y or y > 0)
        lines.append(f'<polyline class="curve" data-name="{html.escape(name)}" points="{points}" fill="none" '
                     f'stroke="{c}" stroke-width="1.5"><title>{html.escape(name)}</title></polyline>')
    legend = "".join(f'<text x="{width - 40}" y="{50 + 14 * i}" font-size="11" text-anchor="end" fill="{c}">'
                     f'{html.escape(name)}</text>' for i, (name, c) in enumerate(zip(curves, colours)))
    labels = (f'<text x="{width / 2}" y="{height - 6}" font-size="12" text-anchor="middle">{html.escape(xlabel)}</text>'
              f'<text x="12" y="{height / 2}" font-size="12" transform="rotate(-90 12 {height / 2})" '
              f'text-anchor="middle">{html.escape(ylabel)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{frame}{"".join(lines)}'
            f'{legend}{labels}</svg>')


def svg_scatter(points: dict[str, tuple[list[float], list[float]]], lang: str = "en", width: int = 300,
                height: int = 300) -> str:
    """Gate saturation: a dot (class "dot", data-gate) per unit and gate at (left, right) in [0, 1]^2."""
    from .messages import gate_term, text

    pad = 36
    dots = []
    for gate, (xs, ys) in points.items():
        c = _GATE_COLOURS.get(gate, "#333")
        for u, (x, y) in enumerate(zip(xs, ys)):
            cx, cy = pad + x * (width - 2 * pad), height - pad - y * (height - 2 * pad)
            dots.append(f'<circle class="dot" data-gate="{gate}" cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{c}" '
                        f'fill-opacity="0.7"><title>{gate_term(lang, gate)}, {text(lang, "unit_n", u=u)}: {x:.2f}, '
                        f'{y:.2f}</title></circle>')
    legend = "".join(f'<text x="{width - pad}" y="{pad + 14 * (i + 1)}" font-size="11" text-anchor="end" '
                     f'fill="{_GATE_COLOURS.get(g, "#333")}">{gate_term(lang, g)}</text>' for i, g in enumerate(points))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
            f'<rect x="{pad}" y="{pad}" width="{width - 2 * pad}" height="{height - 2 * pad}" fill="none" '
            f'stroke="#999"/><line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{pad}" stroke="#ddd"/>'
            f'{"".join(dots)}{legend}'
            f'<text x="{width / 2}" y="{height - 8}" font-size="12" text-anchor="middle">'
            f'{html.escape(text(lang, "left_saturated"))}</text><text x="12" y="{height / 2}" font-size="12" '
            f'transform="rotate(-90 12 {height / 2})" text-anchor="middle">{html.escape(text(lang, "right_saturated"))}'
            f'</text></svg>')


_SCRIPT = """
const data = JSON.parse(document.getElementById('data').textContent);
function colour(v, signed) {
  v = signed ? Math.max(-1, Math.min(1, v)) : Math.max(0, Math.min(1, v));
  const fade = Math.round(255 * (1 - Math.abs(v)));
  return v >= 0 ? `rgb(255, ${fade}, ${fade})` : `rgb(${fade}, ${fade}, 255)`;
}
function paint() {
  const q = document.getElementById('quantity').value, u = +document.getElementById('unit').value;
  const values = data.values[q][u], signed = data.signed[q];
  document.querySelectorAll('#tokens span').forEach((s, t) => {
    s.style.background = colour(values[t], signed);
    s.title = data.token_title.replace('{t}', t).replace('{q}', data.names[q]).replace('{u}', data.units[u])
      .replace('{v}', values[t].toFixed(3));
  });
}
document.getElementById('quantity').addEventListener('change', paint);
document.getElementById('unit').addEventListener('change', paint);
paint();
"""


def build_page(info: dict, lang: str = "en") -> str:
    """The page of ``rnnlab.insight.inspection.inspect_run``'s ``info``: tokens, one string per step;
    units, the hidden units offered; values[quantity][i][t], unit units[i] at step t; flow, curves against
    the lag; jacobian, curves against the step; saturation, per gate (left, right) per unit."""
    from ..data.text import chinese
    from .messages import quantity_term, text

    values = info["values"]
    names = {q: quantity_term(lang, q) for q in values}
    data = json.dumps({"units": info["units"], "values": values, "signed": info["signed"], "names": names,
                       "token_title": text(lang, "token_title", t="{t}", q="{q}", u="{u}", v="{v}")})
    data = data.replace("</", "<\\/")
    spans = "".join(f"<span>{html.escape(t)}</span>" for t in info["tokens"])
    options_q = "".join(f'<option value="{html.escape(q)}">{html.escape(names[q])}</option>' for q in values)
    options_u = "".join(f'<option value="{i}">{text(lang, "unit_n", u=u)}</option>' for i, u in enumerate(info["units"]))
    saturation = info["saturation"]
    sat = svg_scatter(saturation, lang) if saturation else f"<p>{text(lang, 'no_gates')}</p>"
    jacobian = {text(lang, k): v for k, v in info["jacobian"].items()}
    title = text(lang, "inspect_title", run=info["run"], cell=info["cell"])
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 1000px; color: #222; }}
#tokens {{ font-family: monospace; font-size: 15px; line-height: 1.9; white-space: pre-wrap; overflow-wrap: anywhere;
          border: 1px solid #ccc; padding: 0.6em; }}
#tokens span {{ padding: 1px 0; }}
.plots {{ display: flex; flex-wrap: wrap; gap: 1.5em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(info["about"])}</p>
<h2>{text(lang, "activations")}</h2>
<p><label>{text(lang, "quantity")} <select id="quantity">{options_q}</select></label>
<label>{text(lang, "unit")} <select id="unit">{options_u}</select></label>
{html.escape(text(lang, "colours"))}</p>
<div id="tokens"{' lang="zh"' if chinese("".join(info["tokens"])) else ""}>{spans}</div>
<h2>{text(lang, "gradient_flow")}</h2>
<p>{html.escape(text(lang, "flow_remark"))}</p>
<div class="plots"><div id="flow">{svg_curves(info["flow"], text(lang, "lag"), "||dL/dh_t||")}</div>
<div id="jacobian">{svg_curves(jacobian, text(lang, "step_t"), text(lang, "singular_value"), log_y=False)}</div></div>
<h2>{text(lang, "saturation")}</h2>
<div id="saturation">{sat}</div>
<script type="application/json" id="data">{data}</script>
<script>{_SCRIPT}</script>
</body></html>
"""
