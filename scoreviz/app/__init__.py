"""The scoreviz desktop app (PySide6 + pyqtgraph): paint data, train live, watch the score field and particles.

Threading: one compute worker (`workers.lab_worker.ComputeWorker`) in a QThread owns every piece of torch
state; only frozen NumPy dataclasses (`frames`) cross between the threads. The GUI keeps the latest
frame of each kind in a mailbox and repaints from its own timer.
"""
