"""One self-contained HTML page of a network unrolled over its steps (``rnnlab explain --steps T --html``):
inline SVG, CSS and a few lines of JavaScript, the numbers as JSON, no network access.

    the diagram       a column a step: x_t at the bottom, h_t in the middle, o_t at the top; arrows
                      x_t -> h_t, h_{t-1} -> h_t (the recurrence) and h_t -> o_t
    the backward pass each recurrent arrow drawn as wide as log10 ||dL/dh_t|| is large, each h_t
                      coloured by it (dark: the gradient that reaches back, pale: the one that vanished)
    the numbers       on every node: hover for a summary, click for every value (h_t, the gates, o_t,
                      dL/dh_t)
    the cells         a menu switches between the cells unrolled on the same inputs (RNN, LSTM, GRU)

``views`` is {cell: {"x", "steps", "loss", "grads"}} as ``unrolled.unroll`` gives them (lists).
"""

from __future__ import annotations

import html
import json

from .messages import text

__all__ = ["build_unrolled_page", "width_of"]

_STEP, _LEFT, _Y = 48, 40, {"o": 50, "h": 150, "x": 250}


def width_of(norm: float, lo: float, hi: float) -> float:
    """An arrow's width for ||dL/dh_t|| = ``norm`` on the page's log scale from ``lo`` to ``hi`` (the
    smallest and largest norm of all the cells shown): 0.5 to 8 pixels. The page's script has the same
    formula."""
    import math

    if norm <= 0 or hi <= lo:
        return 0.5
    return 0.5 + 7.5 * (math.log10(norm) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))


def build_unrolled_page(views: dict[str, dict], first: str, lang: str = "en") -> str:
    import math

    norms = [math.sqrt(sum(v * v for v in dh)) for view in views.values() for dh in view["grads"]["h"]]
    positive = [n for n in norms if n > 0] or [1.0]
    lo, hi = min(positive), max(positive)
    T = len(next(iter(views.values()))["steps"])
    width = _LEFT * 2 + _STEP * (T - 1)
    nodes = []
    for t in range(T):
        cx = _LEFT + _STEP * t
        if t:
            nodes.append(f'<line class="rec" data-t="{t}" x1="{cx - _STEP + 12}" y1="{_Y["h"]}" x2="{cx - 12}" '
                         f'y2="{_Y["h"]}"/>')
        nodes.append(f'<line class="in" x1="{cx}" y1="{_Y["x"] - 12}" x2="{cx}" y2="{_Y["h"] + 12}"/>')
        nodes.append(f'<line class="out" x1="{cx}" y1="{_Y["h"] - 12}" x2="{cx}" y2="{_Y["o"] + 12}"/>')
        for kind in ("x", "h", "o"):
            nodes.append(f'<circle class="node {kind}" data-t="{t}" data-kind="{kind}" cx="{cx}" cy="{_Y[kind]}" '
                         f'r="11"><title></title></circle>')
        nodes.append(f'<text x="{cx}" y="{_Y["x"] + 30}">{t + 1}</text>')
    title = html.escape(text(lang, "page_title", T=T))
    data = json.dumps({"views": views, "lo": lo, "hi": hi}).replace("</", "<\\/")
    options = "".join(f'<option value="{c}"{" selected" if c == first else ""}>{c}</option>' for c in views)
    return _PAGE.format(title=title, width=width, nodes="\n".join(nodes), data=data, options=options,
                        remark=html.escape(text(lang, "page_remark")), pick=html.escape(text(lang, "page_cell")),
                        legend=html.escape(text(lang, "page_legend")))


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px sans-serif; margin: 1.5em; }}
svg line {{ stroke: #888; }} svg line.rec {{ stroke: #c0392b; }}
svg circle.node {{ stroke: #333; cursor: pointer; }} svg circle.x {{ fill: #ddd; }} svg circle.o {{ fill: #cde; }}
svg text {{ font-size: 10px; text-anchor: middle; fill: #555; }}
#detail {{ white-space: pre; font-family: monospace; margin-top: 1em; }}
</style></head><body>
<h1>{title}</h1>
<p>{legend}</p>
<label>{pick} <select id="cell">{options}</select></label> <span id="loss"></span>
<svg id="unrolled" width="{width}" height="300">
{nodes}
</svg>
<p>{remark}</p>
<div id="detail"></div>
<script>
const data = {data};
const fmt = v => v.map(u => u.toFixed(4)).join(", ");
const norm = v => Math.sqrt(v.reduce((s, u) => s + u * u, 0));
function width(n) {{
  if (n <= 0 || data.hi <= data.lo) return 0.5;
  return 0.5 + 7.5 * (Math.log10(n) - Math.log10(data.lo)) / (Math.log10(data.hi) - Math.log10(data.lo));
}}
function numbers(view, t, kind) {{
  const s = view.steps[t];
  if (kind === "x") return "x_" + (t + 1) + " = [" + fmt(view.x[t]) + "]";
  if (kind === "o") return "o_" + (t + 1) + " = [" + fmt(s.o) + "]";
  const lines = Object.keys(s).filter(k => k !== "o").map(k => k + "_" + (t + 1) + " = [" + fmt(s[k]) + "]");
  return lines.concat(["dL/dh_" + (t + 1) + " = [" + fmt(view.grads.h[t]) + "]"]).join("\\n");
}}
function draw() {{
  const view = data.views[document.getElementById("cell").value];
  document.getElementById("loss").textContent = "L = " + view.loss.toFixed(6);
  document.querySelectorAll("line.rec").forEach(l => {{
    l.setAttribute("stroke-width", width(norm(view.grads.h[+l.dataset.t])).toFixed(3));
  }});
  document.querySelectorAll("circle.node").forEach(c => {{
    const t = +c.dataset.t, kind = c.dataset.kind;
    c.querySelector("title").textContent = numbers(view, t, kind);
    if (kind === "h") {{
      const w = (width(norm(view.grads.h[t])) - 0.5) / 7.5;
      c.style.fill = "rgb(" + Math.round(255 - 63 * w) + ", " + Math.round(255 - 198 * w) + ", " +
                     Math.round(255 - 212 * w) + ")";
    }}
  }});
}}
document.getElementById("cell").addEventListener("change", draw);
document.querySelectorAll("circle.node").forEach(c => c.addEventListener("click", () => {{
  const view = data.views[document.getElementById("cell").value];
  document.getElementById("detail").textContent = numbers(view, +c.dataset.t, c.dataset.kind);
}}));
draw();
</script>
</body></html>
"""
