"""The one CPU-thread rule (core.device): every core, or all but one when a GUI shares the process."""
import os

import torch

from scoreviz.core.device import configure_cpu_threads, cpu_threads


def test_cpu_threads_leave_one_core_to_a_gui(monkeypatch):
    for cores, alone, with_gui in ((8, 8, 7), (2, 2, 1), (1, 1, 1), (None, 1, 1)):
        monkeypatch.setattr(os, "cpu_count", lambda c=cores: c)
        assert (cpu_threads(reserve_gui=False), cpu_threads(reserve_gui=True)) == (alone, with_gui)


def test_configure_cpu_threads_sets_torch(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    try:
        assert configure_cpu_threads(reserve_gui=True) == 1 == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
