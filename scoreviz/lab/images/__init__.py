"""The image lab without Qt: the session, its data side and the frames it reports."""
