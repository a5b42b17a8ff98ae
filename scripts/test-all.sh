#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, docs, every test
# in the workspace, cfn-lint on the generated deployment templates, then the
# remediations against a real AWS emulator (moto's server mode, run on
# 127.0.0.1). cfn-lint and moto are installed from PyPI into .venv. Run from
# anywhere; needs cargo and python3.
#
# Every cargo step uses the same features (--workspace --all-features), so
# the AWS SDK crates resolve once and are not compiled twice over.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --locked

step "per-service features compile only their own SDK (and STS, for sessions)"
for feature in s3 kms ecr dynamodb ec2 elbv2 ecs iam rds; do
  sdks=$(cargo tree -p soar-remediate --no-default-features --features "$feature" -e normal --prefix none --locked \
    | grep -oE '^aws-sdk-[a-z0-9]+' | sort -u | tr '\n' ' ')
  case "$feature" in
    s3) expected="aws-sdk-s3 aws-sdk-s3control aws-sdk-sts " ;;
    # EC2.6 creates its flow-logs role and log group.
    ec2) expected="aws-sdk-cloudwatchlogs aws-sdk-ec2 aws-sdk-iam aws-sdk-sts " ;;
    # ELB.5 grants log delivery on the log bucket: elbv2 turns on s3.
    elbv2) expected="aws-sdk-elasticloadbalancingv2 aws-sdk-s3 aws-sdk-s3control aws-sdk-sts " ;;
    # RDS.6 creates its enhanced-monitoring role.
    rds) expected="aws-sdk-iam aws-sdk-rds aws-sdk-sts " ;;
    *) expected=$(printf '%s\n' "aws-sdk-$feature" aws-sdk-sts | sort | tr '\n' ' ') ;;
  esac
  if [ "$sdks" != "$expected" ]; then
    echo "soar-remediate with only '$feature' builds: $sdks(expected: $expected)" >&2
    exit 1
  fi
done

step "each service feature alone builds without warnings"
for feature in "" s3 kms ecr dynamodb ec2 elbv2 ecs iam rds; do
  cargo clippy --locked -p soar-remediate --no-default-features ${feature:+--features "$feature"} -- -D warnings
done
for feature in "" organizations securityhub dynamodb sts; do
  cargo clippy --locked -p soar-core --no-default-features ${feature:+--features "$feature"} -- -D warnings
done
# A crate that builds no AWS SDK at all without features.
# (grep finds nothing when all is well: `|| true`, or pipefail ends the run.)
no_sdk_without_features() {
  local sdks
  sdks=$(cargo tree -p "$1" --no-default-features -e normal --prefix none --locked \
    | { grep -oE '^aws-sdk-[a-z0-9]+' || true; } | sort -u | tr '\n' ' ')
  if [ -n "$sdks" ]; then
    echo "$1 without features builds: $sdks(expected: none)" >&2
    exit 1
  fi
}
# soar-incident without its playbooks.
no_sdk_without_features soar-incident
for feature in "" ec2 iam s3; do
  cargo clippy --locked -p soar-incident --no-default-features ${feature:+--features "$feature"} -- -D warnings
done

# soar-tickets: each system alone, and each credential store alone with
# its one SDK.
for feature in "" jira servicenow ssm secretsmanager; do
  cargo clippy --locked -p soar-tickets --no-default-features ${feature:+--features "$feature"} -- -D warnings
done

# soar-ai: without features no AWS SDK (the offline model, the prompts, the
# anonymiser, the report and the mail texts); each feature its one SDK.
no_sdk_without_features soar-ai
for feature in "" bedrock ses sns; do
  cargo clippy --locked -p soar-ai --no-default-features ${feature:+--features "$feature"} -- -D warnings
done

step "cargo test"
cargo test --workspace --all-features --locked

