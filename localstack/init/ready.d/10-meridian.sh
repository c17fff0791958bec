#!/bin/bash
# LocalStack init hook (ready stage): what template.yaml needs before `samlocal deploy`.
set -euo pipefail
# the SES sender of template.yaml's EmailSender parameter must be a verified identity
awslocal ses verify-email-identity --email-address "${MERIDIAN_EMAIL_SENDER:-no-reply@meridian.example.com}"
# a bucket for SAM's packaged artifacts (samlocal deploy --s3-bucket meridian-sam-artifacts)
awslocal s3 mb s3://meridian-sam-artifacts 2>/dev/null || true
echo "meridian: LocalStack ready for samlocal deploy"
