"""Start-up: the `scoreviz-app` entry point, the platform checks before the first window, and scripted runs."""
