"""The command line that explains itself: help and defaults for every option, examples per command,
`scoreviz info`, `scoreviz download` (against a server on 127.0.0.1), the exit status rule, -v, --debug and
the log file."""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging

import numpy as np
import pytest

from local_server import bypass_proxies, idx_gz, serve
from scoreviz import cli, cli_support
from scoreviz.commands import download as download_command
from scoreviz.datasets.download import FASHION_MNIST_FILES, MNIST_FILES

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


@pytest.fixture(autouse=True)
def user_folders(tmp_path, monkeypatch):
    """The user's cache and log folders (platformdirs reads XDG_* at each call) → tmp_path; no proxies."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    bypass_proxies(monkeypatch)
    yield tmp_path
    logger = logging.getLogger("scoreviz")
    for handler in list(logger.handlers):           # the file handler points into tmp_path
        logger.removeHandler(handler)
        handler.close()


def _commands():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, sub.choices


# --- help ---------------------------------------------------------------------------------------------------

def test_every_option_of_every_command_has_help_and_shows_its_default():
    _, commands = _commands()
    for name, parser in commands.items():
        if name == "gui":
            continue
        formatter = cli_support.HelpFormatter(prog=name)
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            label = f"{name} {'/'.join(action.option_strings) or action.dest}"
            assert action.help, f"{label} has no help text"
            real_default = not (action.default is None or action.default is False
                                or action.default == argparse.SUPPRESS or isinstance(action, argparse._CountAction))
            if real_default:
                assert "default" in formatter._get_help_string(action), f"{label} does not show its default"


def test_every_command_has_examples_and_the_formatter_keeps_them():
    _, commands = _commands()
    for name, parser in commands.items():
        assert parser.epilog and "example" in parser.epilog, name
        assert parser.formatter_class is cli_support.HelpFormatter
    text = commands["train"].format_help()
    assert "scoreviz train --data moons --out moons.ckpt" in text
    assert "(default: ve)" in text and "(default: auto)" in text


def test_download_help(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["download", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "mnist" in text and "fashion-mnist" in text and "--dir" in text and "examples:" in text
    assert "(default: 30.0)" in text and "dataset-fashion-mnist" in text


# --- info ---------------------------------------------------------------------------------------------------

def test_info_text_and_json(capsys, user_folders):
    import torch

    import scoreviz

    assert cli.main(["info"]) == 0
    text = capsys.readouterr().out
    assert f"scoreviz    {scoreviz.__version__}" in text and torch.__version__ in text
    for word in ("CUDA", "MPS", "NumPy", "PySide6", "pyqtgraph", "devices: cpu", "log file", "classifier weights"):
        assert word in text, word
    assert str(user_folders / "cache" / "scoreviz" / "mnist") in text   # platformdirs, XDG_CACHE_HOME honoured
    assert str(user_folders / "state" / "scoreviz" / "log" / "scoreviz.log") in text
    assert cli.main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["versions"]["torch"].startswith(torch.__version__)
    assert "cpu" in report["devices"]["available"]
    assert any(f["downloads_go_here"] for f in report["data"]["fashion-mnist"])


# --- download -----------------------------------------------------------------------------------------------

@pytest.fixture
def site(tmp_path):
    """/good/ holds two small gzipped IDX files; yields (base URL, {name: md5})."""
    rng = np.random.default_rng(0)
    contents = {NAMES[0]: idx_gz(rng.integers(0, 256, size=(20, 28, 28))), NAMES[1]: idx_gz(rng.integers(0, 10, 20))}
    (tmp_path / "www" / "good").mkdir(parents=True)
    for name, data in contents.items():
        (tmp_path / "www" / "good" / name).write_bytes(data)
    with serve(tmp_path / "www") as base:
        yield base, {name: hashlib.md5(data).hexdigest() for name, data in contents.items()}


def _local_source(monkeypatch, key, files):
    """The data set `key` with the test's files and no built-in mirrors (never the internet)."""
    source = dataclasses.replace(download_command.DATASETS[key], files=files, mirrors=())
    monkeypatch.setitem(download_command.DATASETS, key, source)


def test_download_with_progress_into_the_folder_scoreviz_looks_in(site, monkeypatch, capsys, user_folders):
    from scoreviz.datasets.locate import find_dataset

    base, md5s = site
    _local_source(monkeypatch, "fashion-mnist", md5s)
    assert cli.main(["download", "fashion-mnist", "--mirror", base + "good/"]) == 0
    dest = user_folders / "cache" / "scoreviz" / "fashion-mnist"
    assert sorted(p.name for p in dest.iterdir()) == sorted(NAMES)
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in err and "100%" in err          # tqdm's bar, per file
    assert "checksums verified" in err
    assert find_dataset("fashion") == dest
    # again: the files are there and verified, nothing is fetched
    assert cli.main(["download", "fashion-mnist", "--mirror", "http://127.0.0.1:9/nothing/", "--quiet"]) == 0


