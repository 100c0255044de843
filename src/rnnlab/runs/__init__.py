"""Runs above one training: ensembles of members, K-fold cross-validation, retraining a run that
derives from another; over any task."""
