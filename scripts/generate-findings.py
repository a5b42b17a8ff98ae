#!/usr/bin/env python3
"""Deterministic generator of AWS Security Finding Format (ASFF) test data.

Two kinds of output, both JSON lines (one compact JSON object per line, UTF-8):

``model``
    Synthetic findings built from the Security Hub service model that botocore
    ships (``botocore/data/securityhub/2018-10-26/service-2.json.gz``, shape
    ``AwsSecurityFinding``). Every finding carries the model's required members
    (and, recursively, the required members of every nested structure it
    includes) plus a random subset of the optional members at every level;
    the inclusion probability falls with nesting depth. Keys are written in
    model member order. Values follow the model (enums, min/max, pattern) and
    the formats the ASFF documentation defines (12-digit account ids, product
    ARNs, Region codes, RFC 3339 timestamps, ``namespace/category/classifier``
    finding types, ...). Every value is synthetic.

``batch``
    A "real-shaped" batch: EventBridge "Security Hub Findings - Imported"
    envelopes (shape of ``testdata/eventbridge/securityhub-imported-*.json``),
    one finding each. About 90% are variants of the published single-finding
    fixtures in ``testdata/asff/*.json`` (account id, Region, resource ids,
    finding id and the top-level timestamps varied; everything else kept as
    published), the rest come from the ``model`` generator.

``verify``
    Checks a JSON-lines file (bare findings, or envelopes with ``--envelope``)
    against the model: required members, known member names, JSON types,
    enums, min/max and patterns. Exits 1 on a parse error or a missing
    required member (and, with ``--strict``, on any other finding).

Same arguments and same botocore model give byte-identical output. Only the
Python standard library and botocore are used; the model file is read from
the installed botocore package directly (not through botocore's loader
search path, so a user's ~/.aws/models cannot change the output).

Examples::

    .venv/bin/python scripts/generate-findings.py model --seed 14 --count 300 \\
        --out testdata/generated/asff-model.jsonl
    .venv/bin/python scripts/generate-findings.py batch --seed 14 --count 400 \\
        --fixtures testdata/asff --out examples/sample-batch.jsonl
    .venv/bin/python scripts/generate-findings.py verify testdata/generated/asff-model.jsonl --strict
    .venv/bin/python scripts/generate-findings.py verify --envelope examples/sample-batch.jsonl
    .venv/bin/python scripts/generate-findings.py info
"""

import argparse
import calendar
import datetime
import glob
import gzip
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter

SERVICE = "securityhub"
API_VERSION = "2018-10-26"
FINDING_SHAPE = "AwsSecurityFinding"
SCHEMA_VERSION = "2018-10-08"
MAX_DEPTH = 6  # structure nesting depth (finding = 0) beyond which only required members are written

# --------------------------------------------------------------------------------------------
# Model loading
# --------------------------------------------------------------------------------------------


def load_model():
    """Return (model dict, info dict) for the Security Hub model shipped with botocore."""
    import botocore  # noqa: imported lazily so --help works without botocore

    pkg_dir = os.path.dirname(os.path.abspath(botocore.__file__))
    rel_dir = os.path.join("botocore", "data", SERVICE, API_VERSION)
    base = os.path.join(pkg_dir, "data", SERVICE, API_VERSION)
    for name in ("service-2.json.gz", "service-2.json"):
        path = os.path.join(base, name)
        if os.path.exists(path):
            break
    else:
        raise SystemExit("service-2.json(.gz) not found under %s" % base)
    with open(path, "rb") as f:
        raw_file = f.read()
    raw = gzip.decompress(raw_file) if path.endswith(".gz") else raw_file
    model = json.loads(raw.decode("utf-8"))
    info = {
        "botocore_version": botocore.__version__,
        "model_path_in_package": os.path.join(rel_dir, name),
        "api_version": model.get("metadata", {}).get("apiVersion"),
        "sha256_service_2_json": hashlib.sha256(raw).hexdigest(),
        "sha256_file": hashlib.sha256(raw_file).hexdigest(),
    }
    return model, info


# --------------------------------------------------------------------------------------------
# Vocabularies (all values synthetic)
# --------------------------------------------------------------------------------------------

REGIONS = {
    "aws": ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
            "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1",
            "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1",
            "me-south-1", "af-south-1"],
    "aws-cn": ["cn-north-1", "cn-northwest-1"],
    "aws-us-gov": ["us-gov-west-1", "us-gov-east-1"],
}
PARTITION_WEIGHTS = [("aws", 86), ("aws-cn", 7), ("aws-us-gov", 7)]

WORDS = ["alpha", "bravo", "delta", "echo", "orbit", "cobalt", "maple", "harbor", "quartz", "lumen",
         "nimbus", "sierra", "tango", "vector", "willow", "zephyr", "amber", "basalt", "cedar",
         "falcon", "garnet", "helix", "indigo", "jasper", "kestrel", "lotus", "mesa", "nova",
         "onyx", "pixel", "raven", "sable", "tundra", "umber", "vortex", "xenon", "yonder", "zinc",
         "prod", "staging", "dev", "test", "backup", "logs", "data", "web", "api", "batch",
         "payments", "reports", "ingest", "archive", "audit", "edge", "core", "legacy"]
# occasional words that exercise UTF-8 and JSON escaping
ODD_WORDS = ["caf\u00e9", "na\u00efve", "Z\u00fcrich", "\u65e5\u672c", "\u30c7\u30fc\u30bf",
             "S\u00e3o Paulo", "\u00fcber", "\u2603 snow", "stra\u00dfe", "\u0645\u0631\u062d\u0628\u0627"]
ESCAPE_WORDS = ['say "hi"', "C:\\Temp\\logs", "it's", "back\\slash", 'quote"inside',
                "tab\tseparated", "line\nbreak", "slash/and\\back"]

TYPES_TAXONOMY = [
    "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices",
    "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark",
    "Software and Configuration Checks/Industry and Regulatory Standards/PCI-DSS",
    "Software and Configuration Checks/Industry and Regulatory Standards/NIST 800-53 Controls",
    "Software and Configuration Checks/Industry and Regulatory Standards/HIPAA Controls (USA)",
    "Software and Configuration Checks/AWS Security Best Practices/Network Reachability",
    "Software and Configuration Checks/AWS Security Best Practices/Runtime Behavior Analysis",
    "Software and Configuration Checks/Vulnerabilities/CVE",
    "Software and Configuration Checks/Patch Management/Compliance",
    "TTPs/Discovery/Recon:IAMUser-UserPermissions",
    "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort",
    "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce",
    "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS",
    "TTPs/Credential Access/CredentialAccess:IAMUser-AnomalousBehavior",
    "TTPs/Persistence/Persistence:IAMUser-AnomalousBehavior",
    "TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled",
    "TTPs/Privilege Escalation/PrivilegeEscalation:Kubernetes-PrivilegedContainer",
    "Effects/Data Exposure/Policy:S3-BucketBlockPublicAccessDisabled",
    "Effects/Data Exfiltration/Exfiltration:S3-AnomalousBehavior",
    "Effects/Resource Consumption/CryptoCurrency:EC2-BitcoinTool.B",
    "Unusual Behaviors/User/UnauthorizedAccess:IAMUser-ConsoleLoginSuccess.B",
    "Unusual Behaviors/Network Flow/Behavior:EC2-NetworkPortUnusual",
    "Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal",
    "Sensitive Data Identifications/Passwords/SensitiveData:S3Object-Credentials",
]