# Each published crate as crates.io and docs.rs would get it: packaged,
# unpacked, and checked, documented and (soar-asff) tested from the package
# alone. The `publish = false` members (examples/, tests/) are left out:
# cargo's registry of the workspace's not-yet-published crates only takes
# publishable ones. Cargo's own verification (a full build of each package
# in a directory of its own, 10 minutes from scratch here) is replaced by
# `cargo check` of each unpacked package in the target directory that the
# per-feature checks above filled: the same compile errors, in a minute. A
# packaged manifest has no profile, so dependencies are built without debug
# info here as in the workspace's dev profile.
step "cargo package: the published crates check, document and test from their packages"
nodebug=(--config 'profile.dev.package."*".debug=false')
# Where cargo puts the packages, their version, and the published crates
# (the members without `publish = false`), as cargo says.
read -r target version published_list < <(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
published = [p["name"] for p in meta["packages"] if p["publish"] != []]
print(meta["target_directory"], next(p["version"] for p in meta["packages"] if p["name"] == "soar-asff"), ",".join(published))')
: "${version:?cannot read the version of the published crates}"
IFS=, read -r -a published <<< "$published_list"
cargo package --no-verify --locked "${published[@]/#/--package=}"
# Unpacked afresh every run, in a directory whose name ends in `target`:
# cargo looks for no workspace above a `target/package` directory.
unpacked="$target/unpacked/target/package"
rm -rf "$unpacked"
mkdir -p "$unpacked"
for crate in "${published[@]}"; do
  tar -xzf "$target/package/$crate-$version.crate" -C "$unpacked"
done
# crates.io has an unrelated `soar-core` (0.18), which a package's Cargo.lock
# may resolve `soar-core = "0.1.0"` to: each package's soar dependencies are
# pinned to this exact version, which only the patches below provide.
python3 - "$unpacked" "$version" "${published[@]}" <<'PY'
import pathlib, re, sys
root, version, crates = sys.argv[1], sys.argv[2], sys.argv[3:]
for crate in crates:
    manifest = pathlib.Path(root, f"{crate}-{version}", "Cargo.toml")
    text = manifest.read_text()
    for other in crates:
        section = rf"(\[(?:dev-|build-)?dependencies\.{re.escape(other)}\]\n(?:[^\[\n][^\n]*\n)*?)"
        text = re.sub(section + rf'version = "{re.escape(version)}"', rf'\g<1>version = "={version}"', text)
    manifest.write_text(text)
PY
# Each package alone, with its soar dependencies taken from the other
# packages (not crates.io, where this version may not be yet). Default
# features: the per-feature builds are checked by the workspace's clippy
# runs above, and the packages' test-util builds would cost minutes.
for crate in "${published[@]}"; do
  patches=()
  for other in "${published[@]}"; do
    if [ "$other" != "$crate" ]; then
      patches+=(--config "patch.crates-io.$other.path=\"$unpacked/$other-$version\"")
    fi
  done
  (cd "$unpacked/$crate-$version" && CARGO_TARGET_DIR="$target" \
    cargo check --quiet "${nodebug[@]}" "${patches[@]}")
  (cd "$unpacked/$crate-$version" && CARGO_TARGET_DIR="$target" RUSTDOCFLAGS="-D warnings" \
    cargo doc --no-deps --quiet "${nodebug[@]}" "${patches[@]}")
done
(cd "$unpacked/soar-asff-$version" && CARGO_TARGET_DIR="$target" cargo test --features proptest --quiet "${nodebug[@]}")

# `cargo test` has checked that the committed templates are the generated
# ones; this checks them against CloudFormation's and SAM's schemas.
step "cfn-lint on examples/template.yaml and examples/stackset-role.yaml"
CFN_LINT_VERSION="1.58.0"
if ! .venv/bin/python -c "import cfnlint.version, sys; sys.exit(cfnlint.version.__version__ != '$CFN_LINT_VERSION')" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
fi
.venv/bin/cfn-lint examples/template.yaml examples/stackset-role.yaml

step "AWS emulator tests (moto server on 127.0.0.1)"
MOTO_VERSION="5.2.5"
if ! .venv/bin/python -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p target
# No default AMIs: moto would otherwise give every Region about 1,300 public
# images' snapshots owned by the test account, and EC2.1's test needs an
# account whose only public snapshots are the ones it made. AWS's managed
# IAM policies loaded: RDS.6 attaches AmazonRDSEnhancedMonitoringRole.
MOTO_EC2_LOAD_DEFAULT_AMIS=false MOTO_IAM_LOAD_MANAGED_POLICIES=true .venv/bin/moto_server -H 127.0.0.1 -p "$port" > target/moto.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    break
  fi
  sleep 0.5
done
# Only the emulator's endpoint and fake credentials: nothing can reach AWS.
env -u AWS_PROFILE -u AWS_SESSION_TOKEN \
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  cargo test --workspace --all-features --locked --test emulator -- --ignored
