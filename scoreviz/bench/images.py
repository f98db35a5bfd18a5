"""Image-mode benchmarks for `scoreviz bench`: training throughput per model size, sampling speed, and
(where the shared MNIST set is present and the run is not quick) the recognisability reached in a short budget.

`image_benchmarks(quick)` returns plain JSON-able numbers. Recognisability is measured with
:mod:`scoreviz.core.digit_classifier`: the fraction of 256 samples (the default sampler and autoguidance) that a small
CNN trained on 8,000 of the images classifies with probability ≥ 0.9, and how many classes they cover.
"""
from __future__ import annotations

import resource
import time

import torch

from scoreviz.core.device import resolve_device
from scoreviz.core.model import count_parameters
from scoreviz.core.recipes.images import (DEFAULT_AUTOGUIDANCE, DEFAULT_SAMPLER, DEFAULT_STEPS, RECIPES,
                                          default_model_size, draw_images, make_image_trainer)
from scoreviz.datasets.locate import find_dataset

__all__ = ["image_benchmarks"]


def bench_data():
    """The shared MNIST images if found (with labels), else random images (throughput only)."""
    folder = find_dataset("mnist")
    if folder is not None:
        from scoreviz.datasets.idx import load_image_dataset

        try:
            data = load_image_dataset(folder, "mnist")
            return data.images, data.labels, str(folder)
        except ValueError:
            pass
    return torch.rand(512, 1, 28, 28), None, "random"


def _throughput(images, size: str, device, steps: int, batch: int | None = None) -> dict:
    trainer = make_image_trainer(images, model_size=size, device=device, batch_size=batch)
    trainer.step()  # warm-up (allocations, cuDNN autotune)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    bs = trainer.config.batch_size
    return {"parameters": count_parameters(trainer.model), "batch_size": bs,
            "images_per_second": round(steps * bs / seconds, 1), "steps_per_second": round(steps / seconds, 3)}


def _sampling_speed(images, device, n: int, steps: int) -> dict:
    trainer = make_image_trainer(images, model_size=default_model_size(device), device=device)
    start = time.perf_counter()
    draw_images(trainer.ema, trainer.process, n, DEFAULT_SAMPLER, steps, seed=0)
    seconds = time.perf_counter() - start
    evals = 2 * steps + 1 if DEFAULT_SAMPLER in ("ode", "pc") else steps + 1   # Heun / predictor + corrector
    return {"sampler": DEFAULT_SAMPLER, "steps": steps, "n": n, "seconds": round(seconds, 2),
            "images_per_second": round(n / seconds, 2), "image_evals_per_second": round(n * evals / seconds, 1)}


def _recognisability(images, labels, device, seconds: float) -> dict:
    from scoreviz.core.digit_classifier import get_classifier, recognisability

    size = default_model_size(device)
    trainer = make_image_trainer(images, model_size=size, device=device)
    trainer.train(seconds=seconds)   # the recipe keeps the autoguidance model (TrainConfig.guide_fraction)
    samples = draw_images(trainer.ema, trainer.process, 256, DEFAULT_SAMPLER, DEFAULT_STEPS, seed=1,
                          guide=trainer.guide, autoguidance=DEFAULT_AUTOGUIDANCE).cpu()
    classifier, accuracy = get_classifier(images, labels)
    report = recognisability(classifier, samples).as_dict()
    report.update({"model_size": size, "train_seconds": seconds, "train_steps": trainer.step_count,
                   "sampler": f"{DEFAULT_SAMPLER} {DEFAULT_STEPS} steps, autoguidance {DEFAULT_AUTOGUIDANCE}",
                   "classifier_accuracy": round(accuracy, 4)})
    return report


def image_benchmarks(quick: bool) -> dict:
    """Figures of the image mode on this machine's default device (see the module docstring)."""
    device = resolve_device("auto")
    images, labels, source = bench_data()
    results: dict = {"device": str(device), "threads": torch.get_num_threads(), "data": source, "train": {}}
    for size in ("cpu", "unet", "gpu"):
        if device.type == "cpu" and size == "gpu":
            # ~7 M parameters on a CPU: two steps of 32 give the order of magnitude
            results["train"][size] = _throughput(images, size, device, steps=1 if quick else 2, batch=32)
        else:
            results["train"][size] = _throughput(images, size, device, steps=3 if quick else 20)
    results["sampling"] = _sampling_speed(images, device, n=16 if quick else 64, steps=5 if quick else DEFAULT_STEPS)
    if not quick and labels is not None:
        budget = 120.0
        results["recognisability"] = _recognisability(images, labels, device, budget)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["recipes"] = {name: {"batch_size": r.batch_size, "lr": r.lr, "ema_decay": r.ema_decay}
                          for name, r in RECIPES.items() if name != "tiny"}
    return results
