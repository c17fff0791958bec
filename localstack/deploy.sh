#!/usr/bin/env bash
# template.yaml into the LocalStack of docker-compose.yml (free image), working around what that image
# does not do (README.md here, "What the free image does not do"). From anywhere:
#
#   localstack/deploy.sh [stack-name]            # default stack name: meridian
#
# Needs samlocal and awslocal on PATH (README.md: "Tools") and LocalStack up (docker compose up -d).
# PARAMETER_OVERRIDES adds template parameters, e.g. PARAMETER_OVERRIDES="FxProvider=frankfurter ...".
set -euo pipefail

STACK="${1:-meridian}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
cd "$(dirname "$0")/.."

resource() {  # the physical id of one of the stack's resources
  awslocal cloudformation describe-stack-resource --stack-name "$STACK" --logical-resource-id "$1" \
    --query StackResourceDetail.PhysicalResourceId --output text
}

echo "==> samlocal build"
samlocal build

# Lambda layers are a Pro feature: the free image creates CommonLayer but does not mount it. Its code
# goes into every function's own package instead (Lambda puts the package first on sys.path).
echo "==> the common layer copied into every built function"
for built in .aws-sam/build/*/; do
  [ "$(basename "$built")" = CommonLayer ] && continue
  cp -R .aws-sam/build/CommonLayer/python/. "$built"
done

echo "==> samlocal deploy --stack-name $STACK"
# shellcheck disable=SC2086 # PARAMETER_OVERRIDES is a list of Key=Value words
samlocal deploy --stack-name "$STACK" --s3-bucket meridian-sam-artifacts \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-confirm-changeset --no-fail-on-empty-changeset \
  --parameter-overrides Stage=localstack ${PARAMETER_OVERRIDES:-}

# AWS host names (<api>.execute-api.<region>.amazonaws.com) resolve to LocalStack only with its paid
# "transparent endpoint injection": point the functions' base URL at LocalStack's own host name.
API_ID="$(resource ServerlessRestApi)"
BASE="http://${API_ID}.execute-api.localhost.localstack.cloud:4566/Prod"
echo "==> /$STACK/api-base-url = $BASE"
awslocal ssm put-parameter --name "/$STACK/api-base-url" --type String --value "$BASE" --overwrite >/dev/null

# custom resources are partial on the free image: make sure the first exchange rates exist
echo "==> first FX refresh"
awslocal lambda invoke --function-name "$(resource FxRefreshFunction)" --payload '{}' /dev/stdout
echo
echo "API: $BASE/api/v1/products/health"
echo "first super_admin: AWS_ENDPOINT_URL=http://localhost:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \\"
echo "  make create-admin EMAIL=<you> STACK=$STACK REGION=$AWS_DEFAULT_REGION"
