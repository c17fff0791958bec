"""Powertools' Logger, set up once per execution environment, and `count`, one metric (EMF) at a time.

The service name comes from POWERTOOLS_SERVICE_NAME (template.yaml).
"""
from __future__ import annotations

import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(level=os.environ.get("LOG_LEVEL", "INFO"))

__all__ = ["logger", "count"]


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Emit one metric as its own EMF record, right away (safe outside a decorated handler)."""
    from aws_lambda_powertools.metrics import single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value,
                       namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Meridian")) as metric:
        for key, dim in dimensions.items():
            metric.add_dimension(name=key, value=str(dim))