# (standard prefix of GeneratorId, control id, title)
CONTROLS = [
    ("aws-foundational-security-best-practices/v/1.0.0", "S3.1", "S3 general purpose buckets should have block public access settings enabled"),
    ("aws-foundational-security-best-practices/v/1.0.0", "S3.8", "S3 general purpose buckets should block public access"),
    ("aws-foundational-security-best-practices/v/1.0.0", "EC2.2", "VPC default security groups should not allow inbound or outbound traffic"),
    ("aws-foundational-security-best-practices/v/1.0.0", "EC2.19", "Security groups should not allow unrestricted access to ports with high risk"),
    ("aws-foundational-security-best-practices/v/1.0.0", "IAM.8", "Unused IAM user credentials should be removed"),
    ("aws-foundational-security-best-practices/v/1.0.0", "RDS.2", "RDS DB Instances should prohibit public access"),
    ("aws-foundational-security-best-practices/v/1.0.0", "Lambda.1", "Lambda function policies should prohibit public access"),
    ("aws-foundational-security-best-practices/v/1.0.0", "KMS.4", "AWS KMS key rotation should be enabled"),
    ("cis-aws-foundations-benchmark/v/1.4.0", "1.4", "Ensure no 'root' user account access key exists"),
    ("cis-aws-foundations-benchmark/v/1.2.0", "2.8", "Ensure rotation for customer created CMKs is enabled"),
    ("pci-dss/v/3.2.1", "PCI.CloudTrail.1", "CloudTrail logs should be encrypted at rest using AWS KMS keys"),
    ("nist-800-53/v/5.0.0", "CloudTrail.2", "CloudTrail should have encryption at-rest enabled"),
]

REALISTIC_RESOURCE_TYPES = ["AwsEc2Instance", "AwsS3Bucket", "AwsIamRole", "AwsIamUser", "AwsEc2SecurityGroup",
                            "AwsRdsDbInstance", "AwsLambdaFunction", "AwsAccount", "AwsIamAccessKey",
                            "AwsKmsKey", "AwsEc2Vpc", "AwsEc2Subnet", "AwsCloudTrailTrail", "AwsEcrContainerImage",
                            "AwsEksCluster", "AwsSqsQueue", "AwsSnsTopic", "AwsDynamoDbTable", "Container", "Other"]

# explicit ARN templates for common types; others are derived from the Details member name
ARN_TEMPLATES = {
    "AwsEc2Instance": "arn:{p}:ec2:{r}:{a}:instance/i-{hex17}",
    "AwsS3Bucket": "arn:{p}:s3:::{name}-{a}",
    "AwsS3Object": "arn:{p}:s3:::{name}-{a}/{name2}/{name3}.json",
    "AwsS3AccessPoint": "arn:{p}:s3:{r}:{a}:accesspoint/{name}",
    "AwsS3AccountPublicAccessBlock": "AWS::::Account:{a}",
    "AwsAccount": "AWS::::Account:{a}",
    "AwsIamRole": "arn:{p}:iam::{a}:role/{name}-role",
    "AwsIamUser": "arn:{p}:iam::{a}:user/{name}",
    "AwsIamGroup": "arn:{p}:iam::{a}:group/{name}",
    "AwsIamPolicy": "arn:{p}:iam::{a}:policy/{name}-policy",
    "AwsIamAccessKey": "AWS::IAM::AccessKey:AKIA{upper16}",
    "AwsEc2SecurityGroup": "arn:{p}:ec2:{r}:{a}:security-group/sg-{hex17}",
    "AwsEc2Vpc": "arn:{p}:ec2:{r}:{a}:vpc/vpc-{hex17}",
    "AwsEc2Subnet": "arn:{p}:ec2:{r}:{a}:subnet/subnet-{hex17}",
    "AwsEc2Volume": "arn:{p}:ec2:{r}:{a}:volume/vol-{hex17}",
    "AwsEc2NetworkInterface": "arn:{p}:ec2:{r}:{a}:network-interface/eni-{hex17}",
    "AwsRdsDbInstance": "arn:{p}:rds:{r}:{a}:db:{name}-db",
    "AwsRdsDbCluster": "arn:{p}:rds:{r}:{a}:cluster:{name}-cluster",
    "AwsLambdaFunction": "arn:{p}:lambda:{r}:{a}:function:{name}-fn",
    "AwsKmsKey": "arn:{p}:kms:{r}:{a}:key/{uuid}",
    "AwsCloudTrailTrail": "arn:{p}:cloudtrail:{r}:{a}:trail/{name}-trail",
    "AwsEcrContainerImage": "arn:{p}:ecr:{r}:{a}:repository/{name}/sha256:{hex64}",
    "AwsEksCluster": "arn:{p}:eks:{r}:{a}:cluster/{name}",
    "AwsSqsQueue": "arn:{p}:sqs:{r}:{a}:{name}-queue",
    "AwsSnsTopic": "arn:{p}:sns:{r}:{a}:{name}-topic",
    "AwsDynamoDbTable": "arn:{p}:dynamodb:{r}:{a}:table/{name}",
    "Container": "{name}/{name2}:{version}",
    "Other": "{name}-{hex8}",
    "CodeRepository": "https://github.com/example-org/{name}",
    "AzureResource": "/subscriptions/{uuid}/resourceGroups/rg-{name}/providers/Microsoft.Compute/virtualMachines/{name2}",
    "GcpResource": "//compute.googleapis.com/projects/{name}-{hex8}/zones/europe-west1-b/instances/{name2}",
}

# ARN service names for the AwsXxx resource types without a template above (longest prefix wins)
ARN_SERVICES = {
    "AmazonMq": "mq", "ApiGatewayV2": "apigateway", "ApiGateway": "apigateway", "AppSync": "appsync",
    "Athena": "athena", "AutoScaling": "autoscaling", "Backup": "backup", "CertificateManager": "acm",
    "CloudFormation": "cloudformation", "CloudFront": "cloudfront", "CloudTrail": "cloudtrail",
    "CloudWatch": "cloudwatch", "CodeBuild": "codebuild", "Dms": "dms", "DynamoDb": "dynamodb", "Ec2": "ec2",
    "Ecr": "ecr", "Ecs": "ecs", "Efs": "elasticfilesystem", "Eks": "eks", "ElasticBeanstalk": "elasticbeanstalk",
    "Elasticsearch": "es", "Elbv2": "elasticloadbalancing", "Elb": "elasticloadbalancing", "EventSchemas": "schemas",
    "Events": "events", "GuardDuty": "guardduty", "Iam": "iam", "Kinesis": "kinesis", "Kms": "kms",
    "Lambda": "lambda", "Msk": "kafka", "NetworkFirewall": "network-firewall", "OpenSearchService": "es",
    "Rds": "rds", "Redshift": "redshift", "Route53": "route53", "S3": "s3", "SageMaker": "sagemaker",
    "SecretsManager": "secretsmanager", "Sns": "sns", "Sqs": "sqs", "Ssm": "ssm", "StepFunction": "states",
    "WafRegional": "waf-regional", "Wafv2": "wafv2", "Waf": "waf", "Xray": "xray",
}

