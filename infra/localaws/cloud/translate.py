"""template.yaml translated to plain CloudFormation offline, as SAM's transform does on deploy.

    python -m infra.localaws.cloud.translate [--out FILE]     # writes the translated JSON (default: stdout)

aws-sam-translator does the translation; the managed-policy map it needs comes from the map
aws-sam-translator ships (no IAM call, no credentials). cfn-lint on the result finds what
cfn-lint on the SAM template cannot see (e.g. a circular dependency through the generated API).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from functools import lru_cache
from pathlib import Path

from infra.localaws.template import TEMPLATE_PATH

REGION = "us-east-1"
ARTIFACT_BUCKET = "localaws-artifacts"  # stands for `sam deploy`'s artifact bucket


class BundledManagedPolicies:
    """samtranslator's ManagedPolicyLoader without an IAM client: the map bundled with samtranslator."""

    def load(self) -> dict[str, str]:
        from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

        return get_bundled_managed_policy_map("aws") or {}


def sam_document(path: Path = TEMPLATE_PATH) -> dict:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(Path(path).read_text(encoding="utf-8"))


def packaged(document: dict) -> dict:
    """Local CodeUri / ContentUri folders replaced by S3 locations, as `sam package` does before deploy."""
    for resource in document.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://{ARTIFACT_BUCKET}/{props[key].strip('/')}.zip"
    return document


def translate(document: dict | None = None, parameters: dict[str, str] | None = None) -> dict:
    """The CloudFormation template SAM's transform makes of `document` (template.yaml by default)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    document = packaged(copy.deepcopy(document if document is not None else sam_document()))
    # the region (and so the partition) comes from this session, not from the environment
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    return translator.translate(document, parameter_values=dict(parameters or {}),
                                get_managed_policy_map=BundledManagedPolicies().load)


@lru_cache(maxsize=1)
def translated_template() -> dict:
    return translate()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument("--out", type=Path)
    ns = parser.parse_args(argv)
    text = json.dumps(translate(sam_document(ns.template)), indent=1, default=str)
    if ns.out:
        ns.out.parent.mkdir(parents=True, exist_ok=True)
        ns.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
