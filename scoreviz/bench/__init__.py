"""`scoreviz bench`: the performance and quality figures the issues ask for, measured side by side."""