# (substring of an *Arn member name, service, resource type) for ARN-looking strings
ARN_HINTS = [("Role", "iam", "role"), ("Policy", "iam", "policy"), ("User", "iam", "user"), ("Kms", "kms", "key"),
             ("Key", "kms", "key"), ("Topic", "sns", "topic"), ("Sns", "sns", "topic"), ("Queue", "sqs", "queue"),
             ("Function", "lambda", "function"), ("Lambda", "lambda", "function"), ("LogGroup", "logs", "log-group"),
             ("CloudWatchLogs", "logs", "log-group"), ("Certificate", "acm", "certificate"), ("Bucket", "s3", "bucket"),
             ("Stream", "kinesis", "stream"), ("Secret", "secretsmanager", "secret"), ("Cluster", "ecs", "cluster"),
             ("Instance", "ec2", "instance"), ("TargetGroup", "elasticloadbalancing", "targetgroup"),
             ("StateMachine", "states", "stateMachine"), ("Vault", "backup", "backup-vault")]

# product table: key -> (company id in ARN, product id in ARN, CompanyName, ProductName); None = the finding's account
PRODUCTS = [
    ("securityhub", "aws", "securityhub", "AWS", "Security Hub", 30),
    ("guardduty", "aws", "guardduty", "AWS", "GuardDuty", 14),
    ("inspector", "aws", "inspector", "AWS", "Inspector", 12),
    ("macie", "aws", "macie", "AWS", "Macie", 5),
    ("access-analyzer", "aws", "access-analyzer", "AWS", "IAM Access Analyzer", 6),
    ("config", "aws", "config", "AWS", "Config", 6),
    ("health", "aws", "health", "AWS", "Health", 3),
    ("patch-manager", "aws", "ssm-patch-manager", "AWS", "Systems Manager Patch Manager", 3),
    ("trivy", "aquasecurity", "aquasecurity", "Aqua Security", "Aqua Security", 5),
    ("custodian", "cloud-custodian", "cloud-custodian", "Cloud Custodian", "Cloud Custodian", 5),
    ("custom", None, "default", "Personal", "Default", 11),
]

SEVERITY_RANGES = {"INFORMATIONAL": (0, 0), "LOW": (1, 39), "MEDIUM": (40, 69), "HIGH": (70, 89), "CRITICAL": (90, 100)}

# top-level optional member inclusion probabilities (others: TOP_DEFAULT)
TOP_P = {"ProductName": 0.7, "CompanyName": 0.7, "Region": 0.75, "Types": 0.85, "FirstObservedAt": 0.6,
         "LastObservedAt": 0.6, "Severity": 0.92, "Workflow": 0.6, "RecordState": 0.7, "Compliance": 0.4,
         "ProductFields": 0.5, "Remediation": 0.35, "SourceUrl": 0.3, "FindingProviderFields": 0.3,
         "WorkflowState": 0.25, "ProcessedAt": 0.35}
TOP_DEFAULT = 0.22
# optional-member probability at structure depth d (finding = 0, Resource = 1, ResourceDetails = 2, detail shapes = 3)
DEPTH_P = {1: 0.75, 2: 0.7, 3: 0.65, 4: 0.6, 5: 0.55, 6: 0.5}
RESOURCE_P = {"Partition": 0.85, "Region": 0.85, "Tags": 0.3}

TS_MIN = calendar.timegm((2025, 1, 1, 0, 0, 0))
TS_MAX = calendar.timegm((2026, 11, 30, 23, 59, 59))


def rfc3339(epoch_ms):
    secs, ms = divmod(int(epoch_ms), 1000)
    t = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % ms


# --------------------------------------------------------------------------------------------
# Model-driven generator
# --------------------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.top = Counter()
        self.details = Counter()
        self.shapes = Counter()
        self.resource_types = Counter()
        self.products = Counter()
        self.findings = 0

    def as_dict(self, model, gen=None):
        shapes = model["shapes"]
        top_optional = [m for m in shapes[FINDING_SHAPE]["members"] if m not in shapes[FINDING_SHAPE].get("required", [])]
        detail_members = list(shapes["ResourceDetails"]["members"])
        reachable = reachable_shapes(shapes, FINDING_SHAPE)
        reach_structs = sorted(n for n in reachable if shapes[n]["type"] == "structure")
        return {
            "findings": self.findings,
            "top_level_optional_members": len(top_optional),
            "top_level_optional_members_used": sum(1 for m in top_optional if self.top[m]),
            "top_level_optional_min_count": min(self.top[m] for m in top_optional),
            "top_level_optional_counts": {m: self.top[m] for m in top_optional},
            "resource_details_members": len(detail_members),
            "resource_details_members_used": sum(1 for m in detail_members if self.details[m]),
            "resource_details_unused": [m for m in detail_members if not self.details[m]],
            "reachable_structures": len(reach_structs),
            "structures_within_depth_cap": len(within_cap(shapes, gen)) if gen else None,
            "structures_used": sum(1 for n in reach_structs if self.shapes[n]),
            "resource_types": dict(sorted(self.resource_types.items())),
            "products": dict(sorted(self.products.items())),
        }


def reachable_shapes(shapes, root):
    seen, stack = set(), [root]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        s = shapes[n]
        for m in s.get("members", {}).values():
            stack.append(m["shape"])
        if s["type"] == "list":
            stack.append(s["member"]["shape"])
        if s["type"] == "map":
            stack += [s["key"]["shape"], s["value"]["shape"]]
    return seen


def within_cap(shapes, gen):
    """Structures that can appear given MAX_DEPTH: shallowest depth d (breadth-first) with gen.fits(shape, d)."""
    depth = {FINDING_SHAPE: 0}
    queue = [FINDING_SHAPE]
    while queue:
        n = queue.pop(0)
        for m in shapes[n].get("members", {}).values():
            t = m["shape"]
            while shapes[t]["type"] in ("list", "map"):
                t = shapes[t]["member"]["shape"] if shapes[t]["type"] == "list" else shapes[t]["value"]["shape"]
            if shapes[t]["type"] == "structure" and t not in depth:
                depth[t] = depth[n] + 1
                queue.append(t)
    return sorted(n for n, d in depth.items() if gen.fits(n, d))


def camel_words(name):
    return re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+", name)


