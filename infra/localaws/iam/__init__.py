"""IAM enforced locally: every function's AWS calls checked against its own execution role.

- `roles.py` — the execution roles of the translated template (SAM policy templates expanded)
  → roles in the local IAM (provisioning), and each function's STS AssumeRole credentials.
- `actions.py` — an AWS request → the IAM action(s) and resource ARN(s) it needs.
- `evaluation.py` — allow / deny with moto's own policy evaluator.
- `proxy.py` — `python -m infra.localaws.iam.proxy`: the authorizing HTTP proxy every function's
  AWS_ENDPOINT_URL points at, in front of whichever engine serves the call.
"""
