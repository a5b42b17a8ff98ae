#!/usr/bin/env python3
"""soar's decision pipeline against a Python anchor, on the same bytes.

The anchor is what the Python SOARs soar replaces do with each event, written
to the same logic as soar's pipeline (``soar-core``'s ``Pipeline::process``):
``json.loads`` of the EventBridge event, a scratchpad dict per finding, the
AWS Health and account-reassignment checks, the account and open-ticket
lookups (dicts, as soar's in-memory ports are maps), the six ordered decision
rules, and for a failed control the grace period, disabled controls,
suppression rules, penalty and auto-remediation checks; for an incident the
penalty and the triage priority. Both sides read the same configuration and
must reach the same decisions: the script compares their counts and stops if
they differ, so a faster soar that decides differently is caught.

The input is compact ``Security Hub Findings - Imported`` events, one finding
each, built from the published fixtures in ``testdata/asff/`` (each finding's
account replaced by one of eight made-up accounts, its ID made unique),
20,000 by default, written once to ``target/throughput/``.

Each round runs the anchor and soar's ``throughput`` binary once each, in
turn; each process reads the file into memory, decides every event once
untimed (warm-up), then ``--passes`` times timed. The script prints the
median findings per second of each side over the rounds and their ratio.

    cargo build --release -p soar-tests --bin throughput
    python3 scripts/throughput.py --rounds 7

``--prepare-only`` writes the input and prints its path, for other
measurements on the same bytes (docs/performance.md: the peak memory of
``soar process``). Standard library only (Python 3.8 or later).
"""

import argparse
import copy
import datetime
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCOUNTS = ["210987654321", "302931845561", "418270366172", "537719402283",
            "646155730394", "751602917405", "869342018516", "974120563627"]
ENVIRONMENTS = ["prod", "prod", "staging", "dev", "prod", "sandbox", "staging", "prod"]
TEAMS = ["payments", "platform", "data", "identity", "search", "labs", "data", "web"]

# The configuration both sides decide with (soar-core's `Config` JSON).
CONFIG = {
    "min_account_age_hours": 24,
    "suppress_when": [
        "environment = sandbox",
        "policy_name = EC2.8 AND team = data",
        "resource_type = AwsAccount AND environment != prod",
    ],
    "auto_remediation": {
        "enabled": True,
        "controls": ["*"],
        "suppress_when": ["resource_tag:keep = true"],
    },
    "disabled_controls": {"*": ["CloudTrail.4"], "418270366172": ["S3.1"]},
    "accounts": [
        {"id": account, "name": "%s-%s" % (team, env), "environment": env, "team": team,
         # One account joined yesterday: its failed controls are reconsidered later.
         "joined_at": "2099-01-01T00:00:00Z" if i == 7 else "2021-0%d-01T00:00:00Z" % (i + 1)}
        for i, (account, env, team) in enumerate(zip(ACCOUNTS, ENVIRONMENTS, TEAMS))
    ],
}
# The controls treated as remediable (both sides take the same list).
REMEDIABLE = ["S3.1", "S3.2", "S3.3", "S3.8", "EC2.2", "EC2.6", "EC2.8", "EC2.15",
              "RDS.1", "RDS.2", "RDS.4", "RDS.7", "IAM.8", "KMS.4", "ECR.1"]
DESTRUCTIVE = ["RDS.4", "IAM.8"]


# ---------------------------------------------------------------- the input

def build_events(count, seed):
    """`count` compact EventBridge events, one finding each, as bytes."""
    directory = os.path.join(ROOT, "testdata", "asff")
    fixtures = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                fixtures.append(json.load(f))
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        fixture = fixtures[n % len(fixtures)]
        account = rng.choice(ACCOUNTS)
        text = json.dumps(fixture, separators=(",", ":"))
        text = re.sub(r"(?<![0-9])%s(?![0-9])" % fixture["AwsAccountId"], account, text)
        finding = json.loads(text)
        finding["Id"] = "%s/variant-%d" % (finding["Id"], n)
        region = finding.get("Region") or "us-east-1"
        event = {
            "version": "0",
            "id": "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                  rng.getrandbits(12), rng.getrandbits(12),
                                                  rng.getrandbits(48)),
            "detail-type": "Security Hub Findings - Imported",
            "source": "aws.securityhub",
            "account": account,
            "time": "2026-11-%02dT%02d:%02d:%02dZ" % (1 + n % 28, n % 24, n % 60, (n * 7) % 60),
            "region": region,
            "resources": ["%s/%s" % (finding["ProductArn"], finding["Id"])],
            "detail": {"findings": [finding]},
        }
        lines.append(json.dumps(event, separators=(",", ":")).encode())
    return lines