class ModelGenerator:
    """Generates ASFF findings from the botocore model; all randomness from self.rng."""

    def __init__(self, model, rng, accounts=None, regions=None, ts_range=(TS_MIN, TS_MAX)):
        self.model = model
        self.ts_range = ts_range
        self.shapes = model["shapes"]
        self.rng = rng
        self.accounts = accounts
        self.regions = regions  # optional {partition: [regions]} override
        self.stats = Stats()
        self.detail_members = list(self.shapes["ResourceDetails"]["members"])
        self.detail_queue = []
        self.ctx = {}
        self._fits = {}

    # ---- small random helpers ----
    def hex(self, n):
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def uuid(self):
        h = self.hex(32)
        return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], self.rng.choice("89ab"), h[17:20], h[20:32])

    def word(self):
        return self.rng.choice(WORDS)

    def name(self):
        return "%s-%s" % (self.word(), self.word())

    def text(self, lo=1, hi=3, odd=True):
        parts = [self.word() for _ in range(self.rng.randint(lo, hi))]
        if odd:
            r = self.rng.random()
            if r < 0.04:
                parts.insert(self.rng.randrange(len(parts) + 1), self.rng.choice(ODD_WORDS))
            elif r < 0.07:
                parts.insert(self.rng.randrange(len(parts) + 1), self.rng.choice(ESCAPE_WORDS))
        return " ".join(parts)

    def sentence(self):
        s = self.text(4, 9)
        return s[0].upper() + s[1:] + "."

    def weighted(self, pairs):
        total = sum(w for _, w in pairs)
        x = self.rng.uniform(0, total)
        for v, w in pairs:
            x -= w
            if x <= 0:
                return v
        return pairs[-1][0]

    def account(self):
        if self.accounts:
            return self.rng.choice(self.accounts)
        return str(self.rng.randint(1, 9)) + "".join(str(self.rng.randint(0, 9)) for _ in range(11))

    def ipv4(self):
        return "%d.%d.%d.%d" % (self.rng.choice([10, 172, 192, 198, 203, 54, 3]), self.rng.randint(0, 255),
                                self.rng.randint(0, 255), self.rng.randint(1, 254))

    def ipv6(self):
        return "2001:db8:%x:%x::%x" % (self.rng.randint(0, 0xffff), self.rng.randint(0, 0xffff), self.rng.randint(1, 0xffff))

    def ts_ms(self):
        return self.rng.randint(self.ts_range[0] * 1000, self.ts_range[1] * 1000)

    def ts(self):
        return rfc3339(self.ts_ms())

    def arn(self, service=None, rtype=None):
        c = self.ctx
        service = service or self.rng.choice(["ec2", "s3", "iam", "lambda", "rds", "kms", "sns", "sqs", "logs"])
        region = "" if service in ("s3", "iam") else c["region"]
        account = "" if service == "s3" else c["account"]
        rtype = rtype or self.rng.choice(["resource", "key", "function", "role", "topic", "log-group"])
        return "arn:%s:%s:%s:%s:%s/%s" % (c["partition"], service, region, account, rtype, self.name())

    def resource_id(self, rtype):
        tmpl = ARN_TEMPLATES.get(rtype)
        if tmpl is None:
            rest = rtype[3:] if rtype.startswith("Aws") else rtype
            service, kind = "resource", rest
            for prefix in sorted(ARN_SERVICES, key=len, reverse=True):
                if rest.startswith(prefix):
                    service, kind = ARN_SERVICES[prefix], rest[len(prefix):]
                    break
            kind = "-".join(w.lower() for w in camel_words(kind)) or "resource"
            tmpl = "arn:{p}:%s:{r}:{a}:%s/{name}" % (service, kind)
        c = self.ctx
        return tmpl.format(p=c["partition"], r=c["region"], a=c["account"], name=self.name(), name2=self.word(),
                           name3=self.word(), hex8=self.hex(8), hex17=self.hex(17), hex64=self.hex(64),
                           uuid=self.uuid(), version="%d.%d" % (self.rng.randint(1, 3), self.rng.randint(0, 20)),
                           upper16="".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)))

    def next_detail(self):
        if not self.detail_queue:
            q = list(self.detail_members)
            self.rng.shuffle(q)
            self.detail_queue = q
        return self.detail_queue.pop()

    # ---- finding ----
    def finding(self):
        rng = self.rng
        partition = self.weighted(PARTITION_WEIGHTS)
        regions = (self.regions or REGIONS).get(partition) or REGIONS[partition]
        region = rng.choice(regions)
        account = self.account()
        prod = self.weighted([(p, p[5]) for p in PRODUCTS])
        key, company, product, company_name, product_name, _ = prod
        company = company or account
        prod_account = account if key == "custom" else ""
        # FirstObservedAt <= CreatedAt <= LastObservedAt <= UpdatedAt <= ProcessedAt, within <= 30 days
        lo, hi = self.ts_range
        spread = min(30 * 86400, (hi - lo) // 3)
        t0 = rng.randint(lo * 1000, (hi - spread) * 1000)
        times = sorted(t0 + rng.randint(0, spread * 1000) for _ in range(4))
        times = [t0] + times
        self.ctx = {
            "partition": partition, "region": region, "account": account, "product": key,
            "product_arn": "arn:%s:securityhub:%s:%s:product/%s/%s" % (partition, region, prod_account, company, product),
            "company_name": company_name, "product_name": product_name,
            "times": {"FirstObservedAt": times[0], "CreatedAt": times[1], "LastObservedAt": times[2],
                      "UpdatedAt": times[3], "ProcessedAt": times[4]},
            "control": rng.choice(CONTROLS), "detector": self.hex(32),
        }
        self.ctx["id"], self.ctx["generator_id"] = self.finding_id()
        self.stats.findings += 1
        self.stats.products[key] += 1
        f = self.gen_struct(FINDING_SHAPE, 0)
        for m in f:
            self.stats.top[m] += 1
        return f

    def finding_id(self):
        c, p, r, a = self.ctx, self.ctx["partition"], self.ctx["region"], self.ctx["account"]
        key = c["product"]
        std, control, _title = c["control"]
        if key == "securityhub":
            if self.rng.random() < 0.5:
                return ("arn:%s:securityhub:%s:%s:security-control/%s/finding/%s" % (p, r, a, control, self.uuid()),
                        "security-control/%s" % control)
            return ("arn:%s:securityhub:%s:%s:subscription/%s/%s/finding/%s" % (p, r, a, std, control, self.uuid()),
                    "%s/%s" % (std, control))
        if key == "guardduty":
            return ("arn:%s:guardduty:%s:%s:detector/%s/finding/%s" % (p, r, a, c["detector"], self.hex(32)),
                    "arn:%s:guardduty:%s:%s:detector/%s" % (p, r, a, c["detector"]))
        if key == "inspector":
            return "arn:%s:inspector2:%s:%s:finding/%s" % (p, r, a, self.hex(32)), "AWSInspector"
        if key == "macie":
            return "arn:%s:macie2:%s:%s:finding/%s" % (p, r, a, self.hex(32)), "aws/macie"
        if key == "access-analyzer":
            return ("arn:%s:access-analyzer:%s:%s:analyzer/%s/arn:%s:s3:::%s" % (p, r, a, self.name(), p, self.name()),
                    "aws/access-analyzer")
        if key == "config":
            rule = "config-rule-%s" % self.hex(6)
            return ("arn:%s:config:%s:%s:config-rule/%s/finding/%s" % (p, r, a, rule, self.hex(40)),
                    "arn:%s:config:%s:%s:config-rule/%s" % (p, r, a, rule))
        if key == "health":
            return ("arn:%s:health:%s:%s:event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/%s" % (p, r, a, self.uuid()),
                    "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED")
        if key == "patch-manager":
            return ("arn:%s:ssm-patch-manager:%s:%s:instance/i-%s/document/AWS-RunPatchBaseline/run-command/%s"
                    % (p, r, a, self.hex(17), self.uuid()), "arn:%s:ssm:%s:%s:association/%s" % (p, r, a, self.uuid()))
        if key == "trivy":
            return "%s/%s (alpine 3.%d)/CVE-20%d-%d" % (self.word(), self.name(), self.rng.randint(10, 20),
                                                       self.rng.randint(18, 26), self.rng.randint(1000, 49999)), "Trivy"
        return "%s/%s/%s/%s" % (r, a, self.hex(32), self.hex(32)), "%s-%s" % (self.word(), self.hex(8))

    # ---- shapes ----
    def p_optional(self, shape_name, member, depth):
        if depth == 0:
            return TOP_P.get(member, TOP_DEFAULT)
        if shape_name == "Resource" and member in RESOURCE_P:
            return RESOURCE_P[member]
        return DEPTH_P.get(depth, 0.0)

    def gen_struct(self, name, depth):
        s = self.shapes[name]
        self.stats.shapes[name] += 1
        if s.get("document"):
            return self.gen_document(name)
        members = s.get("members", {})
        required = set(s.get("required", []))
        if name == "Resource":
            return self.gen_resource(depth)
        chosen = []
        optional = [m for m in members if m not in required]
        # depth cap: an optional structure is only started where it can be filled within MAX_DEPTH
        optional = [m for m in optional if self.fits(members[m]["shape"], depth + 1)]
        for m in members:
            if m in required:
                chosen.append(m)
            elif m in optional and self.rng.random() < self.p_optional(name, m, depth):
                chosen.append(m)
        if not chosen and optional:
            chosen.append(self.rng.choice(optional))  # never emit an empty structure
        out = {}
        for m in members:  # model member order
            if m in chosen:
                out[m] = self.gen_member(name, m, members[m], depth)
        if name in ("Severity", "FindingProviderSeverity"):
            self.fix_severity(out)
        return out

    def fits(self, shape_name, depth):
        """Can a value of this shape, as a structure at `depth`, be generated non-empty within MAX_DEPTH?"""
        key = (shape_name, depth)
        if key in self._fits:
            return self._fits[key]
        s = self.shapes[shape_name]
        while s["type"] in ("list", "map"):
            s = self.shapes[s["member"]["shape"] if s["type"] == "list" else s["value"]["shape"]]
        if s["type"] != "structure" or s.get("document"):
            ok = True
        elif depth > MAX_DEPTH:
            ok = False
        else:
            self._fits[key] = False  # guards against recursive shapes
            ok = bool(s.get("required")) or any(self.fits(m["shape"], depth + 1) for m in s["members"].values())
        self._fits[key] = ok
        return ok

    def fix_severity(self, sev):
        label = sev.get("Label")
        if label and "Normalized" in sev:
            lo, hi = SEVERITY_RANGES[label]
            sev["Normalized"] = self.rng.randint(lo, hi)
        if "Original" in sev and label and self.rng.random() < 0.5:
            sev["Original"] = label

    def gen_resource(self, depth):
        """Resource: Type/Id/Partition/Region realistic, Details = 0-2 round-robin ResourceDetails members."""
        members = self.shapes["Resource"]["members"]
        n_details = self.rng.choice([0, 1, 1, 2])
        details = []
        while len(details) < n_details:
            d = self.next_detail()
            if d not in details:
                details.append(d)
        if details and self.rng.random() < 0.85:
            rtype = details[0]
        else:
            rtype = self.rng.choice(REALISTIC_RESOURCE_TYPES)
        self.stats.resource_types[rtype] += 1
        out = {}
        for m in members:
            if m == "Type":
                out[m] = rtype
            elif m == "Id":
                out[m] = self.resource_id(rtype)
            elif m == "Details":
                if details:
                    out[m] = self.gen_details(details, depth + 1)
            elif self.rng.random() < self.p_optional("Resource", m, depth):
                if m == "Partition":
                    out[m] = self.ctx["partition"]
                elif m == "Region":
                    regions = REGIONS[self.ctx["partition"]]
                    out[m] = self.ctx["region"] if self.rng.random() < 0.9 else self.rng.choice(regions)
                elif m == "Provider":
                    out[m] = "AWS" if self.rng.random() < 0.8 else self.rng.choice(["Azure", "GCP"])
                else:
                    out[m] = self.gen_member("Resource", m, members[m], depth)
        return out

    def gen_details(self, chosen, depth):
        self.stats.shapes["ResourceDetails"] += 1
        members = self.shapes["ResourceDetails"]["members"]
        out = {}
        for m in members:
            if m in chosen:
                self.stats.details[m] += 1
                out[m] = self.gen_value(members[m]["shape"], depth + 1, "ResourceDetails", m, members[m])
        return out

    def gen_document(self, name):
        if name.startswith("Azure"):
            return {"id": "/subscriptions/%s/resourceGroups/rg-%s" % (self.uuid(), self.word()),
                    "location": self.rng.choice(["westeurope", "eastus", "japaneast"]),
                    "tags": {"env": self.word()}, "sku": None, "count": self.rng.randint(0, 9)}
        return {"name": "projects/%s-%s/zones/europe-west1-b/instances/%s" % (self.word(), self.hex(6), self.word()),
                "labels": {"team": self.word()}, "deletionProtection": self.rng.random() < 0.5,
                "cpuPlatform": "Intel Cascade Lake", "scores": [1, 2.5]}

    def gen_member(self, parent, member, mdef, depth):
        special = self.special_value(parent, member)
        if special is not None:
            return special
        return self.gen_value(mdef["shape"], depth + 1, parent, member, mdef)

    def special_value(self, parent, member):
        c = self.ctx
        if parent == FINDING_SHAPE:
            if member == "SchemaVersion":
                return SCHEMA_VERSION
            if member == "Id":
                return c["id"]
            if member == "ProductArn":
                return c["product_arn"]
            if member == "ProductName":
                return c["product_name"]
            if member == "CompanyName":
                return c["company_name"]
            if member == "Region":
                return c["region"]
            if member == "GeneratorId":
                return c["generator_id"]
            if member == "AwsAccountId":
                return c["account"]
            if member in c["times"]:
                return rfc3339(c["times"][member])
            if member == "Title":
                if c["product"] == "securityhub":
                    return c["control"][2]
                return self.text(3, 8).capitalize()
            if member == "Description":
                return self.sentence()
            if member == "SourceUrl":
                return "https://docs.aws.amazon.com/securityhub/latest/userguide/%s.html#%s" % (self.word(), self.word())
        if parent == "RelatedFinding":
            if member == "ProductArn":
                return c["product_arn"]
            if member == "Id":
                return self.finding_id()[0]
        if parent in ("Severity", "FindingProviderSeverity") and member == "Original":
            return self.rng.choice(["%d" % self.rng.randint(0, 10), "%.1f" % (self.rng.randint(0, 100) / 10.0), "HIGH", "Sev2"])
        if parent == "Severity" and member == "Product":
            return float(self.rng.randint(0, 100)) if self.rng.random() < 0.5 else self.rng.randint(0, 1000) / 10.0
        if parent == "Vulnerability" and member == "Id":
            return "CVE-20%d-%d" % (self.rng.randint(14, 26), self.rng.randint(1000, 49999))
        if parent == "Cvss":
            if member == "BaseScore":
                return self.rng.randint(0, 100) / 10.0
            if member == "Version":
                return self.rng.choice(["2.0", "3.0", "3.1", "4.0"])
            if member == "BaseVector":
                return "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
        if parent == "Vulnerability" and member == "EpssScore":
            return self.rng.randint(0, 100000) / 100000.0
        if parent in ("GeoLocation", "NetworkGeoLocation"):
            if member == "Lat":
                return self.rng.randint(-9000, 9000) / 100.0
            if member == "Lon":
                return self.rng.randint(-18000, 18000) / 100.0
        if parent == "Compliance" and member == "SecurityControlId":
            return c["control"][1]
        if parent == "AwsKmsKeyDetails" and member == "CreationDate":
            # the model types this Double: epoch seconds with a fraction
            return self.ts_ms() / 1000.0
        if parent == "Signal" and member == "Severity":
            return float(self.rng.randint(1, 100))
        return None

    def is_timestamp_member(self, member, mdef, shape_type):
        doc = (mdef or {}).get("documentation", "")
        named = re.search(r"(At|Time|Date)$", member) is not None
        if shape_type == "string":
            return named or "#timestamps" in doc or "timestamp fields" in doc
        if shape_type in ("long", "integer"):
            return named and "amount of time" not in doc and "in seconds" not in doc
        return False

    def gen_value(self, shape_name, depth, parent, member, mdef=None):
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "structure":
            return self.gen_struct(shape_name, depth)
        if t == "list":
            n = self.rng.randint(1, 2)
            return [self.gen_value(s["member"]["shape"], depth, parent, member, mdef) for _ in range(n)]
        if t == "map":
            n = self.rng.randint(1, 2)
            out = {}
            for _ in range(n):
                k = self.map_key(parent, member)
                out[k] = self.gen_value(s["value"]["shape"], depth, parent, member + "Value", None)
            return out
        if t == "string":
            return self.gen_string(shape_name, s, parent, member, mdef)
        if t in ("integer", "long"):
            if self.is_timestamp_member(member, mdef, t):
                return self.ts_ms()  # epoch milliseconds
            return self.gen_int(s, t, member)
        if t in ("double", "float"):
            lo = s.get("min", 0)
            hi = s.get("max", 1000)
            if self.rng.random() < 0.5:
                return float(self.rng.randint(int(lo), int(hi)))
            return self.rng.randint(int(lo) * 100, int(hi) * 100 - 1) / 100.0
        if t == "boolean":
            return self.rng.random() < 0.5
        if t == "timestamp":
            return self.ts()
        if t == "blob":
            return "AAECAwQ="
        raise ValueError("unhandled shape type %s (%s)" % (t, shape_name))

    def map_key(self, parent, member):
        if parent == FINDING_SHAPE and member == "ProductFields":
            return self.rng.choice(["aws/securityhub/ProductName", "aws/securityhub/CompanyName",
                                    "aws/securityhub/FindingId", "RecommendationUrl", "StandardsArn",
                                    "RuleId", "%s/%s" % (self.word(), self.word())])
        if member in ("Tags", "DockerLabels", "Labels"):
            return self.rng.choice(["Name", "env", "owner", "team", "CostCenter", "aws:cloudformation:stack-name"])
        key = self.word()
        if self.rng.random() < 0.05:
            key = self.rng.choice(ODD_WORDS + ESCAPE_WORDS)
        return key

    def gen_int(self, s, t, member):
        lo, hi = s.get("min"), s.get("max")
        if lo is not None or hi is not None:
            return self.rng.randint(int(lo or 0), int(hi if hi is not None else 1000))
        low = member.lower()
        if member in ("Confidence", "Criticality", "Normalized") or "percent" in low:
            return self.rng.randint(0, 100)  # documented 0-100 although typed plain Integer
        if "port" in low:
            return self.rng.choice([22, 80, 443, 3389, 5432, self.rng.randint(0, 65535)])
        if t == "long" and self.rng.random() < 0.15:
            return self.rng.randint(2 ** 31, 2 ** 40)  # exercise 64-bit values
        return self.rng.randint(0, 500)

    def gen_string(self, shape_name, s, parent, member, mdef):
        if "enum" in s:
            return self.rng.choice(s["enum"])
        if shape_name == "TypeList" or member == "Types" or (parent == FINDING_SHAPE and member == "Types"):
            return self.rng.choice(TYPES_TAXONOMY)
        if self.is_timestamp_member(member, mdef, "string"):
            v = self.ts()
        else:
            v = self.heuristic_string(member, parent)
        pattern = s.get("pattern")
        if pattern and not re.fullmatch(pattern, v, re.S):
            v = self.word()
        lo, hi = s.get("min", 0), s.get("max")
        while len(v) < lo:
            v += self.word()
        if hi is not None and len(v) > hi:
            v = v[:hi]
        return v

    def heuristic_string(self, member, parent=""):
        low = member.lower()
        c = self.ctx
        if low.endswith("arn") or low.endswith("arns"):
            for hint, service, rtype in ARN_HINTS:
                if hint in member:
                    return self.arn(service, rtype)
            return self.arn()
        if low.endswith("accountid") or low == "ownerid" or (member == "Id" and parent.endswith("Account")):
            return c["account"]
        if "ipv6" in low:
            if "cidr" in low:
                return "2001:db8:%x::/56" % self.rng.randint(0, 0xffff)
            return self.ipv6()
        if "cidr" in low:
            return "10.%d.0.0/%d" % (self.rng.randint(0, 255), self.rng.choice([16, 20, 24]))
        if "ipaddress" in low or "ipv4" in low or low in ("publicip", "privateip", "sourceip", "destinationip"):
            return self.ipv4()
        if low.endswith("region"):
            return c["region"]
        if low.endswith("url") or low.endswith("uri"):
            return "https://%s.example.com/%s" % (self.word(), self.word())
        if "domain" in low:
            return "%s.%s.example.com" % (self.word(), self.word())
        if low.endswith("port") or low.endswith("portrange"):
            return str(self.rng.choice([22, 80, 443, 8080]))
        if "protocol" in low:
            return self.rng.choice(["tcp", "udp", "icmp", "-1", "HTTPS"])
        if "email" in low:
            return "%s@example.com" % self.word()
        if low.endswith("version"):
            return "%d.%d.%d" % (self.rng.randint(0, 9), self.rng.randint(0, 30), self.rng.randint(0, 99))
        if low.endswith("id") and self.rng.random() < 0.6:
            return "%s-%s" % (self.word()[:3], self.hex(12))
        if low.endswith("status") or low.endswith("state"):
            return self.rng.choice(["ACTIVE", "available", "ENABLED", "in-use", "PENDING", "Succeeded"])
        if low.endswith("policydocument") or low == "policy" or low.endswith("policy"):
            # policy documents are URL-encoded JSON in ASFF, which also satisfies the model's pattern
            return ("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
                    "%22Action%22%3A%22" + self.word() + "%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D")
        if low in ("description", "text", "recommendation", "reason", "message"):
            return self.sentence()
        return self.text()


# --------------------------------------------------------------------------------------------
# Fixture variants (batch)
# --------------------------------------------------------------------------------------------

BATCH_ACCOUNTS = ["210987654321", "302931845561", "418270366172", "537719402283",
                  "646155730394", "751602917405", "869342018516", "974120563627"]
BATCH_REGIONS = {"aws": ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"],
                 "aws-cn": ["cn-north-1", "cn-northwest-1"],
                 "aws-us-gov": ["us-gov-west-1", "us-gov-east-1"]}
SHIFT_FIELDS = ["FirstObservedAt", "CreatedAt", "LastObservedAt", "UpdatedAt", "ProcessedAt"]
NOV_START = calendar.timegm((2026, 11, 1, 0, 0, 0)) // 60
NOV_END = calendar.timegm((2026, 12, 1, 0, 0, 0)) // 60  # exclusive, minutes
MAX_SPAN_MIN = 7 * 24 * 60
TS_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
UUID_RE = re.compile(r"[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}")
TRAILING_HEX_RE = re.compile(r"([0-9a-fA-F]{32,})$")


def map_strings(obj, fn):
    """Apply fn to every string value (not keys) in obj, preserving key order."""
    if isinstance(obj, dict):
        return {k: map_strings(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [map_strings(v, fn) for v in obj]
    if isinstance(obj, str):
        return fn(obj)
    return obj


def token_re(token):
    # a whole token: not glued to [A-Za-z0-9] on either side (and for regions not part of a longer region code)
    return re.compile(r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(token))


def home_region(finding):
    parts = finding.get("ProductArn", "").split(":")
    if "securityhub" in parts:
        i = parts.index("securityhub")
        if i + 1 < len(parts) and parts[i + 1]:
            return parts[i + 1]
    if finding.get("Region"):
        return finding["Region"]
    for r in finding.get("Resources", []):
        if r.get("Region"):
            return r["Region"]
    return None


def partition_of(finding):
    parts = finding.get("ProductArn", "").split(":")
    if len(parts) > 1 and parts[1] in REGIONS:
        return parts[1]
    return "aws"


def parse_ts(value):
    m = TS_RE.match(value)
    if not m:
        return None
    y, mo, d, h, mi = (int(x) for x in m.groups()[:5])
    off = m.group(7) or "Z"
    off_min = 0
    if off != "Z":
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        off_min = sign * (int(digits[:2]) * 60 + int(digits[2:]))
    utc_min = calendar.timegm((y, mo, d, h, mi, 0)) // 60 - off_min
    return utc_min, off_min, (m.group(6) or "") + (m.group(7) or "")


def format_ts(utc_min, off_min, rest):
    local = datetime.datetime.fromtimestamp((utc_min + off_min) * 60, datetime.timezone.utc)
    return local.strftime("%Y-%m-%dT%H:%M") + rest


class BatchBuilder:
    def __init__(self, model, seed, fixtures_dir):
        self.rng = random.Random("batch-%d" % seed)
        self.model_gen = ModelGenerator(model, random.Random("batch-model-%d" % seed), accounts=BATCH_ACCOUNTS,
                                        regions=BATCH_REGIONS, ts_range=(NOV_START * 60, NOV_END * 60 - 1))
        paths = sorted(glob.glob(os.path.join(fixtures_dir, "*.json")))
        paths = [p for p in paths if "asff-nonconforming" not in os.path.abspath(p).split(os.sep)]
        if not paths:
            raise SystemExit("no fixtures in %s" % fixtures_dir)
        self.fixtures = []
        for p in paths:
            with open(p, encoding="utf-8") as f:
                doc = json.load(f)
            if not isinstance(doc, dict) or "SchemaVersion" not in doc:
                raise SystemExit("%s is not a single ASFF finding" % p)
            self.fixtures.append((os.path.basename(p), doc))
        self.queue = []
        self.used_ids = set()
        self.used_fixtures = Counter()

    def hex(self, n, upper=False):
        h = "".join(self.rng.choice("0123456789abcdef") for _ in range(n))
        return h.upper() if upper else h

    def uuid(self):
        h = self.hex(32)
        return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], self.rng.choice("89ab"), h[17:20], h[20:32])

    def next_fixture(self):
        if not self.queue:
            q = list(range(len(self.fixtures)))
            self.rng.shuffle(q)
            self.queue = q
        return self.fixtures[self.queue.pop()]

    def variant(self, doc):
        rng = self.rng
        old_acct = doc.get("AwsAccountId")
        new_acct = rng.choice(BATCH_ACCOUNTS)
        # the finding's own Regions: ProductArn's, Region, Resources[].Region (usually one and the same)
        old_regions = [home_region(doc), doc.get("Region")] + [r.get("Region") for r in doc.get("Resources", [])]
        old_regions = sorted(set(r for r in old_regions if isinstance(r, str) and r))
        new_region = rng.choice(BATCH_REGIONS[partition_of(doc)])
        acct_re = token_re(old_acct) if old_acct else None
        # a Region code, also as the prefix of an Availability Zone name (us-east-1a -> eu-west-1a)
        region_re = (re.compile(r"(?<![A-Za-z0-9])(?:%s)([a-z]?)(?![A-Za-z0-9])" % "|".join(map(re.escape, old_regions)))
                     if old_regions else None)

        def swap(s):
            if acct_re:
                s = acct_re.sub(new_acct, s)
            if region_re:
                s = region_re.sub(lambda m: new_region + m.group(1), s)
            return s

        f = map_strings(doc, swap)
        # resource ids: short suffix, applied to every occurrence of the id in the finding
        for r in f.get("Resources", []):
            rid = r.get("Id")
            if not isinstance(rid, str) or r.get("Type") == "AwsAccount" or rid.endswith(new_acct):
                continue
            new_rid = "%s-%s" % (rid, self.hex(4))
            rid_re = re.compile(re.escape(rid) + r"(?![A-Za-z0-9_.-])")
            f = map_strings(f, lambda s, rid_re=rid_re, new_rid=new_rid: rid_re.sub(lambda _m: new_rid, s))
        # finding id: new UUID / new trailing hex, or a suffix; always unique within the batch
        old_id = f["Id"]
        new_id = old_id
        uu = list(UUID_RE.finditer(old_id))
        if uu:
            m = uu[-1]
            new_id = old_id[:m.start()] + self.uuid() + old_id[m.end():]
        else:
            m = TRAILING_HEX_RE.search(old_id)
            if m:
                h = m.group(1)
                new_id = old_id[:m.start()] + self.hex(len(h), upper=h.isupper() and not h.islower())
        while new_id in self.used_ids or new_id == doc["Id"]:
            new_id = "%s-%s" % (new_id, self.hex(8))
        if new_id != old_id:
            id_re = re.compile(re.escape(old_id) + r"(?![A-Za-z0-9_.-])")
            f = map_strings(f, lambda s: id_re.sub(lambda _m: new_id, s))
        f["Id"] = new_id
        self.shift_times(f)
        return f, new_region

    def shift_times(self, f):
        parsed = {k: parse_ts(f[k]) for k in SHIFT_FIELDS if isinstance(f.get(k), str)}
        parsed = {k: v for k, v in parsed.items() if v}
        if not parsed:
            return
        base = min(v[0] for v in parsed.values())
        distinct = sorted(set(v[0] - base for v in parsed.values()))
        span = distinct[-1]
        mapping = {}
        if span <= MAX_SPAN_MIN:
            mapping = {d: d for d in distinct}
        else:
            target = self.rng.randint(60, MAX_SPAN_MIN)
            prev = -1
            for d in distinct:
                v = (d * target) // span
                if v <= prev:
                    v = prev + 1
                mapping[d] = v
                prev = v
        new_span = max(mapping.values())
        start = self.rng.randint(NOV_START, NOV_END - new_span - 2)
        for k, (utc_min, off_min, rest) in parsed.items():
            f[k] = format_ts(start + mapping[utc_min - base], off_min, rest)

    def envelope(self, finding, region):
        # member order and shape of testdata/eventbridge/securityhub-imported-cis120-1-3.json
        upd = parse_ts(finding["UpdatedAt"])
        t = datetime.datetime.fromtimestamp(upd[0] * 60 + 60 + self.rng.randint(0, 240), datetime.timezone.utc)
        return {
            "version": "0",
            "id": self.uuid(),
            "detail-type": "Security Hub Findings - Imported",
            "source": "aws.securityhub",
            "account": finding["AwsAccountId"],
            "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": finding.get("Region") or region,
            "resources": ["%s/%s" % (finding["ProductArn"], finding["Id"])],
            "detail": {"findings": [finding]},
        }

    def build(self, count, model_fraction=0.1):
        n_model = int(round(count * model_fraction))
        slots = [True] * n_model + [False] * (count - n_model)
        self.rng.shuffle(slots)
        out = []
        for is_model in slots:
            if is_model:
                f = self.model_gen.finding()
                while f["Id"] in self.used_ids:
                    f = self.model_gen.finding()
                region = f.get("Region") or home_region(f)
                self.used_fixtures["(model)"] += 1
            else:
                name, doc = self.next_fixture()
                f, region = self.variant(doc)
                self.used_fixtures[name] += 1
            self.used_ids.add(f["Id"])
            out.append(self.envelope(f, region))
        return out


# --------------------------------------------------------------------------------------------
# Verification against the model
# --------------------------------------------------------------------------------------------


class Verifier:
    def __init__(self, model):
        self.shapes = model["shapes"]
        self.errors = Counter()    # hard: missing required members
        self.warnings = Counter()  # unknown members, type/enum/pattern mismatches
        self.examples = {}

    def note(self, bucket, key, path):
        bucket[key] += 1
        self.examples.setdefault(key, path)

    def check(self, value, shape_name, path):
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "structure":
            if s.get("document"):
                return
            if not isinstance(value, dict):
                self.note(self.warnings, "not an object: %s" % shape_name, path)
                return
            for r in s.get("required", []):
                if r not in value:
                    self.note(self.errors, "missing required %s.%s" % (shape_name, r), path)
            for k, v in value.items():
                m = s["members"].get(k)
                if m is None:
                    self.note(self.warnings, "unknown member %s.%s" % (shape_name, k), path)
                    continue
                self.check(v, m["shape"], path + "." + k)
        elif t == "list":
            if not isinstance(value, list):
                self.note(self.warnings, "not an array: %s" % shape_name, path)
                return
            for i, v in enumerate(value):
                self.check(v, s["member"]["shape"], "%s[%d]" % (path, i))
        elif t == "map":
            if not isinstance(value, dict):
                self.note(self.warnings, "not an object (map): %s" % shape_name, path)
                return
            for k, v in value.items():
                self.check(v, s["value"]["shape"], "%s[%s]" % (path, json.dumps(k, ensure_ascii=False)))
        elif t in ("string", "timestamp"):
            if not isinstance(value, str):
                self.note(self.warnings, "not a string: %s (%s)" % (shape_name, type(value).__name__), path)
                return
            if "enum" in s and value not in s["enum"]:
                self.note(self.warnings, "value not in enum %s: %r" % (shape_name, value), path)
            if "pattern" in s and not re.fullmatch(s["pattern"], value, re.S):
                self.note(self.warnings, "pattern mismatch %s" % shape_name, path)
            if len(value) < s.get("min", 0) or ("max" in s and len(value) > s["max"]):
                self.note(self.warnings, "length out of range %s" % shape_name, path)
        elif t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.note(self.warnings, "not an integer: %s (%r)" % (shape_name, value), path)
                return
            if ("min" in s and value < s["min"]) or ("max" in s and value > s["max"]):
                self.note(self.warnings, "integer out of range %s" % shape_name, path)
        elif t in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.note(self.warnings, "not a number: %s" % shape_name, path)
        elif t == "boolean":
            if not isinstance(value, bool):
                self.note(self.warnings, "not a boolean: %s (%r)" % (shape_name, value), path)


def verify_file(model, path, envelope, strict):
    v = Verifier(model)
    lines = 0
    parse_errors = 0
    ids = Counter()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            lines += 1
            try:
                doc = json.loads(line)
            except ValueError as e:
                parse_errors += 1
                print("line %d: JSON error: %s" % (n, e), file=sys.stderr)
                continue
            findings = [doc]
            if envelope:
                for k in ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"):
                    if k not in doc:
                        v.note(v.errors, "envelope lacks %s" % k, "line %d" % n)
                findings = doc.get("detail", {}).get("findings", [])
                if len(findings) != 1:
                    v.note(v.errors, "envelope holds %d findings" % len(findings), "line %d" % n)
                for fd in findings:
                    if doc.get("account") != fd.get("AwsAccountId"):
                        v.note(v.errors, "envelope account != AwsAccountId", "line %d" % n)
                    if fd.get("Region") and doc.get("region") != fd.get("Region"):
                        v.note(v.errors, "envelope region != Region", "line %d" % n)
            for fd in findings:
                ids[fd.get("Id")] += 1
                v.check(fd, FINDING_SHAPE, "line %d" % n)
    dup = sum(1 for c in ids.values() if c > 1)
    report = {"file": path, "lines": lines, "parse_errors": parse_errors, "duplicate_ids": dup,
              "errors": dict(v.errors), "warnings": dict(v.warnings),
              "first_example": {k: v.examples[k] for k in list(v.errors) + list(v.warnings)}}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    bad = parse_errors or v.errors or dup or (strict and v.warnings)
    return 1 if bad else 0


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def write_jsonl(path, docs):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")


def cmd_model(args):
    model, info = load_model()
    gen = ModelGenerator(model, random.Random("model-%d" % args.seed))
    findings = [gen.finding() for _ in range(args.count)]
    write_jsonl(args.out, findings)
    stats = gen.stats.as_dict(model, gen)
    stats.update(info)
    stats["bytes"] = os.path.getsize(args.out)
    print(json.dumps(stats, indent=2), file=sys.stderr)
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as f:
            json.dump(stats, f, indent=2)
            f.write("\n")
    return 0


def cmd_batch(args):
    model, info = load_model()
    b = BatchBuilder(model, args.seed, args.fixtures)
    envs = b.build(args.count, args.model_fraction)
    write_jsonl(args.out, envs)
    summary = {"lines": len(envs), "bytes": os.path.getsize(args.out),
               "fixture_variants": sum(c for k, c in b.used_fixtures.items() if k != "(model)"),
               "model_findings": b.used_fixtures["(model)"], "fixtures_used": len(b.used_fixtures) - 1,
               "per_source": dict(sorted(b.used_fixtures.items())), "botocore_version": info["botocore_version"]}
    print(json.dumps(summary, indent=2), file=sys.stderr)
    return 0


def cmd_verify(args):
    model, _ = load_model()
    return verify_file(model, args.path, args.envelope, args.strict)


def cmd_info(_args):
    model, info = load_model()
    print(json.dumps(info, indent=2))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="generate-findings.py", description=__doc__.split("\n\n")[0],
                                 epilog=__doc__[__doc__.index("Examples::"):],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("model", help="synthetic findings from the botocore Security Hub model (JSON lines)")
    m.add_argument("--seed", type=int, required=True, help="random seed (same seed -> byte-identical output)")
    m.add_argument("--count", type=int, required=True, help="number of findings")
    m.add_argument("--out", required=True, help="output .jsonl path")
    m.add_argument("--stats", help="also write the coverage statistics (JSON) to this path")
    m.set_defaults(func=cmd_model)
    b = sub.add_parser("batch", help="EventBridge envelopes: variants of published fixtures plus model findings")
    b.add_argument("--seed", type=int, required=True, help="random seed")
    b.add_argument("--count", type=int, required=True, help="number of envelopes (one finding each)")
    b.add_argument("--fixtures", required=True, help="directory of single-finding ASFF fixtures (*.json)")
    b.add_argument("--out", required=True, help="output .jsonl path")
    b.add_argument("--model-fraction", type=float, default=0.1, help="share of model findings (default 0.1)")
    b.set_defaults(func=cmd_batch)
    v = sub.add_parser("verify", help="check a JSON-lines file against the model")
    v.add_argument("path")
    v.add_argument("--envelope", action="store_true", help="lines are EventBridge envelopes")
    v.add_argument("--strict", action="store_true", help="also fail on unknown members / type or enum mismatches")
    v.set_defaults(func=cmd_verify)
    i = sub.add_parser("info", help="print botocore version, model path and sha256")
    i.set_defaults(func=cmd_info)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
