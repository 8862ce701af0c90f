"""Tests of the compiled IB iteration: alternation, signs of the MI terms, no retracing."""

import numpy as np
import pytest
import tensorflow as tf

from infodl.training.ib_blocks import split_blocks
from infodl.training.ib_settings import IBLossWeights
from tests.training.ib_problems import blobs, make_critics, make_ib_trainer, make_loop, tiny_model


def _loop(block_index=1, input_weight=0.5, seed=0, **kwargs):
    model = tiny_model(seed)
    stem, blocks, _ = split_blocks(model)
    inputs, labels = blobs()
    below = inputs
    for block in [stem] + blocks[:block_index]:
        below = np.asarray(block(below))
    block = blocks[block_index]
    critics = make_critics(int(block(below[:2]).shape[-1]), 3, hidden_units=(8,), seed=seed)
    loop = make_loop(block, block.trainable_variables, critics, below, labels, 3,
                           batch_size=16, critic_steps=2, label_weight=1.0,
                           input_weight=input_weight, seed=seed, **kwargs)
    return model, blocks, critics, loop


def _values(variables):
    return [np.array(v.numpy()) for v in variables]


def _changed(before, variables):
    return [not np.array_equal(b, v.numpy()) for b, v in zip(before, variables, strict=True)]


def test_critic_steps_change_only_the_critics_and_network_steps_only_layer_i():
    model, blocks, critics, loop = _loop(block_index=1)
    layer, frozen = blocks[1].trainable_variables, blocks[0].trainable_variables
    head = model.get_layer("logits").trainable_variables
    before = [_values(group) for group in (critics.trainable_variables, layer, frozen, head)]

    tf.function(loop.critic_step)()
    # every kernel moves; the output biases need not (DV is invariant to D + c)
    variables = critics.trainable_variables
    kernels = [changed for changed, v in zip(_changed(before[0], variables), variables,
                                             strict=True) if "kernel" in v.path]
    assert len(kernels) == 4 and all(kernels)
    for group, old in zip((layer, frozen, head), before[1:], strict=True):
        assert not any(_changed(old, group))

    critic_now = _values(critics.trainable_variables)
    tf.function(loop.network_step)()
    assert not any(_changed(critic_now, critics.trainable_variables))
    assert all(_changed(before[1], layer))
    assert not any(_changed(before[2], frozen)) and not any(_changed(before[3], head))


def test_run_changes_critics_and_layer_never_frozen_layers_in_one_trace():
    model, blocks, critics, loop = _loop(block_index=1)
    frozen = _values(blocks[0].trainable_variables)
    loop.run(tf.constant(3))
    assert not any(_changed(frozen, blocks[0].trainable_variables))
    assert int(loop.optimizer.iterations.numpy()) == 3            # 3 layer steps
    assert int(critics.optimizer.iterations.numpy()) == 3 * 2     # k = 2 per iteration
    for count in (1, 4):
        loop.run(tf.constant(count))
    loop.pretrain(tf.constant(3))
    loop.pretrain(tf.constant(5))
    assert int(critics.optimizer.iterations.numpy()) == 8 * 2 + 8
    assert loop.run.experimental_get_tracing_count() == 1       # no retracing
    assert loop.pretrain.experimental_get_tracing_count() == 1


def test_network_loss_signs_layerwise_and_end_to_end():
    _, _, critics, loop = _loop(block_index=1, input_weight=0.25)
    rng = np.random.default_rng(1)
    labels = tf.constant(rng.integers(0, 3, 16))
    features = tf.constant(rng.normal(size=(16, 3)).astype("float32"))
    marginal = tf.constant(rng.normal(size=(16, 3)).astype("float32"))
    noise = tf.constant(rng.normal(size=(16, 3)).astype("float32"))
    marginal_noise = tf.constant(rng.normal(size=(16, 3)).astype("float32"))
    i_y, i_x = critics.bounds(tf.one_hot(labels, 3), features, marginal, noise, marginal_noise)
    loss, ce, got_y, got_x = loop.network_loss(labels, features, marginal, noise,
                                               marginal_noise)
    np.testing.assert_allclose(float(loss), -float(i_y) + 0.25 * float(i_x), rtol=1e-6)
    assert float(ce) == 0.0  # layer-wise: no cross-entropy
    # end-to-end, P3 eq. 8: alpha CE - beta I(Y; Y_hat) + gamma I(X; Y_hat + eps)
    loop.weights = IBLossWeights(ce=2.0, label=0.5, input=0.1)
    loss, ce, _, _ = loop.network_loss(labels, features, marginal, noise, marginal_noise)
    logits = features.numpy()
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected_ce = -np.mean(log_softmax[np.arange(16), labels.numpy()])
    np.testing.assert_allclose(float(ce), expected_ce, rtol=1e-5)
    np.testing.assert_allclose(float(loss), 2.0 * expected_ce - 0.5 * float(i_y)
                               + 0.1 * float(i_x), rtol=1e-5)


