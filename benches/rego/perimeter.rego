# The load benchmark's Rego peer: the data-perimeter checks as a seasoned Gatekeeper author would
# write them over the raw policy text, for the same perimeter as manifests/examples/dataperimeter.yaml.
#
# What it misses that Perimeter Guard's reasoner catches (the reason the comparison is about speed
# only): NotPrincipal and NotAction; principals given as account ARNs or roots of other accounts;
# conditions that only look right (ForAnyValue on a single-valued key, IfExists, a Null test, a
# wildcard organisation id, the condition on the wrong key); Deny statements that carve the
# perimeter back; policy variables; the resource and network perimeters; Crossplane classic's
# structured policies; and any witness request.
package perimeter

import rego.v1

trusted_orgs := {"o-abc123def4"}

trusted_endpoints := {"vpce-1a2b3c4d"}

allowed_services := ["com.amazonaws.*.s3", "com.amazonaws.*.sts", "com.amazonaws.*.ecr.*"]

obj := input.request.object

policy_texts contains p if {
	some path in [["spec", "policyDocument"], ["spec", "policy"], ["spec", "forProvider", "policy"], ["spec", "initProvider", "policy"]]
	p := object.get(obj, path, "")
	is_string(p)
	p != ""
}

statements contains s if {
	some text in policy_texts
	json.is_valid(text)
	doc := json.unmarshal(text)
	is_array(doc.Statement)
	some s in doc.Statement
}

statements contains s if {
	some text in policy_texts
	json.is_valid(text)
	doc := json.unmarshal(text)
	is_object(doc.Statement)
	s := doc.Statement
}

public(s) if s.Principal == "*"

public(s) if s.Principal.AWS == "*"

public(s) if {
	is_array(s.Principal.AWS)
	"*" in s.Principal.AWS
}

guarded(s) if {
	some op, keys in s.Condition
	some key, value in keys
	lower(key) == "aws:principalorgid"
	some v in as_list(value)
	v in trusted_orgs
}

guarded(s) if {
	some op, keys in s.Condition
	some key, value in keys
	lower(key) == "aws:sourcevpce"
	some v in as_list(value)
	v in trusted_endpoints
}

as_list(v) := v if is_array(v)

as_list(v) := [v] if not is_array(v)

deny contains msg if {
	some s in statements
	s.Effect == "Allow"
	public(s)
	not guarded(s)
	msg := sprintf("statement %v allows any principal without an organisation or endpoint condition", [object.get(s, "Sid", "")])
}

# A policy that is not JSON cannot be checked: fail closed.
deny contains "policy is not valid JSON" if {
	some text in policy_texts
	not json.is_valid(text)
}

deny contains "VPC endpoint without a policy" if {
	obj.kind == "VPCEndpoint"
	startswith(obj.apiVersion, "ec2.services.k8s.aws/")
	count(policy_texts) == 0
}

deny contains msg if {
	obj.kind == "VPCEndpoint"
	name := object.get(obj, ["spec", "serviceName"], object.get(obj, ["spec", "forProvider", "serviceName"], ""))
	name != ""
	not service_allowed(name)
	msg := sprintf("service %v is not allowed", [name])
}

service_allowed(name) if {
	some pattern in allowed_services
	glob.match(pattern, ["."], name)
}

deny contains "Block Public Access is off" if {
	object.get(obj, ["spec", "publicAccessBlock", "blockPublicPolicy"], true) == false
}
