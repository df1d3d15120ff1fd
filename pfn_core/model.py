"""The clustering transformer.

Legend: B=tasks in a batch, M=context tokens, Q=query tokens, D=input features,
E=embedding width, H=heads, K=classes.

Tokens are data points. Context tokens are the anchors (features + a label code) and a
sample of unlabelled points (features + a learned "no label" vector). Query tokens are the
points to predict (features only).

In every layer, with one shared set of weights:
- the context attends to itself, so labels spread through the unlabelled context and the
  unlabelled points reveal the clusters' shape and density;
- the queries attend only to the context, never to each other, so each query is predicted
  independently and cost grows linearly with the number of queries.

Attention logits are the usual content term plus a geometric term
``-(path_sharpness_h * p2 + straight_sharpness_h * d2)``, where ``d2`` is the squared
straight-line distance between the two points and ``p2`` the squared length of the shortest
path between them through a neighbour graph of the data (``geodesic.py``), both divided by
the typical squared distance between close neighbours of the context. Heads with a large
sharpness act like nearest-neighbour look-ups; along paths, "near" means "reachable through
the data", which follows thin, curved clusters and stops at gaps. Heads with a small
sharpness pool globally.

Labels enter as code vectors chosen per call (random in training, fixed at inference) and
leave as similarities between each query and each class's pooled anchor representation, so
any number of classes works and renaming classes renames the output.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to build the model; saved beside the weights."""

    input_dim: int = 16
    embed_dim: int = 64
    num_heads: int = 4
    num_layers: int = 5
    ff_dim: int = 128
    propagation_steps: int = 3

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ModelConfig":
        return cls(**json.loads(text))


class DistanceBiasedAttention(nn.Module):
    """Multi-head attention whose logits add ``-(s_h * p2 + t_h * d2)`` to ``q.k / sqrt(E/H)``:
    s_h the head's path sharpness (``raw_sharpness``), t_h its straight-line sharpness."""

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.query_projection = nn.Linear(embed_dim, embed_dim)
        self.key_value_projection = nn.Linear(embed_dim, 2 * embed_dim)
        self.output_projection = nn.Linear(embed_dim, embed_dim)
        # Sharpness from ~0 (global pooling) to ~8 (nearest neighbour), softplus-parametrised.
        initial = torch.logspace(-2, math.log10(8.0), num_heads)
        self.raw_sharpness = nn.Parameter(torch.log(torch.expm1(initial)))
        # Straight-line distance starts nearly ignored; training decides how much it adds.
        straight = torch.full((num_heads,), math.log(math.expm1(0.01)))
        self.raw_straight_sharpness = nn.Parameter(straight)

    def sharpness(self) -> torch.Tensor:
        """(H, 2): per head, the weight of straight-line and of path squared distance."""
        return F.softplus(torch.stack([self.raw_straight_sharpness, self.raw_sharpness], -1))

    def forward(self, queries, context, squared_distance, context_valid=None):
        """queries (B,Q,E), context (B,M,E), squared_distance (B,Q,M,2) (straight, path),
        context_valid (B,M) bool or None when all are real
        -> output (B,Q,E), attention weights (B,H,Q,M)"""
        B, Q, E = queries.shape
        M = context.shape[1]
        head_dim = E // self.num_heads
        q = self.query_projection(queries).view(B, Q, self.num_heads, head_dim).transpose(1, 2)
        k, v = self.key_value_projection(context).view(B, M, 2, self.num_heads, head_dim).unbind(2)
        k, v = k.transpose(1, 2), v.transpose(1, 2)
        # logits = q.k / sqrt(head_dim) - geometric bias, built in one (B,H,Q,M) buffer.
        logits = torch.einsum("bqmc,hc->bhqm", squared_distance, -self.sharpness())
        if context_valid is not None:  # None: every context token is real (inference)
            logits = logits.masked_fill(~context_valid[:, None, None, :], float("-inf"))
        logits.add_(q @ k.transpose(-1, -2), alpha=head_dim**-0.5)
        weights = torch.softmax(logits, dim=-1)
        out = weights @ v  # (B,H,Q,head_dim)
        return self.output_projection(out.transpose(1, 2).reshape(B, Q, E)), weights


