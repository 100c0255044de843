"""The words ``rnnlab explain`` and ``rnnlab inspect`` print, one table a language (English, Chinese),
with the source articles' terms for the gates and states; ``language`` picks one: the flag, else the
locale (LC_ALL, LC_MESSAGES, LANG: zh_* is Chinese), else English."""

from __future__ import annotations

import os

__all__ = ["LANGUAGES", "language", "text", "gate_term", "quantity_term"]

MESSAGES = {
    "en": {
        "one_step": "one {cell} step ({source})",
        "legend": "gates: {legend}",
        "states": "states: h the hidden state{cell_state}",
        "cell_state": ", c the cell state",
        "backward_given": "backward (dL/dh_t given{c_note})",
        "c_note": "; dL/dc_t from the next step, 0 at a sequence's end",
        "with_json": "({names}: with --json)",
        "source_worked": "the seed articles' worked example: gates set by the biases (W = 0) to f = [0.63, 0.82], "
                         "i = [0.41, 0.29], c~ = [0.72, -0.59]; o not given, 0.5",
        "source_seed": "weights from seed {seed}, PyTorch's initialisation",
        "note": "note: the article writes f_t = sigma([[0.3, -0.1], [0.5, 0.2]]) = [0.63, 0.82], but sigma of those "
                "entries is {values}, and it gives W_f the shape (4, 4) where (2, 4) is meant; this step takes its "
                "gate values as the article states them",
        "unrolled": "{cell} unrolled over {T} steps, o_t = W_hy h_t + b_y, L = {formula} ({source})",
        "names": "names: {mapping}",
        "gru_reset": "n_t is the candidate hidden state h~_t; the reset gate multiplies W_nh h_{{t-1}} + b_nh, as PyTorch "
                     "and cuDNN compute it (some texts write tanh(W_n [r_t * h_{{t-1}}, x_t] + b_n))",
        "forward": "forward",
        "loss": "loss L = {loss:.6f}",
        "bptt": "backward through time: dL/dh_t = W_hy^T dL/do_t + dL/dh_{{t+1}} dh_{{t+1}}/dh_t",
        "gradients": "gradients (the sum of every step's contribution; each step's with --json)",
        "page_title": "A recurrent network unrolled over {T} steps",
        "page_legend": "Bottom: the inputs x_t; middle: the hidden states h_t; top: the outputs o_t. The red arrows "
                       "are the recurrence h_{{t-1}} -> h_t, as wide as the gradient dL/dh_t that reaches them backward "
                       "(log scale); h_t is coloured by it too. Hover over a node for its numbers, click for all.",
        "page_cell": "cell:",
        "page_remark": "A plain RNN multiplies the gradient by the same Jacobian at every step, so it shrinks (or "
                       "grows) geometrically with the distance: the vanishing gradient. An LSTM's cell state is added "
                       "to, not multiplied by a matrix: with its forget gate near 1 the gradient travels back along it "
                       "almost unchanged. With random weights (--seed) the forget gate is about 0.5 and the gradient "
                       "fades too; training (or a forget-gate bias of 1 to 3 at the start) opens that path.",
        "inspect_title": "Inside {run} ({cell})",
        "activations": "Activations",
        "quantity": "quantity",
        "unit": "unit",
        "unit_n": "unit {u}",
        "colours": "(hidden state and cell in [-1, 1]: blue negative, red positive; gates in [0, 1]: white to red)",
        "token_title": "step {t}, {q} of unit {u}: {v}",
        "gradient_flow": "Gradient flow",
        "flow_remark": "||dL/dh_t||, the gradient of the loss at the sequence's end reaching step t, against the lag T - t: "
                       "falling with the lag is the vanishing gradient, rising the exploding gradient. Right: the "
                       "largest and smallest singular value of each step's Jacobian d s_t / d s_{{t-1}}.",
        "lag": "lag T - t",
        "step_t": "step t",
        "singular_value": "singular value",
        "largest": "largest",
        "smallest": "smallest",
        "saturation": "Gate saturation",
        "no_gates": "A plain RNN has no gates.",
        "left_saturated": "fraction left-saturated (< 0.1)",
        "right_saturated": "fraction right-saturated (> 0.9)",
        "flow_at": "||dL/dh_t|| at lag {lags}",
        "gate_saturated": "{gate}: left-saturated {left:.0%}, right-saturated {right:.0%} of steps (mean over units)",
        "weight_norms": "||dL/dW||: {norms}",
        "more": "(--html PAGE.html for the page, --png PREFIX for figures)",
        "hidden_state": "hidden state h",
        "tanh_cell": "tanh(cell c)",
    },
    "zh": {
        "one_step": "{cell} 的一个时间步（{source}）",
        "legend": "门：{legend}",
        "states": "状态：h 隐藏状态{cell_state}",
        "cell_state": "，c 细胞状态",
        "backward_given": "反向传播（给定 dL/dh_t{c_note}）",
        "c_note": "；dL/dc_t 来自下一时间步，序列末尾为 0",
        "with_json": "（{names}：见 --json）",
        "source_worked": "文章中的 LSTM 例子：权重为 0，由偏置给出各门的值 f = [0.63, 0.82]，i = [0.41, 0.29]，"
                         "c~ = [0.72, -0.59]；文中未给出输出门 o，取 0.5",
        "source_seed": "权重由随机种子 {seed} 按 PyTorch 的方式初始化",
        "note": "注意：文章写 f_t = sigma([[0.3, -0.1], [0.5, 0.2]]) = [0.63, 0.82]，但这些元素的 sigma 值是 {values}；"
                "文中 W_f 的形状写作 (4, 4)，应为 (2, 4)；这里按文章给出的门值计算",
        "unrolled": "{cell} 沿时间展开 {T} 步，o_t = W_hy h_t + b_y，L = {formula}（{source}）",
        "names": "名称对照：{mapping}",
        "gru_reset": "n_t 即候选隐藏状态 h~_t；重置门乘的是 W_nh h_{{t-1}} + b_nh，与 PyTorch 和 cuDNN 的计算一致"
                     "（有些教材写作 tanh(W_n [r_t * h_{{t-1}}, x_t] + b_n)）",
        "forward": "前向传播",
        "loss": "损失 L = {loss:.6f}",
        "bptt": "时间反向传播（BPTT）：dL/dh_t = W_hy^T dL/do_t + dL/dh_{{t+1}} dh_{{t+1}}/dh_t",
        "gradients": "梯度（各时间步贡献之和；每一步的贡献见 --json）",
        "page_title": "沿时间展开 {T} 步的循环神经网络",
        "page_legend": "下：输入 x_t；中：隐藏状态 h_t；上：输出 o_t。红色箭头是循环连接 h_{{t-1}} -> h_t，宽度表示反向传播到"
                       "那里的梯度 dL/dh_t 的大小（对数刻度），h_t 的颜色也表示它。把鼠标移到节点上看它的数值，点击看全部。",
        "page_cell": "单元：",
        "page_remark": "普通 RNN 在每一步都把梯度乘以同样的雅可比矩阵，所以梯度随距离按几何级数衰减（或增长）：这就是梯度消失"
                       "（或梯度爆炸）。LSTM 的细胞状态是累加的，不是乘以矩阵：遗忘门接近 1 时，梯度可以沿细胞状态几乎不变地传回去。"
                       "权重随机（--seed）时，遗忘门约为 0.5，梯度同样会衰减；训练（或一开始把遗忘门的偏置设为 1 到 3）才打开这条路。",
        "inspect_title": "{run}（{cell}）的内部",
        "activations": "激活值",
        "quantity": "量",
        "unit": "单元",
        "unit_n": "单元 {u}",
        "colours": "（隐藏状态和细胞状态在 [-1, 1] 内：蓝为负，红为正；门在 [0, 1] 内：由白到红）",
        "token_title": "时间步 {t}，单元 {u} 的{q}：{v}",
        "gradient_flow": "梯度的传播",
        "flow_remark": "||dL/dh_t||：序列末尾的损失传回时间步 t 的梯度，横轴是距离 T - t。随距离下降即梯度消失，上升即梯度爆炸。"
                       "右图：每一步雅可比矩阵 d s_t / d s_{{t-1}} 的最大和最小奇异值。",
        "lag": "距离 T - t",
        "step_t": "时间步 t",
        "singular_value": "奇异值",
        "largest": "最大",
        "smallest": "最小",
        "saturation": "门的饱和",
        "no_gates": "普通 RNN 没有门。",
        "left_saturated": "左饱和（< 0.1）的比例",
        "right_saturated": "右饱和（> 0.9）的比例",
        "flow_at": "不同距离处的 ||dL/dh_t||：{lags}",
        "gate_saturated": "{gate}：左饱和 {left:.0%}，右饱和 {right:.0%} 的时间步（各单元平均）",
        "weight_norms": "||dL/dW||：{norms}",
        "more": "（--html PAGE.html 生成网页，--png PREFIX 生成图片）",
        "hidden_state": "隐藏状态 h",
        "tanh_cell": "tanh(细胞状态 c)",
    },
}
LANGUAGES = tuple(MESSAGES)

