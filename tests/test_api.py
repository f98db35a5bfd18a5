"""The Python API (`import scoreviz as sv`): light to import, complete, and the README's example runs.

The example run is README.md's ```python block under "## Python API" when there is one (so the README cannot
drift from the code), else the copy below (the same text, until the README has it).
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

EXAMPLE = '''\
import scoreviz as sv

data = sv.make_preset("8gaussians")                  # training and held-out points, (N, 2)
trainer = sv.make_trainer(data.train, "ve", device="cpu", steps=600)
trainer.train()                                      # 600 steps: a few seconds on a laptop CPU
samples = sv.draw_samples(trainer.ema, trainer.process, 2000, seed=0)
report = sv.quality_report(samples, data)
print(f"sliced Wasserstein ratio {report['sw_ratio']:.2f} (1 = as close as the data's own held-out set)")
analysis = sv.analyse_schedule(trainer.process, points=data, training_noise=trainer.noise)
print("\\n".join(analysis.summary()))
'''

API = {"make_preset", "load_data", "make_trainer", "draw_samples", "load_checkpoint", "quality_report",
       "analyse_schedule", "make_process", "TrainingNoise"}


def readme_example() -> str | None:
    """The first ```python block after the line "## Python API" in README.md, or None."""
    if not README.is_file():
        return None
    found = re.search(r"^## Python API[ \t]*$(.*?)^```python[ \t]*\n(.*?)^```", README.read_text(encoding="utf-8"),
                      re.MULTILINE | re.DOTALL)
    if found is None or re.search(r"^## ", found.group(1), re.MULTILINE):   # the block must be in that section
        return None
    return found.group(2)


def test_import_is_light_and_the_api_is_complete():
    code = ("import sys, scoreviz\n"
            "assert 'torch' not in sys.modules, 'import scoreviz loaded torch'\n"
            "names = set(scoreviz.__all__)\n"
            "objs = {n: getattr(scoreviz, n) for n in names}\n"
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]\n"
            "from scoreviz.core.schedule.rules import analyse\n"
            "assert objs['analyse_schedule'] is analyse\n"
            "print(sorted(names))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert set(eval(result.stdout)) == API
    import scoreviz

    assert API <= set(dir(scoreviz))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        scoreviz.nonsense  # noqa: B018


@pytest.mark.usefixtures("one_torch_thread")
def test_the_readme_example_runs(capsys):
    code = readme_example() or EXAMPLE
    exec(compile(code, "README.md: Python API", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    ratio = float(re.search(r"sliced Wasserstein ratio ([0-9.]+)", out).group(1))
    assert ratio < 3.0, out                      # 600 steps: ≈ 1.5 measured (1 = the data's own floor)
    assert "ve, D = 2" in out and "levels" in out   # the schedule analysis' summary


def test_the_readme_block_is_found_where_the_readme_puts_it(tmp_path, monkeypatch):
    """The extraction itself: the block under "## Python API", not one from another section."""
    monkeypatch.setattr(sys.modules[__name__], "README", tmp_path / "README.md")
    (tmp_path / "README.md").write_text("# x\n```python\nwrong = 1\n```\n## Python API\nText.\n\n```python\n"
                                        "right = 2\n```\n## Next\n```python\nalso_wrong = 3\n```\n")
    assert readme_example() == "right = 2\n"
    (tmp_path / "README.md").write_text("## Python API\nnone here\n## Next\n```python\nx = 1\n```\n")
    assert readme_example() is None
