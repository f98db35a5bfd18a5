"""Lecture tools: presentation mode and the lesson player."""