def test_network_step_ascends_the_ib_functional():
    """The step moves the block along +grad(I_y - beta I_x), the negative of its loss:
    on the same batch and noise (the generator state replayed), the functional the step
    reports is larger after the step than before it."""
    _, blocks, _, loop = _loop(block_index=0, input_weight=0.5)
    variables = blocks[0].trainable_variables
    step = tf.function(loop.network_step)
    state = loop.generator.state.numpy().copy()
    before = _values(variables)
    loop.optimizer.learning_rate.assign(1e-4)
    loss, _, i_y, i_x = [float(v) for v in step()]  # measured before the update
    assert loss == pytest.approx(-i_y + 0.5 * i_x, rel=1e-5, abs=1e-6)
    assert any(_changed(before, variables))
    loop.generator.state.assign(state)  # the same batch and noise again
    loop.optimizer.learning_rate.assign(0.0)
    after, _, i_y_after, i_x_after = [float(v) for v in step()]
    assert after < loss and i_y_after - 0.5 * i_x_after > i_y - 0.5 * i_x


def test_shared_feature_table_gives_the_same_critic_step():
    results = []
    for share in (True, False):
        _, _, critics, loop = _loop(share_features=share)
        values = loop.run(tf.constant(2)).numpy()
        results.append((values, _values(critics.trainable_variables)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    for first, second in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)


def test_cross_entropy_only_needs_no_critics_and_rejects_mi_weights_without_them():
    model = tiny_model()
    inputs, labels = blobs()
    loop = make_loop(lambda x, training: model(x, training=training),
                           model.trainable_variables, None, inputs, labels, 3,
                           batch_size=32, ce_weight=1.0, label_weight=0.0, input_weight=0.0)
    first = loop.run(tf.constant(5)).numpy()
    later = loop.run(tf.constant(200)).numpy()
    assert later[1] < first[1]  # cross-entropy falls
    with pytest.raises(ValueError, match="Expected critics"):
        make_loop(model, model.trainable_variables, None, inputs, labels, 3)


def test_a_stop_request_ends_a_stretch_and_splitting_matches_one_stretch():
    # Two loops with the same seed: one runs 6 iterations at once, the other is stopped
    # (as SIGINT does, issue 18) and then resumed for the rest: same weights at the end.
    _, blocks, _, whole = _loop(seed=3)
    _, other_blocks, _, split = _loop(seed=3)
    whole.run(tf.constant(6))
    assert int(whole.completed.numpy()) == 6
    split.run(tf.constant(2))
    split.request_stop()
    before = _values(other_blocks[1].trainable_variables)
    means = split.run(tf.constant(4)).numpy()
    assert int(split.completed.numpy()) == 0 and np.all(means == 0)
    assert not any(_changed(before, other_blocks[1].trainable_variables))
    assert int(split.pretrain(tf.constant(3)).shape[0]) == 2
    assert int(split.completed.numpy()) == 0
    split.stop_flag.assign(False)  # the resumed run
    split.run(tf.constant(4))
    assert int(split.completed.numpy()) == 4
    pairs = zip(blocks[1].trainable_variables, other_blocks[1].trainable_variables, strict=True)
    for a, b in pairs:
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_gradient_norms_match_numpy_and_separate_tapes():
    """alpha |grad CE| against the closed form of a linear logits layer (NumPy); the MI
    terms against one GradientTape per term; the training stream is not touched."""
    _, blocks, _, loop = _loop(block_index=1, input_weight=0.25)
    loop.weights = IBLossWeights(ce=0.5, label=2.0, input=0.25)
    state = loop.generator.state.numpy().copy()
    norms = loop.gradient_norms()
    np.testing.assert_array_equal(loop.generator.state.numpy(), state)
    joint, marginal, labels = loop.probe_batch()
    assert np.array_equal(labels.numpy(), loop.labels.numpy()[:16])
    # CE of the linear block `features` (logits = x W + b): grad W = x^T (p - y) / n.
    kernel, bias = (v.numpy().astype("float64") for v in loop.network_variables)
    x = joint.numpy().astype("float64")
    logits = x @ kernel + bias
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    residual = (p - np.eye(3)[labels.numpy()]) / len(x)
    expected_ce = 0.5 * np.sqrt(np.sum((x.T @ residual) ** 2) + np.sum(residual.sum(0) ** 2))
    np.testing.assert_allclose(norms[0], expected_ce, rtol=1e-4)
    # the MI terms, each with a tape of its own
    for column, weight, pick in ((1, 2.0, 2), (2, 0.25, 3)):
        with tf.GradientTape() as tape:
            features = blocks[1](joint, training=False)
            marginal_features = blocks[1](marginal, training=False)
            noise, marginal_noise = loop.probe_noise(features)
            term = loop.network_loss(labels, features, marginal_features, noise,
                                     marginal_noise)[pick]
        gradients = tape.gradient(term, loop.network_variables)
        expected = weight * np.sqrt(sum(np.sum(g.numpy().astype("float64") ** 2)
                                        for g in gradients))
        np.testing.assert_allclose(norms[column], expected, rtol=1e-4)
    assert norms[1] > 0 and norms[2] > 0
    # the same probe, the same values (a resumed run measures what it would have)
    np.testing.assert_allclose(loop.gradient_norms(), norms, rtol=1e-6)


def test_pretraining_draws_batches_of_its_own_size_and_the_iterations_keep_theirs():
    """`pretrain_batch_size` (the trainers' `critic_pretrain_batch_size`): the critic
    steps of `pretrain` see that many pairs, those of `run` the network's batch; None
    keeps batch_size and the same random stream."""
    from infodl.experiments.ib.layerwise_config import IBLayerwiseConfig
    from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer

    def batch_rows(loop, critics):
        seen, step = [], critics.critic_step

        def recording(labels, features, *rest):
            seen.append(int(features.shape[0]))  # static at trace time
            return step(labels, features, *rest)
        critics.critic_step = recording
        return seen

    _, _, critics, loop = _loop(pretrain_batch_size=24, share_features=False)
    seen = batch_rows(loop, critics)
    loop.pretrain(tf.constant(3))
    loop.run(tf.constant(1))
    assert seen == [24, 16]  # one trace each
    means = {}
    for size in (None, 16):
        _, _, critics, loop = _loop(pretrain_batch_size=size, seed=3)
        means[size] = loop.pretrain(tf.constant(3)).numpy()
        assert loop.pretrain_batch_size == 16
    np.testing.assert_array_equal(means[None], means[16])
    with pytest.raises(ValueError, match=r"Expected critic_pretrain_batch_size >= 2"):
        _loop(pretrain_batch_size=1)
    settings = IBLayerwiseConfig(critic_pretrain_batch_size=512).trainer_settings()
    assert settings.critic_pretrain_batch_size == 512
    with pytest.raises(ValueError, match=r"Expected critic_pretrain_batch_size >= 2"):
        make_ib_trainer(LayerwiseIBTrainer, tiny_model(0), 3, critic_pretrain_batch_size=0)


def test_pretraining_keeps_the_moving_average_of_the_critic_weights():
    """`pretrain_average_decay` d: after each critic step of `pretrain` the average is
    d * average + (1 - d) * weights (recomputed in NumPy from the weights after every
    step); `run` leaves it alone; swap_average exchanges weights and average and back;
    d = 0 keeps no average."""
    decay = 0.75
    _, _, critics, loop = _loop(pretrain_average_decay=decay)
    expected = _values(critics.trainable_variables)  # start_average: the initial weights
    for _ in range(4):
        loop.pretrain(tf.constant(1))
        expected = [decay * a + (1 - decay) * w
                    for a, w in zip(expected, _values(critics.trainable_variables), strict=True)]
    average = _values(critics.averaged_variables)
    for got, want in zip(average, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    weights = _values(critics.trainable_variables)
    assert not all(np.array_equal(a, w) for a, w in zip(average, weights, strict=True))
    loop.run(tf.constant(1))
    for got, want in zip(_values(critics.averaged_variables), average, strict=True):
        np.testing.assert_array_equal(got, want)
    weights = _values(critics.trainable_variables)
    critics.swap_average()
    for got, want in zip(_values(critics.trainable_variables), average, strict=True):
        np.testing.assert_array_equal(got, want)
    critics.swap_average()
    for got, want in zip(_values(critics.trainable_variables), weights, strict=True):
        np.testing.assert_array_equal(got, want)
    critics.load_average()
    for got, want in zip(_values(critics.trainable_variables), average, strict=True):
        np.testing.assert_array_equal(got, want)
    _, _, plain, _ = _loop(pretrain_average_decay=0.0)
    assert not hasattr(plain, "averaged_variables")
    with pytest.raises(ValueError, match=r"critic_pretrain_average"):
        _loop(pretrain_average_decay=1.0)


@pytest.mark.parametrize("input_batch, label_batch, expected", [
    (24, 8, (24, 8, None)),  # one draw of 24: D_y on its first 8 rows
    (8, 24, (24, None, 8)),  # one draw of 24: D_x on its first 8 rows
    (24, None, (24, None, None)),  # None: D_y takes the critics' pretraining batch
])
def test_pretraining_gives_each_critic_its_batch_from_one_draw(input_batch, label_batch,
                                                                expected):
    _, _, critics, loop = _loop(pretrain_batch_size=input_batch,
                                pretrain_label_batch_size=label_batch, share_features=False)
    seen, step = [], critics.critic_step

    def recording(labels, features, marginal, noise, marginal_noise, label_rows=None,
                  input_rows=None):
        seen.append((int(features.shape[0]), label_rows, input_rows))
        return step(labels, features, marginal, noise, marginal_noise, label_rows, input_rows)
    critics.critic_step = recording
    loop.pretrain(tf.constant(2))
    loop.run(tf.constant(1))
    assert seen == [expected, (16, None, None)]  # the IB iterations keep batch_size


def test_trainer_pretrains_dx_at_2048_and_dy_at_the_network_batch_by_default():
    """The trainers' defaults (docs/ib_training.md): D_x at 2048 pairs, D_y at the
    network's batch, averaged weights (decay 0.99); None and 0 give the pretraining of
    before (both critics at the network's batch, the last weights)."""
    from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer

    def pretrain_loop_settings(trainer):  # what the trainer's loops read
        settings = trainer.settings
        return {"pretrain_batch_size": settings.pretrain_batch_size,
                "pretrain_label_batch_size": settings.pretrain_label_batch_size,
                "pretrain_average_decay": settings.critic_pretrain_average}

    trainer = make_ib_trainer(LayerwiseIBTrainer, tiny_model(0), 3, batch_size=16)
    assert pretrain_loop_settings(trainer) == {
        "pretrain_batch_size": 2048, "pretrain_label_batch_size": 16,
        "pretrain_average_decay": 0.99}
    before = make_ib_trainer(LayerwiseIBTrainer, tiny_model(0), 3, batch_size=16,
                             critic_pretrain_batch_size=None, critic_pretrain_average=0)
    assert pretrain_loop_settings(before) == {
        "pretrain_batch_size": 16, "pretrain_label_batch_size": 16,
        "pretrain_average_decay": 0.0}


@pytest.mark.parametrize("setting, value, message", [
    ("critic_pretrain_label_batch_size", 1, r"Expected critic_pretrain_label_batch_size >= 2"),
    ("critic_pretrain_average", 1.0, r"Expected 0 <= critic_pretrain_average < 1"),
    ("critic_pretrain_average", -0.5, r"Expected 0 <= critic_pretrain_average < 1"),
])
def test_bad_pretraining_settings_are_one_line_errors(setting, value, message):
    from infodl.training.ib_layerwise_trainer import LayerwiseIBTrainer

    with pytest.raises(ValueError, match=message) as error:
        make_ib_trainer(LayerwiseIBTrainer, tiny_model(0), 3, **{setting: value})
    assert "\n" not in str(error.value)
