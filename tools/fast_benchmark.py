"""How long one training step of the fast-style-transfer network takes here: the pilot that sizes its training.

    python tools/fast_benchmark.py [--widths 8 16 32] [--crops 128 192] [--batch 4] [--steps 5]

For each network width, crop size and VGG19 precision ("auto" gives bfloat16 where the hardware
has it, and float32 is always timed too): one compiled step of Adam on the network's weights, with
the series' loss (the article's content layer and five style layers, Gram matrices averaged over
positions, the article's weights) on a batch of random crops of the crab. Prints the median of
``--steps`` steps after two warm-up steps, and what that makes per 1,000 steps. The loss here is a
stand-in for the training's (one style image, no total variation); it costs the same.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nst_plumbing.config import quiet_tensorflow_logs  # noqa: E402


def _train_step(net, vgg, style_grams, optimizer, num_style: int):
    """One compiled Adam step of the network on a batch; returns the loss."""
    import tensorflow as tf

    import nst_helpers as nst

    @tf.function(reduce_retracing=True)
    def step(photos):
        with tf.GradientTape() as tape:
            painted = net(photos, training=True)
            features = vgg(tf.keras.applications.vgg19.preprocess_input(tf.concat([painted, photos], 0)))
            batch = tf.shape(photos)[0]
            style_loss = 0.0
            for feature, target in zip(features[:num_style], style_grams):
                size = tf.cast(tf.shape(feature)[1] * tf.shape(feature)[2], tf.float32)
                grams = tf.einsum("bhwc,bhwd->bcd", feature[:batch], feature[:batch]) / size
                style_loss += tf.reduce_mean(tf.square(grams - target)) / num_style
            content = features[num_style]
            content_loss = tf.reduce_mean(tf.square(content[:batch] - content[batch:]))
            loss = nst.CONTENT_WEIGHT * content_loss + nst.STYLE_WEIGHT * style_loss
        grads = tape.gradient(loss, net.trainable_weights)
        optimizer.apply_gradients(zip(grads, net.trainable_weights))
        return loss

    return step


def time_step(width: int, crop: int, batch: int, precision: str, steps: int) -> float:
    """Median seconds of one training step after two warm-up steps."""
    import keras
    import numpy as np

    import nst_helpers as nst
    from nst_extended.transform_net import NetSpec, build_transform_net

    vgg = nst.get_model(verbose=False, precision=precision)
    style = nst.load_and_process_img(nst.MEDIA_DIR / "great_wave.jpg", max_dim=crop)
    style_grams = [nst.gram_matrix(output[0]) for output in vgg(style)[:len(nst.STYLE_LAYERS)]]
    net = build_transform_net(NetSpec(width=width))
    step = _train_step(net, vgg, style_grams, keras.optimizers.Adam(1e-3), len(nst.STYLE_LAYERS))
    photo = nst.load_img(nst.MEDIA_DIR / "crab.jpg", max_dim=2 * crop)[0]
    rng = np.random.default_rng(0)
    seconds = []
    for index in range(steps + 2):
        tops = rng.integers(0, photo.shape[0] - crop + 1, batch)
        lefts = rng.integers(0, photo.shape[1] - crop + 1, batch)
        crops = np.stack([photo[t:t + crop, left:left + crop] for t, left in zip(tops, lefts)]).astype("float32")
        start = time.perf_counter()
        float(step(crops))
        if index >= 2:
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--crops", type=int, nargs="+", default=[128])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args(argv)
    quiet_tensorflow_logs()
    from nst_extended.precision import preferred_precision
    from nst_plumbing.device import cpu_description

    print(f"CPU: {cpu_description()}; batch {args.batch}, median of {args.steps} steps after 2 warm-up steps")
    for crop in args.crops:
        precisions = sorted({"float32", preferred_precision(crop)})
        for width in args.widths:
            for precision in precisions:
                seconds = time_step(width, crop, args.batch, precision, args.steps)
                print(f"crop {crop:4d} px, width {width:3d}, VGG19 {precision:8s}: {seconds:6.2f} s per step, "
                      f"{seconds * 1000 / 60:5.1f} min per 1,000 steps", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
