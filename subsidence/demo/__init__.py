"""The synthetic demo: physics, generation and bundle writing."""