class ContextQueryLayer(nn.Module):
    """Pre-norm transformer layer shared by context and query tokens, with a label channel.

    Besides the residual stream, every token carries label mass P (K values): anchors hold
    their one-hot label, unlabelled context points start empty. Each layer moves P along its
    own attention weights (a learned mix of heads), several steps for the context, one for
    the queries, so labels travel along chains of close points as in label propagation,
    with kernels the transformer learned. P re-enters the residual stream through the label
    codes (P @ codes), so the rest of the network can weigh it."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        E = config.embed_dim
        self.propagation_steps = config.propagation_steps
        self.attention_norm = nn.LayerNorm(E)
        self.attention = DistanceBiasedAttention(E, config.num_heads)
        self.feedforward_norm = nn.LayerNorm(E)
        self.feedforward = nn.Sequential(
            nn.Linear(E, config.ff_dim), nn.GELU(), nn.Linear(config.ff_dim, E)
        )
        # Start by favouring the sharp (nearest-neighbour-like) heads for propagation.
        self.propagation_head_logits = nn.Parameter(torch.linspace(-1.0, 1.5, config.num_heads))
        self.label_input = nn.Linear(E, E, bias=False)
        nn.init.zeros_(self.label_input.weight)

    def _mix_heads(self, weights):
        """(B,H,Q,M) -> (B,Q,M) one propagation kernel."""
        mix = torch.softmax(self.propagation_head_logits, 0)
        return torch.einsum("bhqm,h->bqm", weights, mix)

    def forward_context(self, context, label_mass, anchor_mass, is_anchor, codes,
                        context_distance, context_valid):
        """context (B,M,E), label_mass (B,M,K), anchor_mass (B,M,K) one-hot of anchors,
        is_anchor (B,M,1), codes (B,K,E), context_distance (B,M,M,2)
        -> context (B,M,E), normed input (B,M,E), label_mass (B,M,K)"""
        normed = self.attention_norm(context)
        # The context attends to itself: labels spread through the unlabelled points.
        attended, weights = self.attention(normed, normed, context_distance, context_valid)
        kernel = self._mix_heads(weights)
        for _ in range(self.propagation_steps):
            label_mass = torch.where(is_anchor, anchor_mass, kernel @ label_mass)
        context = context + attended + self.label_input(label_mass @ codes)
        return context + self.feedforward(self.feedforward_norm(context)), normed, label_mass

    def forward_queries(self, queries, normed_context, label_mass, codes, query_distance,
                        context_valid):
        """queries (B,Q,E), normed_context (B,M,E), label_mass (B,M,K) of the context,
        query_distance (B,Q,M,2) -> queries (B,Q,E), query label mass (B,Q,K),
        attention weights (B,H,Q,M)"""
        # Queries attend only to the context, never to each other.
        normed = self.attention_norm(queries)
        attended, weights = self.attention(normed, normed_context, query_distance, context_valid)
        query_mass = self._mix_heads(weights) @ label_mass
        queries = queries + attended + self.label_input(query_mass @ codes)
        return queries + self.feedforward(self.feedforward_norm(queries)), query_mass, weights


class ClusteringTransformer(nn.Module):
    """Predicts class logits for query points from a context of anchors and unlabelled points."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        E = config.embed_dim
        self.feature_embedding = nn.Linear(config.input_dim, E)
        self.code_embedding = nn.Linear(E, E, bias=False)
        self.unlabelled_embedding = nn.Parameter(torch.zeros(E))
        self.layers = nn.ModuleList(ContextQueryLayer(config) for _ in range(config.num_layers))
        self.output_norm = nn.LayerNorm(E)
        self.query_readout = nn.Linear(E, E, bias=False)
        self.prototype_readout = nn.Linear(E, E, bias=False)
        self.code_readout = nn.Linear(E, E, bias=False)
        self.propagation_readout = nn.Parameter(torch.zeros(config.num_layers))

    def encode_context(self, context_x, context_label, context_valid, codes, context_distance):
        """Run the context stream once; the result serves any number of query chunks.

        context_x (B,M,D), context_label (B,M) long in -1..K-1 (-1: unlabelled),
        context_valid (B,M) bool or None (all real), codes (B,K,E), context_distance (B,M,M,2)
        -> per-layer list of (normed context (B,M,E), label mass (B,M,K)), prototypes (B,K,E)"""
        labelled = context_label >= 0
        if context_valid is not None:
            labelled = labelled & context_valid
        code_of_token = torch.gather(
            codes, 1, context_label.clamp(min=0).unsqueeze(-1).expand(-1, -1, codes.shape[-1])
        )
        label_part = torch.where(
            labelled.unsqueeze(-1), self.code_embedding(code_of_token), self.unlabelled_embedding
        )
        context = self.feature_embedding(context_x) + label_part
        membership = F.one_hot(context_label.clamp(min=0), codes.shape[1]).to(context.dtype)
        membership = membership * labelled.unsqueeze(-1)  # (B,M,K)
        is_anchor = labelled.unsqueeze(-1)
        label_mass = membership
        per_layer = []
        for layer in self.layers:
            context, normed, label_mass = layer.forward_context(
                context, label_mass, membership, is_anchor, codes, context_distance, context_valid
            )
            per_layer.append((normed, label_mass))
        context = self.output_norm(context)
        counts = membership.sum(1).clamp(min=1.0).unsqueeze(-1)  # (B,K,1)
        prototypes = membership.transpose(1, 2) @ context / counts  # (B,K,E)
        return per_layer, prototypes

    def predict_queries(self, query_x, query_distance, per_layer, prototypes, codes, context_valid,
                        class_valid):
        """query_x (B,Q,D), query_distance (B,Q,M,2) -> logits (B,Q,K); invalid classes -inf."""
        queries = self.feature_embedding(query_x) + self.unlabelled_embedding
        masses = []
        for layer, (normed_context, label_mass) in zip(self.layers, per_layer, strict=True):
            queries, query_mass, _ = layer.forward_queries(
                queries, normed_context, label_mass, codes, query_distance, context_valid
            )
            masses.append(query_mass)
        logits = self.class_logits(queries, prototypes, codes, masses)
        return logits.masked_fill(~class_valid.unsqueeze(1), float("-inf"))

    def class_logits(self, queries, prototypes, codes, masses):
        """Read classes out of query states: similarity to each class's pooled anchors, to its
        label code, and the log of the label mass that reached the query in each layer.

        queries (B,Q,E), prototypes (B,K,E), codes (B,K,E), masses: L x (B,Q,K) -> (B,Q,K)"""
        queries = self.output_norm(queries)
        logits = self.query_readout(queries) @ self.prototype_readout(prototypes).transpose(1, 2)
        logits = logits + self.code_readout(queries) @ codes.transpose(1, 2)
        logits = logits / math.sqrt(self.config.embed_dim)
        for weight, mass in zip(self.propagation_readout[: len(masses)], masses, strict=True):
            share = mass / (mass.sum(-1, keepdim=True) + 1e-6)
            logits = logits + weight * torch.log(share + 1e-3)
        return logits

    def forward(self, batch: dict) -> torch.Tensor:
        """One joint call on a padded batch (see ``episode.collate``) -> logits (B,Q,K)."""
        per_layer, prototypes = self.encode_context(
            batch["context_x"], batch["context_label"], batch["context_valid"], batch["codes"],
            batch["context_distance"],
        )
        return self.predict_queries(
            batch["query_x"], batch["query_distance"], per_layer, prototypes, batch["codes"],
            batch["context_valid"], batch["class_valid"],
        )
