"""Run the common layer's clients in the test process as a function of a running stack runs them."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ for the duration, then each variable as it was (or unset)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def layer_reads_stack(stack, *, api_base_url_parameter: str | None = None) -> Iterator[None]:
    """The environment a function has for reaching its siblings: the SSM parameter naming the API's
    base URL (the stack's own, or `api_base_url_parameter`), the local AWS endpoint, credentials."""
    from meridian import aws

    function_env = stack.template.function("ProductsFunction").environment
    wanted = {"API_BASE_URL_PARAMETER": api_base_url_parameter or function_env["API_BASE_URL_PARAMETER"],
              "AWS_ENDPOINT_URL": stack.aws_endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
              "AWS_DEFAULT_REGION": stack.settings.region}
    with environment(wanted):
        aws.forget_parameters()
        aws.client.cache_clear()
        try:
            yield
        finally:
            aws.forget_parameters()
            aws.client.cache_clear()
