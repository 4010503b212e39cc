"""Translate template.yaml into the CloudFormation template SAM deploys.

Usage: python3 tests/template/sam-translate.py template.yaml > out.json

The AWS SAM translator (aws-sam-translator, installed with cfn-lint) runs
offline: local CodeUri and DefinitionUri values, which `sam build` and
`sam package` replace with S3 locations, are replaced by placeholder S3
locations first, as cfn-lint does, and no managed policy is looked up (the
template attaches none by name). `make test` lints the result with cfn-lint.
"""

import json
import os
import sys

from samtranslator.parser import parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

S3_CODE = "s3://shipwave-lint-placeholder/code.zip"


def main(path):
    # The translator reads the region for ARNs it builds; nothing is called.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    fn_globals = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in fn_globals:
        fn_globals["CodeUri"] = S3_CODE
    for res in template.get("Resources", {}).values():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::Serverless::Function" and "CodeUri" in props:
            props["CodeUri"] = S3_CODE
        if res.get("Type") == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["DefinitionUri"] = {"Bucket": "shipwave-lint-placeholder", "Key": props["DefinitionUri"]}
    translator = Translator(managed_policy_map={}, sam_parser=parser.Parser())
    out = translator.translate(
        sam_template=template,
        parameter_values={"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::StackName": "shipwave"},
    )
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sam-translate.py TEMPLATE")
    main(sys.argv[1])
