"""Powertools Logger / Metrics / Tracer, set up once per execution environment.

The service name comes from POWERTOOLS_SERVICE_NAME (template.yaml). The tracer is
created only when tracing is enabled, because the X-Ray SDK import costs cold-start time.
"""
from __future__ import annotations

import os
from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(level=os.environ.get("LOG_LEVEL", "INFO"))
metrics = Metrics()

__all__ = ["logger", "metrics", "MetricUnit", "tracer", "count"]


@lru_cache(maxsize=1)
def tracer():
    from aws_lambda_powertools import Tracer

    return Tracer(disabled=os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() == "true")


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Emit one metric as its own EMF record, right away (safe outside a decorated handler)."""
    from aws_lambda_powertools.metrics import single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value,
                       namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Meridian")) as metric:
        for key, dim in dimensions.items():
            metric.add_dimension(name=key, value=str(dim))
