"""Correction patterns: a bounded sample of correction texts (the one raw read), clustered by what they changed."""
