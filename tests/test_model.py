import torch

from pfn_core.episode import collate, label_codes
from pfn_core.model import ClusteringTransformer, DistanceBiasedAttention, ModelConfig

TINY = ModelConfig(input_dim=4, embed_dim=16, num_heads=2, num_layers=2, ff_dim=32)


def random_episode(generator, m=12, q=9, k=3):
    return {
        "context_x": torch.randn(m, 4, generator=generator),
        "context_label": torch.cat([torch.arange(k), torch.full((m - k,), -1)]),
        "context_distance": torch.rand(m, m, 2, generator=generator) * 5,
        "query_x": torch.randn(q, 4, generator=generator),
        "query_distance": torch.rand(q, m, 2, generator=generator) * 5,
        "query_target": torch.randint(0, k, (q,), generator=generator),
        "codes": label_codes(k, 16, generator),
    }


def test__forward__returns_one_logit_per_query_and_class_with_padding_masked():
    g = torch.Generator().manual_seed(0)
    batch = collate([random_episode(g, m=12, q=9, k=3), random_episode(g, m=7, q=5, k=2)])
    logits = ClusteringTransformer(TINY)(batch)
    assert logits.shape == (2, 9, 3)
    assert torch.isinf(logits[1, :, 2]).all() and torch.isfinite(logits[0]).all()


def test__one_query__is_unaffected_by_the_other_queries():
    g = torch.Generator().manual_seed(1)
    model = ClusteringTransformer(TINY).eval()
    batch = collate([random_episode(g)])
    alone = {**batch, "query_x": batch["query_x"][:, :1],
             "query_distance": batch["query_distance"][:, :1]}
    torch.testing.assert_close(model(batch)[:, :1], model(alone))


def test__encoding_the_context_once_and_predicting_later__matches_one_joint_call():
    g = torch.Generator().manual_seed(2)
    model = ClusteringTransformer(TINY).eval()
    batch = collate([random_episode(g)])
    per_layer, prototypes = model.encode_context(
        batch["context_x"], batch["context_label"], batch["context_valid"], batch["codes"],
        batch["context_distance"],
    )
    chunks = [
        model.predict_queries(batch["query_x"][:, s], batch["query_distance"][:, s], per_layer,
                              prototypes, batch["codes"], batch["context_valid"],
                              batch["class_valid"])
        for s in (slice(0, 4), slice(4, None))
    ]
    torch.testing.assert_close(torch.cat(chunks, 1), model(batch))


def test__shuffling_the_context__does_not_change_predictions():
    g = torch.Generator().manual_seed(3)
    model = ClusteringTransformer(TINY).eval()
    batch = collate([random_episode(g)])
    perm = torch.randperm(12, generator=g)
    shuffled = {
        **batch,
        "context_x": batch["context_x"][:, perm],
        "context_label": batch["context_label"][:, perm],
        "context_distance": batch["context_distance"][:, perm][:, :, perm],
        "query_distance": batch["query_distance"][:, :, perm],
    }
    torch.testing.assert_close(model(batch), model(shuffled), atol=1e-5, rtol=1e-5)


def test__permuting_the_label_codes__permutes_the_logits():
    g = torch.Generator().manual_seed(4)
    model = ClusteringTransformer(TINY).eval()
    batch = collate([random_episode(g)])
    perm = torch.tensor([2, 0, 1])
    inverse = torch.argsort(perm)
    renamed = {**batch, "codes": batch["codes"][:, perm],
               "context_label": torch.where(batch["context_label"] >= 0,
                                            inverse[batch["context_label"].clamp(min=0)], -1)}
    torch.testing.assert_close(model(renamed), model(batch)[:, :, perm], atol=1e-5, rtol=1e-5)


def test__a_head_with_path_sharpness__prefers_tokens_that_are_near_along_paths():
    attention = DistanceBiasedAttention(embed_dim=8, num_heads=1)
    with torch.no_grad():
        attention.query_projection.weight.zero_()  # content term 0: only distances count
        attention.raw_sharpness.fill_(5.0)
        attention.raw_straight_sharpness.fill_(-20.0)
    # Token 0 is near in a straight line but far along the data; token 1 the opposite.
    distance = torch.tensor([[[[0.1, 9.0], [4.0, 0.2]]]])  # (B=1, Q=1, M=2, 2)
    _, weights = attention(torch.randn(1, 1, 8), torch.randn(1, 2, 8), distance)
    assert weights[0, 0, 0, 1] > 0.99
