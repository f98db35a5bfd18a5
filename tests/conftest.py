"""Shared test setup. The offscreen Qt platform is chosen before any QApplication exists, and the
app's remembered settings go to a temporary folder, never to the user's."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the log file goes to a temporary folder too (platformdirs' user log folder is under XDG_STATE_HOME on Linux)
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="scoreviz-tests-state-")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_qsettings(tmp_path_factory):
    """QSettings of the app → an INI file under a temporary folder (only if Qt is importable)."""
    try:
        from PySide6 import QtCore
    except ImportError:  # the Qt-free parts of the suite do not need it
        yield
        return
    folder = tmp_path_factory.mktemp("qsettings")
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
    # QSettings(org, app) uses the native format (INI files on Linux), not the default one: redirect both.
    for fmt in (QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Format.NativeFormat):
        for scope in (QtCore.QSettings.Scope.UserScope, QtCore.QSettings.Scope.SystemScope):
            QtCore.QSettings.setPath(fmt, scope, str(folder))
    yield


@pytest.fixture
def one_torch_thread():
    """Small models: one torch thread avoids OpenMP spin-waiting on a busy 2-core machine (restored after)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