def test_download_to_a_folder_of_ones_choice(site, monkeypatch, capsys, tmp_path):
    base, md5s = site
    _local_source(monkeypatch, "mnist", md5s)
    dest = tmp_path / "mine"
    assert cli.main(["download", "mnist", "--dir", str(dest), "--mirror", base + "good/", "--quiet"]) == 0
    assert (dest / NAMES[0]).is_file()
    assert f"--data mnist:{dest}" in capsys.readouterr().err


def test_download_checksum_mismatch_is_a_runtime_failure(site, monkeypatch, capsys, tmp_path):
    base, md5s = site
    _local_source(monkeypatch, "mnist", {NAMES[0]: "0" * 32})
    code = cli.main(["download", "mnist", "--dir", str(tmp_path / "d"), "--mirror", base + "good/", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "checksum mismatch" in err and "Traceback" not in err and "internal" not in err
    assert not any((tmp_path / "d").iterdir())          # no unverified file left behind


def test_the_published_checksums():
    assert set(MNIST_FILES) == set(FASHION_MNIST_FILES)
    assert FASHION_MNIST_FILES["train-images-idx3-ubyte.gz"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert FASHION_MNIST_FILES["t10k-labels-idx1-ubyte.gz"] == "bb300cfdad3c16e7a12a480ee83cd310"
    assert download_command.DATASETS["fashion-mnist"].files == dict(FASHION_MNIST_FILES)


# --- exit status, --debug, -v, the log file -----------------------------------------------------------------

def _presets_does(monkeypatch, action):
    import scoreviz.commands

    monkeypatch.setattr(scoreviz.commands, "presets", action)


def test_a_usage_error_is_2():
    with pytest.raises(SystemExit) as stop:
        cli.main(["train", "--data", "moons"])       # --out missing
    assert stop.value.code == 2


def test_a_user_error_is_2_in_one_line(capsys, tmp_path):
    code = cli.main(["sample", "--checkpoint", str(tmp_path / "missing.ckpt"), "--out", str(tmp_path / "x.npy")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("scoreviz sample: error:") and "missing.ckpt" in err


def test_a_valueerror_of_scoreviz_is_the_users_one_from_a_library_is_a_bug(monkeypatch, capsys):
    from scoreviz.core.device import resolve_device

    _presets_does(monkeypatch, lambda args: resolve_device("abacus"))
    assert cli.main(["presets"]) == 2
    assert "unknown device 'abacus'" in capsys.readouterr().err

    _presets_does(monkeypatch, lambda args: np.zeros(3).reshape(2, 2))
    assert cli.main(["presets"]) == 1
    err = capsys.readouterr().err
    assert "internal error: ValueError" in err and "--debug" in err


def test_an_internal_error_is_1_with_a_hint_and_debug_shows_the_traceback(monkeypatch, capsys, user_folders):
    def broken(args):
        raise RuntimeError("boom")

    _presets_does(monkeypatch, broken)
    assert cli.main(["presets"]) == 1
    err = capsys.readouterr().err
    assert "scoreviz presets: internal error: RuntimeError: boom" in err
    assert "--debug" in err and "Traceback" not in err and len(err.splitlines()) == 2
    log_text = (user_folders / "state" / "scoreviz" / "log" / "scoreviz.log").read_text()
    assert "Traceback" in log_text and "boom" in log_text and "scoreviz presets" in log_text
    for argv in (["--debug", "presets"], ["presets", "--debug"]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback" in err and "RuntimeError: boom" in err


def test_a_runtime_failure_is_1_without_the_bug_hint(monkeypatch, capsys):
    def full(args):
        raise OSError(28, "No space left on device")

    _presets_does(monkeypatch, full)
    assert cli.main(["presets"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "internal" not in err


def test_verbose_logs_to_stderr(monkeypatch, capsys):
    _presets_does(monkeypatch, lambda args: logging.getLogger("scoreviz.commands.test").info("hello from -v"))
    assert cli.main(["presets"]) == 0
    assert "hello from -v" not in capsys.readouterr().err
    for argv in (["-v", "presets"], ["presets", "-v"]):
        assert cli.main(argv) == 0
        assert "hello from -v" in capsys.readouterr().err
