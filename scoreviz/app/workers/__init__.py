"""The compute workers' Qt side: a QObject in its own QThread that only times a lab session's ticks and relays
its frames (`ticking`), the 2-D lab's worker, and the GUI-side host that starts, feeds and stops one."""
