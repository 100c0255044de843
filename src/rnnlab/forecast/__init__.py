"""Forecasting: metrics, transforms, statistical baselines, rolling-origin evaluation and its report.
The task that trains a network is ``rnnlab.tasks.forecast``."""

from .baselines import have_statsmodels, numpy_methods, statistical_methods
from .metrics import METRICS, coverage, mae, mase, rmse, smape
from .rolling import origins, rolling_origin
from .transforms import Transform

__all__ = ["METRICS", "mae", "rmse", "smape", "mase", "coverage", "Transform", "origins", "rolling_origin",
           "numpy_methods", "statistical_methods", "have_statsmodels"]
