# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # softlogit tutorial: softmax regression *is* logistic regression
#
# This notebook tells the story end to end: the identity, fitting both forms on a
# real data set and converting between them, the experiment with two heads on one
# network, and the ×2 correction that makes them train alike.
#
# `examples/tutorial.py` is the source (jupytext, percent format); the notebook
# `examples/tutorial.ipynb` is made from it with `jupytext --sync`.

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

import softlogit as sl

# %% [markdown]
# ## 1. The identity
#
# For two classes with logits $z_1, z_2$:
#
# $$\operatorname{softmax}(z_1, z_2)_2 = \frac{e^{z_2}}{e^{z_1} + e^{z_2}}
#   = \frac{1}{1 + e^{-(z_2 - z_1)}} = \sigma(z_2 - z_1).$$
#
# Only the difference of the logits matters. The plot shows both sides along a line
# of logit pairs, and their difference.

# %%
z1 = np.linspace(-8, 8, 401)
z2 = 0.5 * z1 + 1.0
softmax_side = sl.softmax(np.c_[z1, z2])[:, 1]
sigmoid_side = sl.sigmoid(z2 - z1)
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.plot(z1, softmax_side, lw=4, alpha=0.4, label="softmax(z1, z2)[1]")
ax.plot(z1, sigmoid_side, "k--", label="sigmoid(z2 - z1)")
ax.set_xlabel("z1 (with z2 = z1 / 2 + 1)")
ax.set_ylabel("P(class 2)")
ax.legend()
plt.show()
print("largest difference:", np.abs(softmax_side - sigmoid_side).max())

# %% [markdown]
# ## 2. Fitting both forms on a real data set, and converting
#
# scikit-learn's breast-cancer data: 569 tumours, 30 features, two classes. A
# `SoftmaxRegression` fits two rows of weights; a `LogisticRegression` fits one.
# With an L2 penalty, the softmax with `C` is the logistic regression with `2 C`
# (theorem T7), and its rows are centered: $w_1 = -w_2$.

# %%
X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
soft = sl.SoftmaxRegression(C=0.5).fit(X, y)
logit = sl.LogisticRegression(C=1.0).fit(X, y)
print("softmax rows:", soft.coef_.shape, "centered:", np.allclose(soft.coef_[0], -soft.coef_[1]))
print("w2 - w1 vs logistic w:", np.abs((soft.coef_[1] - soft.coef_[0]) - logit.coef_[0]).max())
gap = np.abs(soft.predict_proba(X) - logit.predict_proba(X)).max()
print(f"largest probability gap: {gap:.1e}")

# %% [markdown]
# Converting is exact and needs no refit. `to_logistic()` takes the row difference
# and doubles `C`; `to_softmax(gauge=...)` goes back, in the gauge you choose —
# the rows are identified only up to a common shift (T8).

# %%
converted = soft.to_logistic()
print(converted.C, np.abs(converted.predict_proba(X) - soft.predict_proba(X)).max())
print(logit.to_softmax(gauge="reference").coef_[:, :3])
print(logit.to_softmax(gauge="centered").coef_[:, :3])

# %% [markdown]
# Without a penalty (`C=np.inf`) the fit gives standard errors. All 30 features
# separate the classes — no maximum-likelihood estimate exists, and softlogit says
# so — but two of them overlap:

# %%
try:
    sl.LogisticRegression(C=np.inf).fit(X, y)
except sl.SeparationError as exc:
    print("SeparationError:", str(exc)[:80], "...")

data = load_breast_cancer(as_frame=True)
two = data.data[["mean radius", "mean texture"]]
print(sl.LogisticRegression(C=np.inf).fit(two, data.target).summary())

# %% [markdown]
# ## 3. The experiment: two heads on one network
#
# Networks 0, 1 and 2 share a base network (16 tanh units) and differ in the head:
# network 0 has two units and outputs $\sigma(z_2 - z_1)$, network 1 has one unit and
# outputs $\sigma(z)$, network 2 has two units and a softmax. They start from
# equivalent weights ($w = w_2 - w_1$) and are trained by the same full-batch SGD.

# %%
from softlogit.experiment import ExperimentSpec, run_experiment

spec = ExperimentSpec().replace(networks=("0", "1", "2"), pairs=(("0", "2"), ("0", "1")))
result = run_experiment(spec)
for pair in result.pairs:
    print(f"{pair.name}: {pair.verdict} ({pair.theorem})")

# %%
fig, (loss_ax, gap_ax) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for name, traj in result.trajectories.items():
    loss_ax.plot(traj.steps, traj.train_loss, label=f"network {name}",
                 ls="--" if name == "2" else "-")
loss_ax.set(yscale="log", xlabel="step", ylabel="training loss")
loss_ax.legend()
floor = np.finfo(float).eps / 4
for pair in result.pairs:
    gap_ax.plot(pair.steps, np.maximum(pair.metrics["head_max_rel"], floor), label=pair.name)
gap_ax.axhline(result.pairs[0].threshold, color="0.5", ls=":", label="rounding threshold")
gap_ax.set(yscale="log", xlabel="step", ylabel="relative head difference")
gap_ax.legend()
plt.show()

# %% [markdown]
# Networks 0 and 2 are the same network written two ways: their difference stays at
# rounding level (T4). Networks 0 and 1 drift apart from the first step: the loss
# gradient reaches $w_2 - w_1$ once through each row, so the difference moves
# **twice as far per step** as $w$ (T5):

# %%
print(f"first-step movement ratio: {result.head_movements[0].ratio:.6f}")
print(result.answers["networks_0_and_1"][:220], "...")

# %% [markdown]
# ## 4. The ×2 correction: network 1c
#
# Give network 1's head twice the learning rate (and half the weight decay): that is
# network 1c, and it follows network 0 to rounding.

# %%
corrected = run_experiment(ExperimentSpec().replace(networks=("0", "1", "1c")))
for pair in corrected.pairs:
    print(f"{pair.name}: {pair.verdict}, final gap {pair.final('head_max_rel'):.1e}")

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for pair in corrected.pairs:
    ax.plot(pair.steps, np.maximum(pair.metrics["head_max_rel"], floor), label=pair.name)
ax.set(yscale="log", xlabel="step", ylabel="relative head difference")
ax.legend()
plt.show()

# %% [markdown]
# The same factors train a converted head of your own PyTorch or Keras model like the
# head it came from: `softlogit.torch.head_param_groups` and
# `softlogit.keras.head_optimizer`. The derivation behind all of this, every step
# checked by SymPy, is one call away:

# %%
checks = sl.derivation(2).check()
print(f"{sum(c.passed for c in checks)} of {len(checks)} steps verified")
