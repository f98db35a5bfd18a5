"""The schedule lab's window side: the Schedule dock, its panel and its plots."""
