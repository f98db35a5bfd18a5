"""The main window and what hangs on it: menus, the control dock, remembered settings and choices, the banner,
the status line, the About box and the session actions."""
