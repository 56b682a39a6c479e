#!/usr/bin/env python3
"""Generate golden PyTorch parity fixtures for the BehaviorKit NeuralNet tests.

Run from the repository root:

    .venv/bin/python Tests/NeuralNetTests/Fixtures/make_fixtures.py

Every case is written to its own ``<case>.safetensors`` file next to this script.
All tensors are float32 (integer data such as class targets is stored as float),
row-major/contiguous, with PyTorch's own shapes and layouts.

Tensor naming convention inside each file
-----------------------------------------
``param.<name>``
    A module parameter, named exactly as in the module's ``state_dict()``
    (e.g. ``param.weight``, ``param.weight_ih_l0``, ``param.out_proj.weight``).
    Values are the parameters *before* any optimiser step.
``input.<name>``
    An input to the forward computation.
``output.<name>``
    A forward result (or, for ``adam.safetensors``, a parameter after a step).
``upstream.<name>``
    A random tensor with the shape of ``output.<name>``.  The scalar that is
    differentiated is  ``loss = sum over outputs o of sum(o * upstream.o)``,
    i.e. ``upstream.<name>`` is the incoming gradient dLoss/d(output.<name>).
``grad.input.<name>`` / ``grad.param.<name>``
    The gradient of that loss with respect to ``input.<name>`` / ``param.<name>``.

Scalars (the loss values in ``losses.safetensors``) are stored with shape [1]
rather than rank 0, and their upstream is exactly 1.0, so the stored gradient is
the plain gradient of the loss.

Per-file notes
--------------
linear      nn.Linear(5, 4); y = x W^T + b.
lstm        nn.LSTM(4, 6, num_layers=2, batch_first=True), zero initial state.
            Gate order of the stacked weights is (i, f, g, o); there are two
            biases per layer (bias_ih_lK and bias_hh_lK), both added.
gru         nn.GRU(4, 6, num_layers=2, batch_first=True), zero initial state.
            Gate order (r, z, n); n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
            h' = (1 - z) * n + z * h.
layernorm   nn.LayerNorm(6), eps 1e-5, biased variance, random weight/bias.
attention   nn.MultiheadAttention(8, 2 heads, batch_first=True, dropout 0),
            self-attention (query = key = value = x).  Masks: causal (query t may
            attend keys <= t) and a key padding mask, ``input.key_padding``
            [2, 5] with 1.0 = padded key (the last two positions of sequence 1,
            zero-based).  Padded *query* rows are still computed and included in
            the output and the loss.  in_proj_weight is [3*E, E] stacked (q, k, v).
            Scaling is 1/sqrt(head_dim).  Only the attention output is returned.
adam        p [4, 3], gradients g1 then g2 applied in two steps, separately for
            Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8)       -> p_step1, p_step2
            AdamW(lr=0.01, same betas/eps, weight_decay=0.1)  -> adamw_step1/2
            SGD(lr=0.1, momentum=0.9, nesterov=True)          -> sgd_step1/2
            No upstream/grad tensors in this file.
conv1d      nn.Conv1d(3, 4, kernel_size=3, padding=1); x is [N, C, L] = [2, 3, 7];
            weight is [out, in, k].  (PyTorch "convolution" is cross-correlation.)
losses      ce:  F.cross_entropy(logits_ce [4, 5], targets_ce [4]) with
                 ignore_index=-100 (row 2 is ignored); mean over the 3 kept rows.
            bce: F.binary_cross_entropy_with_logits(logits_bce [6], targets_bce [6],
                 pos_weight=2.0), mean; ``input.pos_weight_bce`` holds the 2.0.
            gelu: exact (erf) GELU of x_gelu [7], with a random upstream.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT_DIR = Path(__file__).resolve().parent
SEED = 1234


class Fixture:
    """Collects the tensors of one fixture file under the naming convention."""

    def __init__(self) -> None:
        self.tensors: dict[str, torch.Tensor] = {}

    def add(self, name: str, t: torch.Tensor) -> None:
        t = t.detach().to(torch.float32)
        if t.dim() == 0:
            t = t.reshape(1)
        assert name not in self.tensors, name
        assert torch.isfinite(t).all(), f"non-finite values in {name}"
        self.tensors[name] = t.contiguous().clone()

    def params(self, module: nn.Module) -> None:
        for name, p in module.state_dict().items():
            self.add(f"param.{name}", p)

    def param_grads(self, module: nn.Module) -> None:
        for name, p in module.named_parameters():
            assert p.grad is not None, name
            self.add(f"grad.param.{name}", p.grad)

    def save(self, filename: str) -> None:
        path = OUT_DIR / filename
        save_file(self.tensors, str(path))
        size = path.stat().st_size
        assert size < 50_000, f"{filename} too large: {size} bytes"
        print(f"wrote {path.name:24s} {len(self.tensors):3d} tensors, {size:6d} bytes")


def backward_with_upstream(fx: Fixture, outputs: dict[str, torch.Tensor]) -> None:
    """Store outputs and random upstreams, and backprop sum(o * upstream.o)."""
    loss = torch.zeros(())
    for name, out in outputs.items():
        up = torch.randn_like(out)
        fx.add(f"output.{name}", out)
        fx.add(f"upstream.{name}", up)
        loss = loss + (out * up).sum()
    loss.backward()


def leaf(*shape: int) -> torch.Tensor:
    return torch.randn(*shape).requires_grad_(True)


def make_linear() -> None:
    fx = Fixture()
    m = nn.Linear(5, 4)
    x = leaf(3, 5)
    fx.params(m)
    fx.add("input.x", x)
    backward_with_upstream(fx, {"y": m(x)})
    fx.add("grad.input.x", x.grad)
    fx.param_grads(m)
    fx.save("linear.safetensors")


def make_recurrent(cls: type[nn.RNNBase], filename: str) -> None:
    fx = Fixture()
    m = cls(input_size=4, hidden_size=6, num_layers=2, batch_first=True)
    x = leaf(3, 5, 4)
    fx.params(m)
    fx.add("input.x", x)
    if cls is nn.LSTM:
        y, (h_n, c_n) = m(x)  # zero initial state
        outputs = {"y": y, "h_n": h_n, "c_n": c_n}
    else:
        y, h_n = m(x)
        outputs = {"y": y, "h_n": h_n}
    backward_with_upstream(fx, outputs)
    fx.add("grad.input.x", x.grad)
    fx.param_grads(m)
    fx.save(filename)


def make_layernorm() -> None:
    fx = Fixture()
    m = nn.LayerNorm(6)
    with torch.no_grad():
        m.weight.copy_(1.0 + 0.5 * torch.randn(6))
        m.bias.copy_(0.5 * torch.randn(6))
    x = leaf(3, 4, 6)
    fx.params(m)
    fx.add("input.x", x)
    backward_with_upstream(fx, {"y": m(x)})
    fx.add("grad.input.x", x.grad)
    fx.param_grads(m)
    fx.save("layernorm.safetensors")


def make_attention() -> None:
    fx = Fixture()
    batch, seq, embed = 2, 5, 8
    m = nn.MultiheadAttention(embed_dim=embed, num_heads=2, dropout=0.0, batch_first=True)
    # Default init leaves in_proj_bias / out_proj.bias at zero; randomise them
    # so that the biases are actually exercised by the parity test.
    with torch.no_grad():
        m.in_proj_bias.normal_(0.0, 0.5)
        m.out_proj.bias.normal_(0.0, 0.5)
    x = leaf(batch, seq, embed)
    causal = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)  # True = masked
    key_padding = torch.zeros(batch, seq, dtype=torch.bool)
    # Pad at the END of the second sequence: with the causal mask every query
    # still sees key 0, so no softmax row is fully masked (that would be NaN).
    key_padding[1, -2:] = True
    m.train()  # keep PyTorch on the plain (non-fused) path; dropout is 0 anyway
    y, weights = m(x, x, x, key_padding_mask=key_padding, attn_mask=causal, need_weights=False)
    assert weights is None
    fx.params(m)
    fx.add("input.x", x)
    fx.add("input.key_padding", key_padding.float())
    backward_with_upstream(fx, {"y": y})
    fx.add("grad.input.x", x.grad)
    fx.param_grads(m)
    fx.save("attention.safetensors")


def make_optimizers() -> None:
    fx = Fixture()
    p0 = torch.randn(4, 3)
    g1, g2 = torch.randn(4, 3), torch.randn(4, 3)
    fx.add("param.p", p0)
    fx.add("input.g1", g1)
    fx.add("input.g2", g2)

    def run(prefix: str, make_opt) -> None:
        p = nn.Parameter(p0.clone())
        opt = make_opt([p])
        for step, g in enumerate((g1, g2), start=1):
            p.grad = g.clone()
            opt.step()
            fx.add(f"output.{prefix}_step{step}", p)

    run("p", lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8))
    run("adamw", lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                                               weight_decay=0.1))
    run("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True))
    fx.save("adam.safetensors")


def make_conv1d() -> None:
    fx = Fixture()
    m = nn.Conv1d(3, 4, kernel_size=3, padding=1)
    x = leaf(2, 3, 7)
    fx.params(m)
    fx.add("input.x", x)
    backward_with_upstream(fx, {"y": m(x)})
    fx.add("grad.input.x", x.grad)
    fx.param_grads(m)
    fx.save("conv1d.safetensors")


def make_losses() -> None:
    fx = Fixture()
    # Cross entropy with one ignored row.
    logits_ce = leaf(4, 5)
    targets_ce = torch.tensor([1, 4, -100, 0])
    ce = F.cross_entropy(logits_ce, targets_ce, ignore_index=-100, reduction="mean")
    # BCE with logits and a positive-class weight.
    logits_bce = leaf(6)
    targets_bce = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.5])
    pos_weight = torch.tensor([2.0])
    bce = F.binary_cross_entropy_with_logits(logits_bce, targets_bce, pos_weight=pos_weight)
    # Exact GELU.
    x_gelu = leaf(7)
    with torch.no_grad():
        x_gelu.mul_(2.0)  # spread values into the non-linear region
    gelu = F.gelu(x_gelu, approximate="none")

    fx.add("input.logits_ce", logits_ce)
    fx.add("input.targets_ce", targets_ce.float())
    fx.add("input.logits_bce", logits_bce)
    fx.add("input.targets_bce", targets_bce)
    fx.add("input.pos_weight_bce", pos_weight)
    fx.add("input.x_gelu", x_gelu)

    up_gelu = torch.randn_like(gelu)
    for name, out, up in (("ce", ce, torch.ones(())), ("bce", bce, torch.ones(())),
                          ("gelu", gelu, up_gelu)):
        fx.add(f"output.{name}", out)
        fx.add(f"upstream.{name}", up)
    (ce + bce + (gelu * up_gelu).sum()).backward()
    fx.add("grad.input.logits_ce", logits_ce.grad)
    fx.add("grad.input.logits_bce", logits_bce.grad)
    fx.add("grad.input.x_gelu", x_gelu.grad)
    fx.save("losses.safetensors")


def main() -> None:
    torch.manual_seed(SEED)
    torch.set_default_dtype(torch.float32)
    make_linear()
    make_recurrent(nn.LSTM, "lstm.safetensors")
    make_recurrent(nn.GRU, "gru.safetensors")
    make_layernorm()
    make_attention()
    make_optimizers()
    make_conv1d()
    make_losses()


if __name__ == "__main__":
    main()