def prepare(directory, count, seed):
    """Writes the events and the configuration once; returns their paths."""
    os.makedirs(directory, exist_ok=True)
    events = os.path.join(directory, "events-%d-seed%d.jsonl" % (count, seed))
    if not os.path.exists(events):
        with open(events + ".tmp", "wb") as f:
            f.write(b"\n".join(build_events(count, seed)) + b"\n")
        os.replace(events + ".tmp", events)
    config = os.path.join(directory, "config.json")
    with open(config, "w", encoding="utf-8") as f:
        json.dump(dict(CONFIG, auto_remediation=dict(
            CONFIG["auto_remediation"], destructive_controls=[])), f, indent=2)
    return events, config


# --------------------------------------------------------------- the anchor

HEALTH_PRODUCT = ":product/aws/health"
LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
LABEL_SCORE = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
DEV = ["DEV", "DEVELOPMENT", "DEVINT", "DI"]
STAGING = ["STAGING", "STG", "PREPROD", "PP", "TEST", "TESTING", "QA", "UAT", "SIT",
           "SYSTEMTEST", "INTEGRATION"]
PROD = ["PROD", "PRD", "PRODUCTION", "LIVE"]
TRIAGE_SEVERITY = {"CRITICAL": 40.0, "HIGH": 30.0, "MEDIUM": 20.0, "LOW": 10.0}
TRIAGE_SOURCE = {"guardduty": 1.2, "securityhub": 1.1, "other": 1.0}


def parse_rules(lines):
    """`key = v1, v2 AND key != v3` per line: a list of lists of clauses."""
    rules = []
    for number, line in enumerate(lines, 1):
        clauses = []
        for part in line.split(" AND "):
            negated = "!=" in part
            key, values = part.split("!=" if negated else "=", 1)
            clauses.append((key.strip(), negated, [v.strip().lower() for v in values.split(",")]))
        rules.append((number, line, clauses))
    return rules


def first_match(rules, facts):
    for number, line, clauses in rules:
        matched = True
        for key, negated, values in clauses:
            if key.startswith("resource_tag:"):
                fact = facts["tags"].get(key[len("resource_tag:"):])
            else:
                fact = facts.get(key)
            equal = fact is not None and fact.lower() in values
            if equal == negated:
                matched = False
                break
        if matched:
            return number, line
    return None


def arn_parts(text):
    parts = text.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def is_account_id(text):
    return len(text) == 12 and text.isdigit()


def control_id(finding):
    compliance = finding.get("Compliance") or {}
    fields = finding.get("ProductFields") or {}
    found = compliance.get("SecurityControlId")
    if found is None:
        found = fields.get("ControlId")
    if found is None:
        found = fields.get("RuleId")
    if found is None:
        generator = finding["GeneratorId"]
        if generator.startswith("security-control/"):
            found = generator[len("security-control/"):]
        elif "/v/" in generator:
            found = generator.rsplit("/", 1)[-1]
    return found or None


def severity_label(finding):
    severity = finding.get("Severity")
    if severity is None:
        return None
    if severity.get("Label") is not None:
        return severity["Label"]
    score = severity.get("Normalized")
    if score is None:
        return None
    return ("INFORMATIONAL" if score <= 0 else "LOW" if score < 40 else "MEDIUM" if score < 70
            else "HIGH" if score < 90 else "CRITICAL")


def normalized_severity(finding):
    severity = finding.get("Severity")
    if severity is None:
        return None
    if severity.get("Normalized") is not None:
        return severity["Normalized"]
    label = severity.get("Label")
    return LABEL_SCORE[label] if label is not None else None


def resource_account_id(finding):
    resources = finding["Resources"]
    if resources:
        arn = arn_parts(resources[0]["Id"])
        if arn and is_account_id(arn[4]):
            return arn[4]
    return finding["AwsAccountId"]