# the kernels' gate titles (``CellKernel.titles``) in the articles' Chinese terms
_GATE_TERMS = {"en": {"cell": "candidate cell state", "new": "candidate hidden state"},
               "zh": {"input": "输入门", "forget": "遗忘门", "cell": "候选细胞状态", "output": "输出门",
                      "reset": "重置门", "update": "更新门", "new": "候选隐藏状态"}}


def language(flag: str | None = None) -> str:
    """``flag`` when given, else Chinese where the locale says zh, else English."""
    if flag:
        return flag
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def quantity_term(lang: str, name: str) -> str:
    """One of ``rnnlab inspect``'s quantities ("hidden state h", "tanh(cell c)", "<title> gate") in ``lang``."""
    fixed = {"hidden state h": "hidden_state", "tanh(cell c)": "tanh_cell"}
    if name in fixed:
        return text(lang, fixed[name])
    return gate_term(lang, name.removesuffix(" gate")) if name.endswith(" gate") else name


def text(lang: str, key: str, **values) -> str:
    return MESSAGES[lang][key].format(**values)


def gate_term(lang: str, title: str) -> str:
    """A gate's title in ``lang`` (its English word plus "gate", or the articles' Chinese term)."""
    if lang in _GATE_TERMS and title in _GATE_TERMS[lang]:
        return _GATE_TERMS[lang][title]
    return f"{title} gate"
