"""Honest validation: splits and protocols, cross-validation, scores, hindcasts and bands."""