def resource_region(finding):
    resources = finding["Resources"]
    if resources:
        if resources[0].get("Region") is not None:
            return resources[0]["Region"]
        arn = arn_parts(resources[0]["Id"])
        if arn and arn[3]:
            return arn[3]
    if finding.get("Region") is not None:
        return finding["Region"]
    arn = arn_parts(finding["ProductArn"])
    return arn[3] if arn and arn[3] else None


def environment_factor(name):
    if name is None:
        return 1.0
    name = name.strip().upper()
    return 10.0 if name in PROD else 2.0 if name in STAGING else 1.0


def penalty(normalized, environment):
    base = (min(max(normalized, 0), 100) + 60.0) / 100.0
    return base * base * environment_factor(environment)


def hours_since(joined_at, now):
    try:
        joined = datetime.datetime.fromisoformat(joined_at.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return int((now - joined).total_seconds() // 3600)


class Anchor:
    """The decision pipeline in Python, with dicts for the in-memory ports."""

    def __init__(self, config, remediable, destructive):
        self.config = config
        self.accounts = {a["id"]: a for a in config["accounts"]}
        self.tickets = {}
        self.updates = []
        self.imported = []
        self.suppress_when = parse_rules(config["suppress_when"])
        auto = config["auto_remediation"]
        self.auto_controls = [c.upper() for c in auto["controls"]]
        self.auto_suppress_when = parse_rules(auto["suppress_when"])
        self.allowed_destructive = [c.upper() for c in auto.get("destructive_controls", [])]
        self.remediable = set(remediable)
        self.destructive = set(destructive)
        self.disabled = {k: [c.upper() for c in v] for k, v in config["disabled_controls"].items()}

    def process_event(self, raw):
        event = json.loads(raw)
        if event.get("detail-type") != "Security Hub Findings - Imported":
            raise ValueError("not a Security Hub event")
        return [self.process(finding) for finding in event["detail"]["findings"]]

    def process(self, finding):
        resource = finding["Resources"][0] if finding["Resources"] else {}
        pad = {
            "account": {"id": resource_account_id(finding)},
            "finding": finding,
            "control_id": control_id(finding),
            "tags": dict(resource.get("Tags") or {}),
            "actions": {"suppress_finding": False, "autoremediation_not_done": False,
                        "remediated": False, "reconsider_later": False,
                        "terminate_for_reprocessing": False, "contained": False},
            "messages": {"actions_taken": "None.", "actions_required": "", "ai": {}},
            "db": {},
            "decision": None,
        }
        if self.preprocess(pad):
            return pad
        account = self.accounts.get(pad["account"]["id"])
        if account is not None:
            pad["account"] = dict(account)
        else:
            pad["messages"]["actions_taken"] = "Could not look up the account: account %s is not in the configuration." % pad["account"]["id"]
        ticket = self.tickets.get(finding["Id"])
        pad["db"]["ticket"] = ticket
        open_ticket = ticket["ticket_id"] if ticket else None
        fields = finding.get("UserDefinedFields") or {}
        if open_ticket is None and (fields.get("TicketOpen") or "").lower() == "yes":
            open_ticket = fields.get("TicketId", "unknown")
        decision, reason = self.decide(finding, pad["control_id"], open_ticket)
        pad["decision"], pad["decision_reason"] = decision, reason
        if decision == "suppress_finding":
            pad["actions"]["suppress_finding"] = True
        elif decision == "failed_control":
            self.failed_control(pad)
        elif decision == "incident":
            self.incident(pad)
        return pad

    def preprocess(self, pad):
        finding = pad["finding"]
        if finding["ProductArn"].endswith(HEALTH_PRODUCT):
            label = severity_label(finding)
            kept = any(c.lower() == finding["GeneratorId"].lower()
                       for c in self.config.get("health_keep_severity", []))
            if label not in (None, "INFORMATIONAL") and not kept:
                self.updates.append({"findings": [finding["Id"]], "severity": "INFORMATIONAL"})
                pad["actions"]["terminate_for_reprocessing"] = True
                pad["decision"] = "do_nothing"
                pad["decision_reason"] = "AWS Health notification reclassified as INFORMATIONAL; Security Hub will send it again"
                return True
        if not self.config.get("reassign_accounts", True) or "-reassigned-" in finding["Id"]:
            return False
        owner = (finding.get("ProductFields") or {}).get("ResourceOwnerAccount")
        if owner is None or not is_account_id(owner):
            owner = None
            for resource in finding["Resources"]:
                arn = arn_parts(resource["Id"])
                if arn and is_account_id(arn[4]):
                    owner = arn[4]
                    break
        if owner is None or owner == finding["AwsAccountId"]:
            return False
        moved = copy.deepcopy(finding)
        moved["Id"] = "%s-reassigned-%s" % (finding["Id"], owner)
        moved["AwsAccountId"] = owner
        fields = moved.setdefault("ProductFields", {})
        fields["soar/OriginalFindingId"] = finding["Id"]
        for member in ("Workflow", "UserDefinedFields", "Note"):
            moved.pop(member, None)
        self.imported.append(moved)
        pad["actions"]["suppress_finding"] = True
        pad["actions"]["terminate_for_reprocessing"] = True
        pad["decision"] = "suppress_finding"
        pad["decision_reason"] = "the resource belongs to account %s" % owner
        return True

    def decide(self, finding, control, open_ticket):
        if not self.config.get("enabled", True):
            return "do_nothing", "soar is disabled in the configuration"
        workflow = (finding.get("Workflow") or {}).get("Status")
        compliance = (finding.get("Compliance") or {}).get("Status")
        why = None
        if finding.get("RecordState") == "ARCHIVED":
            why = "the finding is archived"
        elif workflow == "SUPPRESSED":
            why = "the finding is suppressed"
        elif workflow == "RESOLVED":
            why = "the finding is resolved"
        elif workflow == "NOTIFIED" and compliance == "PASSED":
            why = "the control passes again (NOTIFIED with compliance PASSED)"
        if why is not None:
            if open_ticket is not None:
                return "close_ticket", "%s, so ticket %s can be closed" % (why, open_ticket)
            return "do_nothing", "%s and no ticket is open" % why
        if workflow == "NOTIFIED":
            return "do_nothing", "the owning team has been notified already"
        if compliance in ("WARNING", "NOT_AVAILABLE"):
            return "suppress_finding", "the control check could not decide (compliance %s)" % compliance
        if control is not None:
            if compliance == "PASSED":
                return "do_nothing", "control %s passes" % control
            return "failed_control", "control %s fails" % control
        if self.config.get("defer_incidents", False):
            return "do_nothing", "incidents are deferred in the configuration"
        return "incident", "the finding is not a control check, so it is an incident"

    def failed_control(self, pad):
        finding, account = pad["finding"], pad["account"]
        control = pad["control_id"]
        grace = self.config.get("min_account_age_hours", 0)
        age = hours_since(account.get("joined_at"), datetime.datetime.now(datetime.timezone.utc))
        if age is not None and age < grace:
            return self.control_action(pad, "reconsider_later", "account %s is %d h old" % (account["id"], age))
        upper = control.upper()
        if upper in self.disabled.get("*", []) or upper in self.disabled.get(account["id"], []):
            return self.control_action(pad, "suppress", "the control is disabled for account %s" % account["id"])
        resource = finding["Resources"][0] if finding["Resources"] else None
        facts = {
            "account_id": resource_account_id(finding), "region": resource_region(finding),
            "client": account.get("client"), "environment": account.get("environment"),
            "organizational_unit": account.get("organizational_unit"),
            "project_name": account.get("project"), "team": account.get("team"),
            "policy_name": control, "resource_type": resource["Type"] if resource else None,
            "tags": dict((resource or {}).get("Tags") or {}),
        }
        rule = first_match(self.suppress_when, facts)
        if rule is not None:
            return self.control_action(pad, "suppress", "suppressed by local rule on line %d: %s" % rule)
        pad["penalty_score"] = penalty(normalized_severity(finding) or 0, account.get("environment"))
        if control not in self.remediable:
            return self.control_action(pad, "ticket", "no automatic remediation exists for it")
        if not any(c == "*" or c == upper for c in self.auto_controls):
            return self.control_action(pad, "ticket", "auto-remediation is not enabled for it")
        if control in self.destructive and upper not in self.allowed_destructive:
            return self.control_action(pad, "ticket", "its remediation is destructive")
        rule = first_match(self.auto_suppress_when, facts)
        if rule is not None:
            return self.control_action(pad, "ticket", "auto-remediation is suppressed by rule on line %d: %s" % rule)
        return self.control_action(pad, "remediate", "it is remediated automatically")

    @staticmethod
    def control_action(pad, action, reason):
        pad["control_action"] = action
        pad["decision_reason"] = "%s: %s" % (pad["decision_reason"], reason)
        if action == "suppress":
            pad["actions"]["suppress_finding"] = True
        elif action == "reconsider_later":
            pad["actions"]["reconsider_later"] = True

    def incident(self, pad):
        finding = pad["finding"]
        pad["penalty_score"] = penalty(normalized_severity(finding) or 0, pad["account"].get("environment"))
        label = severity_label(finding) or "INFORMATIONAL"
        source = "guardduty" if "/aws/guardduty" in finding["ProductArn"] else "securityhub"
        priority = min(max(TRIAGE_SEVERITY.get(label, 0.0) * TRIAGE_SOURCE[source], 0.0), 100.0)
        pad["triage"] = {"priority": priority, "threat_score": None,
                         "requires_human_review": priority >= 80.0,
                         "auto_remediate": priority >= 90.0}


def run_anchor(events_path, config_path, passes):
    """One process of the anchor: decides every event once untimed, then
    `passes` times timed; prints the rate and the decisions as JSON."""
    with open(events_path, "rb") as f:
        lines = [line for line in f.read().split(b"\n") if line.strip()]
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    anchor = Anchor(config, REMEDIABLE, DESTRUCTIVE)
    decisions = Counter()
    for raw in lines:
        for pad in anchor.process_event(raw):
            decisions[pad.get("control_action") or pad["decision"]] += 1
    start = time.perf_counter()
    for _ in range(passes):
        for raw in lines:
            anchor.process_event(raw)
    seconds = time.perf_counter() - start
    print(json.dumps({"findings": len(lines) * passes, "seconds": seconds,
                      "decisions": dict(sorted(decisions.items()))}))


# -------------------------------------------------------------- the sitting

def measure(command):
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rate"] = result["findings"] / result["seconds"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000, help="events to decide (default 20000)")
    parser.add_argument("--seed", type=int, default=15, help="seed of the input (default 15)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes per process (default 3)")
    parser.add_argument("--soar", default=os.path.join(ROOT, "target", "release", "throughput"),
                        help="soar's throughput binary (default target/release/throughput)")
    parser.add_argument("--prepare-only", action="store_true",
                        help="write the events and the configuration, print their paths, and stop")
    parser.add_argument("--anchor", nargs=2, metavar=("EVENTS", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.anchor:
        return run_anchor(args.anchor[0], args.anchor[1], args.passes)

    events, config = prepare(os.path.join(ROOT, "target", "throughput"), args.events, args.seed)
    if args.prepare_only:
        print(events)
        print(config)
        return None
    size = os.path.getsize(events)
    print("input: %s (%d events, %.1f MB, %.0f bytes per event)" % (
        os.path.relpath(events, ROOT), args.events, size / 1e6, size / args.events))
    anchor = [sys.executable, os.path.abspath(__file__), "--passes", str(args.passes),
              "--anchor", events, config]
    soar = [args.soar, "--passes", str(args.passes), "--remediable", ",".join(REMEDIABLE),
            "--destructive", ",".join(DESTRUCTIVE), events, config]
    rates = {"python": [], "soar": []}
    decisions = {}
    for round_number in range(1, args.rounds + 1):
        for name, command in (("python", anchor), ("soar", soar)):
            result = measure(command)
            rates[name].append(result["rate"])
            decisions[name] = result["decisions"]
            print("round %d: %-6s %9.0f findings/s" % (round_number, name, result["rate"]), flush=True)
        if decisions["python"] != decisions["soar"]:
            sys.exit("the two decided differently:\n python %s\n soar   %s" % (
                decisions["python"], decisions["soar"]))
    python, soar = statistics.median(rates["python"]), statistics.median(rates["soar"])
    print("decisions (both): %s" % ", ".join("%d %s" % (n, d) for d, n in decisions["soar"].items()))
    print("median: python %.0f findings/s, soar %.0f findings/s; soar / python = %.2fx" % (
        python, soar, soar / python))


if __name__ == "__main__":
    main()
