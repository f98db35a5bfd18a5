"""The command line with the solvers in σ̃: `scoreviz sample --sampler heun … --nfe N` reports the NFE it spends,
and `scoreviz eval --nfe-sweep` gives a row per sampler and budget (core.nfe_sweep). A tiny checkpoint each
(a few training steps): these test the plumbing, not the quality."""
import json

import numpy as np
import pytest

from scoreviz.cli import main


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """{"vp": …, "ve": …}: NCSN's mixture (its mode weights are known), trained for 20 steps on each process."""
    folder = tmp_path_factory.mktemp("ckpt")
    paths = {}
    for process in ("vp", "ve"):
        paths[process] = folder / f"{process}.ckpt"
        assert main(["train", "--data", "ncsn", "--out", str(paths[process]), "--steps", "20", "--quiet",
                     "--process", process, "--model", "small"]) == 0
    return paths


@pytest.mark.parametrize("sampler, nfe, used", [("heun", 21, 21), ("heun", 20, 19), ("dpmpp2m", 10, 10),
                                                ("dpmpp_sde", 12, 12), ("ddim", 8, 8), ("euler", 5, 5),
                                                ("euler_a", 7, 7)])
def test_sample_with_each_new_sampler_reports_the_nfe_it_spends(checkpoints, tmp_path, capsys, sampler, nfe, used):
    out = tmp_path / "s.npy"
    assert main(["sample", "--checkpoint", str(checkpoints["vp"]), "--n", "40", "--out", str(out),
                 "--sampler", sampler, "--nfe", str(nfe)]) == 0
    assert f"({sampler}, {used} network evaluations)" in capsys.readouterr().err
    samples = np.load(out)
    assert samples.shape == (40, 2) and np.isfinite(samples).all()


def test_ddim_on_a_ve_checkpoint_is_a_user_error_naming_both(checkpoints, tmp_path, capsys):
    assert main(["sample", "--checkpoint", str(checkpoints["ve"]), "--n", "5", "--out", str(tmp_path / "s.npy"),
                 "--sampler", "ddim", "--nfe", "5"]) == 2
    err = capsys.readouterr().err
    assert "DDIM needs" in err and "not ve" in err
    assert main(["eval", "--checkpoint", str(checkpoints["ve"]), "--n", "50", "--nfe-sweep", "5",
                 "--sampler", "heun,ddim"]) == 2
    err = capsys.readouterr().err
    assert "DDIM needs" in err and "not ve" in err and "Traceback" not in err


def test_eval_nfe_sweep_gives_a_row_per_sampler_and_budget(checkpoints, capsys):
    assert main(["eval", "--checkpoint", str(checkpoints["vp"]), "--n", "200", "--nfe-sweep", "10,20",
                 "--sampler", "heun,dpmpp2m,em", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["data"] == "ncsn" and report["process"] == "vp" and report["n"] == 200
    rows = report["rows"]
    assert [(r["sampler"], r["nfe_requested"], r["nfe_used"]) for r in rows] == [
        ("heun", 10, 9), ("heun", 20, 19), ("dpmpp2m", 10, 10), ("dpmpp2m", 20, 20), ("em", 10, 10), ("em", 20, 20)]
    for row in rows:
        assert row["sliced_wasserstein"] > 0 and row["sw_floor"] > 0
        assert row["sw_ratio"] == pytest.approx(row["sliced_wasserstein"] / row["sw_floor"])
        assert len(row["mode_weights"]) == 2 and row["true_weights"] == pytest.approx([0.8, 0.2])
    # the readable table, the default samplers
    assert main(["eval", "--checkpoint", str(checkpoints["vp"]), "--n", "100", "--nfe-sweep", "6"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ("heun", "dpmpp2m", "em")) and "× floor" in text and "true weights" in text


def test_several_samplers_without_a_sweep_exit_2_with_one_line(checkpoints, capsys):
    assert main(["eval", "--checkpoint", str(checkpoints["vp"]), "--n", "20", "--sampler", "heun,em"]) == 2
    err = capsys.readouterr().err
    assert "--nfe-sweep" in err and "Traceback" not in err


@pytest.mark.parametrize("extra, message", [
    (["--nfe-sweep", "10", "--nfe", "10"], "not allowed with"),    # one length at a time
    (["--nfe-sweep", "10,x"], "argument --nfe-sweep"),
    (["--nfe-sweep", "0,10"], "at least 1"),
    (["--sampler", "heun,leapfrog", "--nfe-sweep", "5"], "'leapfrog': choose from"),
])
def test_eval_sweep_arguments_are_checked_by_the_parser(checkpoints, capsys, extra, message):
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "--checkpoint", str(checkpoints["vp"]), "--n", "20", *extra])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_the_samplers_bench_group_reports_every_sampler(monkeypatch):
    """`scoreviz bench --only samplers` at a toy size: every sampler and budget has its row."""
    import torch

    from scoreviz.bench import run, samplers as bench

    # the bench sets torch's threads for the whole process: keep the test session's
    monkeypatch.setattr(run, "configure_cpu_threads", lambda reserve_gui: torch.get_num_threads())

    for name, value in (("QUICK_SAMPLES", 200), ("QUICK_BUDGETS", (10,)), ("QUICK_WEIGHT_BUDGETS", (20,)),
                        ("QUICK_TRAIN_STEPS", 5), ("REFERENCE_NFE", 21)):
        monkeypatch.setattr(bench, name, value)
    out = run.run_benchmarks(quick=True, only=["samplers"], verbose=False)["samplers"]
    assert out["preset"] == bench.PRESET and out["n"] == 200
    assert [(r["sampler"], r["nfe_used"]) for r in out["reference"]] == [("em", 21)]
    assert [(r["sampler"], r["process"]) for r in out["exact"]] == [*((s, "ve") for s in bench.ON_VE),
                                                                     *((s, "vp") for s in bench.ON_VP)]
    assert [r["sampler"] for r in out["ncsn_weights"]] == list(bench.WEIGHT_SAMPLERS)
    assert all(len(r["mode_weights"]) == 2 for r in out["ncsn_weights"])
    assert out["learned_steps"] == 5 and [r["sampler"] for r in out["learned"]] == ["em", *bench.ON_VE]
