//! `DataPerimeter` (`perimeterguard.io/v1alpha1`): the same YAML whether it is a file, a mounted
//! ConfigMap or a cluster-scoped custom resource. Validated strictly; every error names the field.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::iam::condition::parse_cidr;
use crate::iam::pattern;
use crate::iam::reasoner::{BucketMode, Perimeter, ServiceSources, ThirdParty};

pub const API_VERSION: &str = "perimeterguard.io/v1alpha1";
pub const KIND: &str = "DataPerimeter";

/// A configuration that cannot be used, with the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {field}: {message}")]
pub struct ConfigError {
    /// The file (or object) the configuration came from.
    pub source_name: String,
    /// `spec.identity.trustedAccounts[1]`, or `(document)` for the whole document: the same
    /// syntax for a value of the wrong type and for one of the wrong form (see `config/path.rs`).
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataPerimeter {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: DataPerimeterSpec,
    #[serde(skip)]
    #[schemars(skip)]
    compiled: Compiled,
}

/// The reasoner's perimeter, built from the spec on first use and kept with it: every object
/// the webhook checks under this configuration uses it, and building it (the AWS-owned resource
/// sets, the bucket index) costs more than many analyses. A clone starts empty, so a copy that
/// is changed afterwards never sees a perimeter built from the original.
#[derive(Default)]
struct Compiled(std::sync::OnceLock<std::sync::Arc<Perimeter>>);

impl Clone for Compiled {
    fn clone(&self) -> Self {
        Self::default()
    }
}

// Equality is the spec's: the cell is derived from it.
impl PartialEq for Compiled {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compiled")
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// What Perimeter Guard made of the object, in the Kubernetes condition convention.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataPerimeterStatus {
    #[serde(default)]
    pub conditions: Vec<StatusCondition>,
}

/// `Accepted` is `True` when the object is in force, `False` (reason `Invalid`) with the error
/// otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusCondition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: String,
    pub message: String,
    #[serde(default)]
    pub observed_generation: i64,
    /// RFC 3339.
    pub last_transition_time: String,
}

/// What is inside the perimeter, and how strictly bucket policies are judged.
// The derive also defines the cluster-scoped custom resource (`DataPerimeterResource`), so the
// CRD's schema is this type's and cannot drift from what the files accept.
#[derive(
    Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema, kube::CustomResource,
)]
#[kube(
    group = "perimeterguard.io",
    version = "v1alpha1",
    kind = "DataPerimeter",
    root = "DataPerimeterResource",
    status = "DataPerimeterStatus",
    shortname = "dp",
    doc = "A data perimeter: the trusted identities, resources and networks, and how Perimeter Guard enforces them.",
    category = "perimeter-guard",
    printcolumn = r#"{"name":"Enforcement","type":"string","jsonPath":".spec.enforcement"}"#,
    printcolumn = r#"{"name":"Accepted","type":"string","jsonPath":".status.conditions[?(@.type==\"Accepted\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataPerimeterSpec {
    /// Facts, not trust: accounts known to be members of an organization. An account listed
    /// here has that organization in every derived key (`aws:PrincipalOrgID`,
    /// `aws:ResourceOrgID`, `aws:SourceOrgID`, `aws:VpceOrgID`); an account not listed may be in
    /// any organization or none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organizations: Vec<OrganizationFacts>,
    /// Trusted identities.
    #[serde(default)]
    pub identity: IdentitySpec,
    /// Trusted resources; the identity lists when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourcesSpec>,
    /// Expected networks.
    #[serde(default)]
    pub network: NetworkSpec,
    /// The escape hatches AWS's own data-perimeter examples use.
    #[serde(default)]
    pub exceptions: ExceptionsSpec,
    /// Grant: a bucket policy must not grant outside the perimeter. Enforce: it must also deny
    /// everything outside it with its own Deny statements.
    #[serde(default)]
    pub bucket_policy_mode: BucketPolicyMode,
    /// Where and how VPC endpoints may be placed.
    #[serde(default)]
    pub vpc_endpoints: VpcEndpointsSpec,
    /// Requirements on bucket policies beyond the perimeter.
    #[serde(default)]
    pub bucket_policies: BucketPoliciesSpec,
    /// What a finding does: Deny rejects, Warn admits with a warning, Audit admits silently and
    /// records.
    #[serde(default)]
    pub enforcement: Enforcement,
    /// Per-rule enforcement overrides, by rule id (`DP-EP-001: Warn`).
    #[serde(default)]
    pub rules: BTreeMap<String, Enforcement>,
    /// Which objects this perimeter applies to; all checked objects when omitted.
    #[serde(default, rename = "match")]
    pub match_: MatchSpec,
}

/// Deny rejects the object; Warn admits it with warnings; Audit admits it and only records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, JsonSchema,
)]
pub enum Enforcement {
    Audit,
    Warn,
    #[default]
    Deny,
}

impl Enforcement {
    pub const ALL: [Enforcement; 3] = [Enforcement::Deny, Enforcement::Warn, Enforcement::Audit];

    /// The name as written in a DataPerimeter (`Deny`, `Warn`, `Audit`).
    pub fn name(self) -> &'static str {
        match self {
            Enforcement::Deny => "Deny",
            Enforcement::Warn => "Warn",
            Enforcement::Audit => "Audit",
        }
    }
}

/// Findings counted by their enforcement. Serialised as a map from the enforcement's name to its
/// count, without the enforcements never seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnforcementCounts {
    pub deny: usize,
    pub warn: usize,
    pub audit: usize,
}

impl EnforcementCounts {
    pub fn add(&mut self, e: Enforcement) {
        *self.get_mut(e) += 1;
    }

    pub fn get(&self, e: Enforcement) -> usize {
        match e {
            Enforcement::Deny => self.deny,
            Enforcement::Warn => self.warn,
            Enforcement::Audit => self.audit,
        }
    }

    fn get_mut(&mut self, e: Enforcement) -> &mut usize {
        match e {
            Enforcement::Deny => &mut self.deny,
            Enforcement::Warn => &mut self.warn,
            Enforcement::Audit => &mut self.audit,
        }
    }

    /// Whether any finding is at least as strict as `threshold`.
    pub fn any_at_least(&self, threshold: Enforcement) -> bool {
        Enforcement::ALL
            .iter()
            .any(|&e| e >= threshold && self.get(e) > 0)
    }

    /// The enforcements seen, by name, in name order.
    pub fn seen(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        [Enforcement::Audit, Enforcement::Deny, Enforcement::Warn]
            .into_iter()
            .map(|e| (e.name(), self.get(e)))
            .filter(|&(_, n)| n > 0)
    }
}

impl Serialize for EnforcementCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.seen())
    }
}

/// Placement rules for VPC endpoints. An empty list means "no restriction".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VpcEndpointsSpec {
    /// Service-name patterns with `*` and `?`, e.g. `com.amazonaws.*.s3`.
    #[serde(default)]
    pub allowed_services: Vec<String>,
    /// Endpoint types, e.g. `Interface`, `Gateway` (an endpoint without a type is a Gateway).
    #[serde(default)]
    pub allowed_types: Vec<String>,
    /// Interface endpoints must enable private DNS.
    #[serde(default = "yes")]
    pub require_private_dns: bool,
    #[serde(default)]
    pub allowed_vpcs: Vec<String>,
    #[serde(default)]
    pub allowed_subnets: Vec<String>,
    #[serde(default)]
    pub allowed_security_groups: Vec<String>,
    /// Regions an endpoint may reach a service in through `serviceRegion` (cross-region
    /// endpoints); none when empty.
    #[serde(default)]
    pub allowed_service_regions: Vec<String>,
}

impl Default for VpcEndpointsSpec {
    fn default() -> Self {
        VpcEndpointsSpec {
            allowed_services: Vec::new(),
            allowed_types: Vec::new(),
            require_private_dns: true,
            allowed_vpcs: Vec::new(),
            allowed_subnets: Vec::new(),
            allowed_security_groups: Vec::new(),
            allowed_service_regions: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BucketPoliciesSpec {
    /// Bucket policies must deny requests without TLS (`aws:SecureTransport` = false).
    #[serde(default)]
    pub require_secure_transport: bool,
}

/// Which objects a perimeter applies to. Empty lists mean "all".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatchSpec {
    /// Kinds, e.g. `VPCEndpoint`, `BucketPolicy`.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Namespaces of namespaced objects (cluster-scoped objects always match).
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub exclude_namespaces: Vec<String>,
    /// A Kubernetes label selector the object's labels must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
}

/// A Kubernetes label selector: every `matchLabels` pair and every expression must hold.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub match_expressions: Vec<LabelExpression>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelExpression {
    pub key: String,
    pub operator: LabelOperator,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LabelOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelector {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator {
                    LabelOperator::In => value.is_some_and(|v| e.values.contains(v)),
                    LabelOperator::NotIn => value.is_none_or(|v| !e.values.contains(v)),
                    LabelOperator::Exists => value.is_some(),
                    LabelOperator::DoesNotExist => value.is_none(),
                }
            })
    }
}

/// Known members of one organization (not necessarily all of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganizationFacts {
    /// The organization id (`o-` and 10 to 32 lower-case letters or digits).
    pub id: String,
    /// Accounts known to be members (12 digits); an account belongs to one organization at most.
    #[serde(default)]
    pub accounts: Vec<String>,
}

/// Whom an AWS service principal must act for to be trusted (confused-deputy protection).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePrincipalSources {
    /// `aws:SourceOrgID` values: the organizations whose resources a service may act for.
    #[serde(default)]
    pub organizations: Vec<String>,
    /// `aws:SourceAccount` values: the accounts whose resources a service may act for.
    #[serde(default)]
    pub accounts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentitySpec {
    /// `aws:PrincipalOrgID` values of trusted principals (`o-` and 10 to 32 lower-case letters or digits).
    #[serde(default)]
    pub trusted_organizations: Vec<String>,
    /// `aws:PrincipalAccount` values of trusted principals (12 digits).
    #[serde(default)]
    pub trusted_accounts: Vec<String>,
    /// `aws:PrincipalOrgPaths` prefixes of trusted principals: principals in one of these OUs or
    /// below are trusted (`o-…/r-…/` and `ou-…/` entries, ending with `/`).
    #[serde(default)]
    pub trusted_org_paths: Vec<String>,
    /// Principals in one of these OUs or below are never trusted, whatever list would trust them.
    #[serde(default)]
    pub excluded_org_paths: Vec<String>,
    /// Accounts whose principals are never trusted, even inside a trusted organisation or
    /// listed in `trustedAccounts` (12 digits).
    #[serde(default)]
    pub excluded_accounts: Vec<String>,
    /// Whether AWS service principals (`aws:PrincipalIsAWSService` = true) are inside.
    #[serde(default = "yes")]
    pub trust_aws_service_principals: bool,
    /// When given, a service principal acting for a resource (its request carries
    /// `aws:SourceAccount`) is trusted only when it acts for one of these; a service request
    /// without source keys stays trusted, as in AWS's own confused-deputy statements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_sources: Option<ServicePrincipalSources>,
}

impl Default for IdentitySpec {
    fn default() -> Self {
        IdentitySpec {
            trusted_organizations: Vec::new(),
            trusted_accounts: Vec::new(),
            trusted_org_paths: Vec::new(),
            excluded_org_paths: Vec::new(),
            excluded_accounts: Vec::new(),
            trust_aws_service_principals: true,
            service_principal_sources: None,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourcesSpec {
    /// Organisations whose resources are inside (defaults to the identity list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_organizations: Option<Vec<String>>,
    /// Accounts whose resources are inside (defaults to the identity list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_accounts: Option<Vec<String>>,
    /// OUs whose accounts' resources, in them or below, are inside (`aws:ResourceOrgPaths`;
    /// defaults to the identity list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_org_paths: Option<Vec<String>>,
    /// OUs whose accounts' resources are never inside (defaults to the identity list; `[]`
    /// excludes none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_org_paths: Option<Vec<String>>,
    /// Accounts whose resources are never inside, whatever list would place them there
    /// (defaults to the identity list; `[]` excludes none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_accounts: Option<Vec<String>>,
    /// ARN patterns outside the organisation that trusted identities may reach, e.g. AWS-owned
    /// buckets (`arn:aws:s3:::amazonlinux.*.amazonaws.com/*`).
    #[serde(default)]
    pub allowed_resources: Vec<String>,
    /// Named sets of AWS-owned buckets that trusted identities may reach, as `allowedResources`
    /// does: each set lists its buckets by name, one per Region, with the AWS pages it comes from
    /// (docs/configuration.md). `amazon-linux-repositories`: the Amazon Linux package
    /// repositories. `ecr-image-layers`: the buckets of Amazon ECR image layers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "aws_owned_names")]
    pub aws_owned_resources: Vec<String>,
}

/// The schema of `awsOwnedResources`: the set names, so that the CRD refuses any other.
fn aws_owned_names(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {"type": "string", "enum": super::aws_owned::names()},
    })
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkSpec {
    /// `aws:SourceVpce` values (`vpce-` and 8 or 17 hexadecimal digits).
    #[serde(default)]
    pub allowed_vpc_endpoints: Vec<String>,
    /// `aws:SourceVpc` values (`vpc-` and 8 or 17 hexadecimal digits).
    #[serde(default)]
    pub allowed_vpcs: Vec<String>,
    /// `aws:SourceIp` CIDR blocks (IPv4 or IPv6).
    #[serde(default)]
    pub allowed_source_ips: Vec<String>,
    /// `aws:VpceOrgID` values: any VPC endpoint owned by an account of one of these
    /// organizations is an expected network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_endpoint_organizations: Vec<String>,
    /// `aws:VpceAccount` values: any VPC endpoint owned by one of these accounts is an expected
    /// network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_endpoint_accounts: Vec<String>,
    /// `aws:VpceOrgPaths` prefixes: any VPC endpoint owned by an account in one of these OUs or
    /// below is an expected network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_endpoint_org_paths: Vec<String>,
    /// `aws:SourceVpcArn` patterns (`arn:aws:ec2:<region>:<account>:vpc/<vpc-id>`, `*` and `?`
    /// allowed): requests through an endpoint in one of these VPCs come from an expected network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_vpc_arns: Vec<String>,
    /// When given, the network perimeter applies only to principals carrying one of these tags
    /// (AWS's opt-in rollout, `aws:PrincipalTag/dp:include:network`); absent: to every principal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applies_to_principal_tags: Vec<PrincipalTag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrincipalTag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExceptionsSpec {
    /// Organisation principals carrying one of these tags are exempt from the listed perimeters.
    #[serde(default)]
    pub principal_tags: Vec<PrincipalTagException>,
    /// Organisation principals whose `aws:PrincipalArn` matches one of these patterns are exempt
    /// from the listed perimeters (e.g. `arn:aws:iam::*:role/aws:ec2-infrastructure` from the
    /// network perimeter).
    #[serde(default)]
    pub principal_arns: Vec<PrincipalArnException>,
    /// Resources carrying one of these tags (`aws:ResourceTag`) are exempt from the listed
    /// perimeters (`identity` and/or `network`), when they are inside the resource perimeter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_tags: Vec<ResourceTagException>,
    /// When given, requests a service makes with a principal's credentials
    /// (`aws:ViaAWSService`) are exempt from the network perimeter only when `aws:CalledVia`
    /// holds one of these services (`athena.amazonaws.com`); absent: any service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_aws_services: Option<Vec<String>>,
    /// Third-party accounts that may reach their own listed resources.
    #[serde(default)]
    pub third_parties: Vec<ThirdPartyException>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceTagException {
    pub key: String,
    pub value: String,
    /// Which perimeters the tagged resource is exempt from: `identity` and/or `network` (a tag
    /// is set by the resource's owner, so it cannot exempt from the resource perimeter).
    pub perimeters: Vec<ExemptPerimeter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrincipalTagException {
    pub key: String,
    pub value: String,
    /// Which perimeters the tag exempts from: `resource` (the default) and/or `network`.
    #[serde(default = "resource_only")]
    pub perimeters: Vec<ExemptPerimeter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrincipalArnException {
    /// An ARN pattern (`*` and `?`) of IAM principals: a role's ARN for its sessions.
    pub pattern: String,
    /// Which perimeters the principals are exempt from: `resource` (the default) and/or `network`.
    #[serde(default = "resource_only")]
    pub perimeters: Vec<ExemptPerimeter>,
}

fn resource_only() -> Vec<ExemptPerimeter> {
    vec![ExemptPerimeter::Resource]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExemptPerimeter {
    Identity,
    Resource,
    Network,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThirdPartyException {
    /// The third party's accounts.
    pub accounts: Vec<String>,
    /// ARN patterns of the resources they may reach.
    pub resources: Vec<String>,
    /// Action patterns (`s3:GetObject`, `s3:Get*`) the sanctioned flow is bounded to, both ways:
    /// what the third party may do on its listed resources, and what our identities may do on
    /// them. Absent: any action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum BucketPolicyMode {
    #[default]
    Grant,
    Enforce,
}

/// The JSON schema of `spec`, shared with the DataPerimeter custom resource definition.
pub fn spec_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(DataPerimeterSpec)).unwrap_or_default()
}

/// The JSON Schema of a whole DataPerimeter document (apiVersion, kind, metadata, spec), pretty
/// printed: `perimeter-guard schema` and `docs/dataperimeter.schema.json`.
pub fn document_schema_json() -> String {
    let schema = serde_json::to_value(schemars::schema_for!(DataPerimeter)).unwrap_or_default();
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// Reads every DataPerimeter document in a YAML stream (documents separated by `---`).
pub fn load_perimeters(text: &str, source_name: &str) -> Result<Vec<DataPerimeter>, ConfigError> {
    let err = |field: &str, message: String| ConfigError {
        source_name: source_name.to_owned(),
        field: field.to_owned(),
        message,
    };
    let mut out = Vec::new();
    let documents = crate::yaml::stream_to_json(text).map_err(|(i, e)| {
        err(
            path::DOCUMENT,
            format!("document {}: not valid YAML: {e}", i + 1),
        )
    })?;
    for value in documents {
        if value.is_null() {
            continue;
        }
        let dp = DataPerimeter::from_value(&value, source_name)?;
        if out
            .iter()
            .any(|o: &DataPerimeter| o.metadata.name == dp.metadata.name)
        {
            return Err(err(
                "metadata.name",
                format!("{:?} is defined twice", dp.metadata.name),
            ));
        }
        out.push(dp);
    }
    if out.is_empty() {
        return Err(err(
            path::DOCUMENT,
            "no DataPerimeter document found".into(),
        ));
    }
    Ok(out)
}

impl DataPerimeter {
    /// Whether this perimeter applies to an object of `kind` in `namespace` with `labels`.
    pub fn applies_to(
        &self,
        kind: &str,
        namespace: Option<&str>,
        labels: &BTreeMap<String, String>,
    ) -> bool {
        let m = &self.spec.match_;
        let kind_ok = m.kinds.is_empty() || m.kinds.iter().any(|k| k == kind);
        let ns_ok = match namespace {
            None => true,
            Some(ns) => {
                (m.namespaces.is_empty() || m.namespaces.iter().any(|n| n == ns))
                    && !m.exclude_namespaces.iter().any(|n| n == ns)
            }
        };
        let labels_ok = m.label_selector.as_ref().is_none_or(|s| s.matches(labels));
        kind_ok && ns_ok && labels_ok
    }

    pub fn from_value(
        value: &serde_json::Value,
        source_name: &str,
    ) -> Result<DataPerimeter, ConfigError> {
        let err = |field: &str, message: String| ConfigError {
            source_name: source_name.to_owned(),
            field: field.to_owned(),
            message,
        };
        expect_kind(value, KIND, source_name)?;
        let dp: DataPerimeter = serde_path_to_error::deserialize(value).map_err(|e| {
            let hint = type_hint(e.inner(), path::value_at(value, e.path()));
            err(&path::of(e.path()), format!("{}{hint}", e.inner()))
        })?;
        dp.validate()
            .map_err(|(field, message)| err(&field, message))?;
        Ok(dp)
    }

    /// Checks every value's form; `Err((field path, message))`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.metadata.name.is_empty() {
            return Err(("metadata.name".into(), "must not be empty".into()));
        }
        let s = &self.spec;
        each(
            &s.identity.trusted_organizations,
            "spec.identity.trustedOrganizations",
            org_id,
        )?;
        each(
            &s.identity.trusted_accounts,
            "spec.identity.trustedAccounts",
            account_id,
        )?;
        each(
            &s.identity.excluded_accounts,
            "spec.identity.excludedAccounts",
            account_id,
        )?;
        each(
            &s.identity.trusted_org_paths,
            "spec.identity.trustedOrgPaths",
            org_path,
        )?;
        each(
            &s.identity.excluded_org_paths,
            "spec.identity.excludedOrgPaths",
            org_path,
        )?;
        if let Some(r) = &s.resources {
            if let Some(o) = &r.trusted_organizations {
                each(o, "spec.resources.trustedOrganizations", org_id)?;
            }
            if let Some(a) = &r.trusted_accounts {
                each(a, "spec.resources.trustedAccounts", account_id)?;
            }
            if let Some(a) = &r.excluded_accounts {
                each(a, "spec.resources.excludedAccounts", account_id)?;
            }
            if let Some(p) = &r.trusted_org_paths {
                each(p, "spec.resources.trustedOrgPaths", org_path)?;
            }
            if let Some(p) = &r.excluded_org_paths {
                each(p, "spec.resources.excludedOrgPaths", org_path)?;
            }
            each(
                &r.allowed_resources,
                "spec.resources.allowedResources",
                arn_pattern,
            )?;
            each(
                &r.aws_owned_resources,
                "spec.resources.awsOwnedResources",
                aws_owned_set,
            )?;
        }
        each(
            &s.network.allowed_vpc_endpoints,
            "spec.network.allowedVpcEndpoints",
            |v| hex_id(v, "vpce-"),
        )?;
        each(&s.network.allowed_vpcs, "spec.network.allowedVpcs", |v| {
            hex_id(v, "vpc-")
        })?;
        each(
            &s.network.allowed_source_ips,
            "spec.network.allowedSourceIps",
            |v| parse_cidr(v).map(|_| ()).ok_or(NotAnId::Cidr),
        )?;
        if let Some(sel) = &s.match_.label_selector {
            for (i, e) in sel.match_expressions.iter().enumerate() {
                let needs_values = matches!(e.operator, LabelOperator::In | LabelOperator::NotIn);
                if needs_values == e.values.is_empty() {
                    return Err((
                        format!("spec.match.labelSelector.matchExpressions[{i}].values"),
                        if needs_values {
                            "In and NotIn need values".into()
                        } else {
                            "Exists and DoesNotExist take no values".into()
                        },
                    ));
                }
            }
        }
        for id in s.rules.keys() {
            if super::catalog::rule(id).is_none() {
                return Err((
                    path::key("spec.rules", id),
                    "is not a rule id (see docs/rules.md)".into(),
                ));
            }
        }
        each(
            &s.vpc_endpoints.allowed_vpcs,
            "spec.vpcEndpoints.allowedVpcs",
            |v| hex_id(v, "vpc-"),
        )?;
        each(
            &s.vpc_endpoints.allowed_subnets,
            "spec.vpcEndpoints.allowedSubnets",
            |v| hex_id(v, "subnet-"),
        )?;
        each(
            &s.vpc_endpoints.allowed_security_groups,
            "spec.vpcEndpoints.allowedSecurityGroups",
            |v| hex_id(v, "sg-"),
        )?;
        for (i, t) in s.exceptions.principal_tags.iter().enumerate() {
            let at = format!("spec.exceptions.principalTags[{i}]");
            if t.key.is_empty() {
                return Err((format!("{at}.key"), "must not be empty".into()));
            }
            if t.perimeters.is_empty() {
                return Err((
                    format!("{at}.perimeters"),
                    "must name resource and/or network".into(),
                ));
            }
        }
        for (i, t) in s.network.applies_to_principal_tags.iter().enumerate() {
            if t.key.is_empty() {
                return Err((
                    format!("spec.network.appliesToPrincipalTags[{i}].key"),
                    "must not be empty".into(),
                ));
            }
        }
        for (i, a) in s.exceptions.principal_arns.iter().enumerate() {
            let at = format!("spec.exceptions.principalArns[{i}]");
            arn_pattern(&a.pattern).map_err(|e| (format!("{at}.pattern"), e.to_string()))?;
            if a.perimeters.is_empty() {
                return Err((
                    format!("{at}.perimeters"),
                    "must name resource and/or network".into(),
                ));
            }
        }
        validate_organizations(&s.organizations)?;
        if let Some(src) = &s.identity.service_principal_sources {
            let at = "spec.identity.servicePrincipalSources";
            if !s.identity.trust_aws_service_principals {
                return Err((
                    at.into(),
                    "has no effect while trustAwsServicePrincipals is false; remove one".into(),
                ));
            }
            if src.organizations.is_empty() && src.accounts.is_empty() {
                return Err((
                    at.into(),
                    "must list organizations or accounts (to trust no service principal, set trustAwsServicePrincipals: false)".into(),
                ));
            }
            each(&src.organizations, &format!("{at}.organizations"), org_id)?;
            each(&src.accounts, &format!("{at}.accounts"), account_id)?;
        }
        each(
            &s.network.trusted_endpoint_organizations,
            "spec.network.trustedEndpointOrganizations",
            org_id,
        )?;
        each(
            &s.network.trusted_endpoint_accounts,
            "spec.network.trustedEndpointAccounts",
            account_id,
        )?;
        each(
            &s.network.trusted_endpoint_org_paths,
            "spec.network.trustedEndpointOrgPaths",
            org_path,
        )?;
        each(
            &s.network.allowed_vpc_arns,
            "spec.network.allowedVpcArns",
            vpc_arn_pattern,
        )?;
        for (i, t) in s.exceptions.principal_tags.iter().enumerate() {
            no_identity(
                &t.perimeters,
                &format!("spec.exceptions.principalTags[{i}]"),
            )?;
        }
        for (i, a) in s.exceptions.principal_arns.iter().enumerate() {
            no_identity(
                &a.perimeters,
                &format!("spec.exceptions.principalArns[{i}]"),
            )?;
        }
        for (i, t) in s.exceptions.resource_tags.iter().enumerate() {
            let at = format!("spec.exceptions.resourceTags[{i}]");
            if t.key.is_empty() {
                return Err((format!("{at}.key"), "must not be empty".into()));
            }
            if t.perimeters.is_empty() {
                return Err((
                    format!("{at}.perimeters"),
                    "must name identity and/or network".into(),
                ));
            }
            if let Some(j) = t
                .perimeters
                .iter()
                .position(|p| *p == ExemptPerimeter::Resource)
            {
                return Err((
                    format!("{at}.perimeters[{j}]"),
                    "a resource tag cannot exempt from the resource perimeter: the resource's owner sets it, and the resource perimeter is about owners (name identity and/or network)".into(),
                ));
            }
        }
        if let Some(services) = &s.exceptions.via_aws_services {
            let at = "spec.exceptions.viaAwsServices";
            if services.is_empty() {
                return Err((
                    at.into(),
                    "must list at least one service (omit it to exempt requests via any service)"
                        .into(),
                ));
            }
            each(services, at, service_principal)?;
        }
        for (i, t) in s.exceptions.third_parties.iter().enumerate() {
            let at = format!("spec.exceptions.thirdParties[{i}]");
            if let Some(actions) = &t.actions {
                if actions.is_empty() {
                    return Err((
                        format!("{at}.actions"),
                        "must list at least one action (omit it to allow any action)".into(),
                    ));
                }
                each(actions, &format!("{at}.actions"), action_pattern)?;
            }
            if t.accounts.is_empty() {
                return Err((
                    format!("{at}.accounts"),
                    "must list at least one account".into(),
                ));
            }
            if t.resources.is_empty() {
                return Err((
                    format!("{at}.resources"),
                    "must list at least one resource ARN pattern".into(),
                ));
            }
            each(&t.accounts, &format!("{at}.accounts"), account_id)?;
            each(&t.resources, &format!("{at}.resources"), arn_pattern)?;
        }
        Ok(())
    }

    /// The perimeter the reasoner works with, built on first use and kept with this
    /// DataPerimeter: once per loaded configuration, not once per checked object.
    pub fn perimeter(&self) -> std::sync::Arc<Perimeter> {
        std::sync::Arc::clone(
            self.compiled
                .0
                .get_or_init(|| std::sync::Arc::new(self.to_perimeter())),
        )
    }

    /// The perimeter the reasoner works with, built afresh.
    pub fn to_perimeter(&self) -> Perimeter {
        let s = &self.spec;
        let resources = s.resources.clone().unwrap_or_default();
        let tags = |which: ExemptPerimeter| -> Vec<(String, String)> {
            s.exceptions
                .principal_tags
                .iter()
                .filter(|t| t.perimeters.contains(&which))
                .map(|t| (t.key.to_lowercase(), t.value.clone()))
                .collect()
        };
        // A resource list the perimeter leaves out is the identity's; `[]` is none.
        let or_identity = |resource: &Option<Vec<String>>, identity: &Vec<String>| {
            resource.clone().unwrap_or_else(|| identity.clone())
        };
        let arns = |which: ExemptPerimeter| -> Vec<Vec<pattern::Tok>> {
            s.exceptions
                .principal_arns
                .iter()
                .filter(|a| a.perimeters.contains(&which))
                .map(|a| pattern::glob(&a.pattern))
                .collect()
        };
        let resource_tags = |which: ExemptPerimeter| -> Vec<(String, String)> {
            s.exceptions
                .resource_tags
                .iter()
                .filter(|t| t.perimeters.contains(&which))
                .map(|t| (t.key.to_lowercase(), t.value.clone()))
                .collect()
        };
        Perimeter {
            memberships: s
                .organizations
                .iter()
                .flat_map(|o| o.accounts.iter().map(|a| (a.clone(), o.id.clone())))
                .collect(),
            service_sources: s.identity.service_principal_sources.as_ref().map(|src| {
                ServiceSources {
                    orgs: src.organizations.clone(),
                    accounts: src.accounts.clone(),
                }
            }),
            endpoint_orgs: s.network.trusted_endpoint_organizations.clone(),
            endpoint_accounts: s.network.trusted_endpoint_accounts.clone(),
            endpoint_org_paths: s.network.trusted_endpoint_org_paths.clone(),
            vpc_arns: s
                .network
                .allowed_vpc_arns
                .iter()
                .map(|a| pattern::glob(a))
                .collect(),
            identity_resource_tags: resource_tags(ExemptPerimeter::Identity),
            network_resource_tags: resource_tags(ExemptPerimeter::Network),
            via_services: s
                .exceptions
                .via_aws_services
                .as_ref()
                .map(|v| v.iter().map(|x| x.to_ascii_lowercase()).collect()),
            identity_orgs: s.identity.trusted_organizations.clone(),
            identity_accounts: s.identity.trusted_accounts.clone(),
            identity_excluded_accounts: s.identity.excluded_accounts.clone(),
            identity_org_paths: s.identity.trusted_org_paths.clone(),
            identity_excluded_org_paths: s.identity.excluded_org_paths.clone(),
            trust_service_principals: s.identity.trust_aws_service_principals,
            resource_orgs: or_identity(
                &resources.trusted_organizations,
                &s.identity.trusted_organizations,
            ),
            resource_accounts: or_identity(
                &resources.trusted_accounts,
                &s.identity.trusted_accounts,
            ),
            resource_excluded_accounts: or_identity(
                &resources.excluded_accounts,
                &s.identity.excluded_accounts,
            ),
            resource_org_paths: or_identity(
                &resources.trusted_org_paths,
                &s.identity.trusted_org_paths,
            ),
            resource_excluded_org_paths: or_identity(
                &resources.excluded_org_paths,
                &s.identity.excluded_org_paths,
            ),
            allowed_resources: resources
                .allowed_resources
                .iter()
                .map(|a| pattern::glob(a))
                .chain(
                    resources
                        .aws_owned_resources
                        .iter()
                        .filter_map(|n| super::aws_owned::set(n))
                        .flat_map(|set| set.globs.iter().cloned()),
                )
                .collect(),
            vpces: s.network.allowed_vpc_endpoints.clone(),
            vpcs: s.network.allowed_vpcs.clone(),
            source_ips: s
                .network
                .allowed_source_ips
                .iter()
                .filter_map(|c| parse_cidr(c))
                .collect(),
            principal_tags: tags(ExemptPerimeter::Resource),
            network_tags: tags(ExemptPerimeter::Network),
            network_applies_to_tags: s
                .network
                .applies_to_principal_tags
                .iter()
                .map(|t| (t.key.to_lowercase(), t.value.clone()))
                .collect(),
            resource_exempt_arns: arns(ExemptPerimeter::Resource),
            network_exempt_arns: arns(ExemptPerimeter::Network),
            third_parties: s
                .exceptions
                .third_parties
                .iter()
                .map(|t| ThirdParty {
                    accounts: t.accounts.clone(),
                    resources: t.resources.iter().map(|r| pattern::glob(r)).collect(),
                    actions: t.actions.as_ref().map(|a| {
                        a.iter()
                            .map(|x| pattern::glob(&x.to_ascii_lowercase()))
                            .collect()
                    }),
                })
                .collect(),
            bucket_mode: match s.bucket_policy_mode {
                BucketPolicyMode::Grant => BucketMode::Grant,
                BucketPolicyMode::Enforce => BucketMode::Enforce,
            },
        }
    }
}

/// Why a value in a list of ids, ARN patterns or address ranges is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum NotAnId {
    #[error("is not an organization id (o- and 10 to 32 lower-case letters or digits)")]
    Organization,
    #[error("is not a 12-digit account id (quote it in YAML)")]
    Account,
    #[error("is not an id of the form {0} and 8 or 17 lower-case hexadecimal digits")]
    Hex(&'static str),
    #[error(
        "is not an ARN pattern (arn:partition:service:region:account:resource, with * and ? allowed)"
    )]
    ArnPattern,
    #[error("is not an IPv4 or IPv6 CIDR block")]
    Cidr,
    #[error(
        "is not an organization path (o-…/r-…/ and any ou-…-…/ entries, lower-case, ending with /)"
    )]
    OrgPath,
    #[error(
        "is not a VPC ARN pattern (arn:partition:ec2:region:account:vpc/vpc-id, with * and ? allowed)"
    )]
    VpcArn,
    #[error("is not a service principal name of the form service.amazonaws.com")]
    ServicePrincipal,
    #[error("is not an action pattern (service:Action, with * and ? allowed in the action)")]
    Action,
    #[error("is not an AWS-owned resource set; the sets are {}", super::aws_owned::names().join(", "))]
    AwsOwnedSet,
}

/// Advice for a scalar written where a string belongs: YAML reads `111122223333` and `1.5`
/// unquoted as numbers, and `true`, `yes` and `on` as booleans; an account id or a tag value is
/// easily written so. Empty for every other error. (The value read is already in serde's message;
/// repeating it as the text to quote could mislead, `0x1F` having been read as 31.)
/// `Ok` when the document is Perimeter Guard's `kind` in `apiVersion` [`API_VERSION`].
pub(crate) fn expect_kind(
    value: &serde_json::Value,
    kind: &str,
    source_name: &str,
) -> Result<(), ConfigError> {
    let found = |key: &str| value.get(key).and_then(serde_json::Value::as_str);
    if found("apiVersion") == Some(API_VERSION) && found("kind") == Some(kind) {
        return Ok(());
    }
    Err(ConfigError {
        source_name: source_name.to_owned(),
        field: path::DOCUMENT.to_owned(),
        message: format!(
            "expected apiVersion {API_VERSION} and kind {kind}, found {} and {}",
            found("apiVersion").unwrap_or("none"),
            found("kind").unwrap_or("none")
        ),
    })
}

pub(crate) fn type_hint(
    error: &serde_json::Error,
    value: Option<&serde_json::Value>,
) -> &'static str {
    use serde_json::Value;
    // serde words every type mismatch `invalid type: <found>, expected <wanted>`.
    let message = error.to_string();
    if !(message.starts_with("invalid type:") && message.ends_with("expected a string")) {
        return "";
    }
    match value {
        Some(Value::Number(_)) => "; quote it: unquoted, YAML reads it as a number",
        Some(Value::Bool(_)) => {
            "; quote it: unquoted, YAML reads it as a boolean (as it does yes, no, on and off)"
        }
        _ => "",
    }
}

fn each(
    values: &[String],
    field: &str,
    check: impl Fn(&str) -> Result<(), NotAnId>,
) -> Result<(), (String, String)> {
    for (i, v) in values.iter().enumerate() {
        check(v).map_err(|m| (path::index(field, i), format!("{v:?} {m}")))?;
    }
    Ok(())
}

fn org_id(v: &str) -> Result<(), NotAnId> {
    if crate::iam::arn::is_org_id(v) {
        Ok(())
    } else {
        Err(NotAnId::Organization)
    }
}

fn account_id(v: &str) -> Result<(), NotAnId> {
    if crate::iam::arn::is_account_id(v) {
        Ok(())
    } else {
        Err(NotAnId::Account)
    }
}

fn org_path(v: &str) -> Result<(), NotAnId> {
    if crate::iam::arn::is_org_path(v) {
        Ok(())
    } else {
        Err(NotAnId::OrgPath)
    }
}

fn hex_id(v: &str, prefix: &'static str) -> Result<(), NotAnId> {
    if crate::iam::arn::is_ec2_id(v, prefix) {
        Ok(())
    } else {
        Err(NotAnId::Hex(prefix))
    }
}

fn aws_owned_set(v: &str) -> Result<(), NotAnId> {
    match super::aws_owned::set(v) {
        Some(_) => Ok(()),
        None => Err(NotAnId::AwsOwnedSet),
    }
}

fn arn_pattern(v: &str) -> Result<(), NotAnId> {
    if v == "*" || (v.starts_with("arn:") && crate::iam::arn::pattern_components(v) >= 6) {
        Ok(())
    } else {
        Err(NotAnId::ArnPattern)
    }
}

/// Each organization id once, each account in one organization at most (AWS Organizations User
/// Guide, "Managing accounts": an account is a member of only one organization at a time).
fn validate_organizations(orgs: &[OrganizationFacts]) -> Result<(), (String, String)> {
    let mut seen_orgs: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen_accounts: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, o) in orgs.iter().enumerate() {
        let at = format!("spec.organizations[{i}]");
        org_id(&o.id).map_err(|e| (format!("{at}.id"), format!("{:?} {e}", o.id)))?;
        if let Some(j) = seen_orgs.insert(&o.id, i) {
            return Err((
                format!("{at}.id"),
                format!("{:?} is already listed as spec.organizations[{j}]", o.id),
            ));
        }
        each(&o.accounts, &format!("{at}.accounts"), account_id)?;
        for (k, a) in o.accounts.iter().enumerate() {
            if let Some(j) = seen_accounts.insert(a, i)
                && j != i
            {
                return Err((
                    format!("{at}.accounts[{k}]"),
                    format!(
                        "{a:?} is also a member of spec.organizations[{j}] ({}); an account belongs to one organization at most",
                        orgs[j].id
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A principal tag or ARN is the caller's own: it cannot vouch for the caller's identity.
fn no_identity(perimeters: &[ExemptPerimeter], at: &str) -> Result<(), (String, String)> {
    match perimeters
        .iter()
        .position(|p| *p == ExemptPerimeter::Identity)
    {
        Some(j) => Err((
            format!("{at}.perimeters[{j}]"),
            "a principal's own tag or ARN cannot exempt it from the identity perimeter (name resource and/or network)".into(),
        )),
        None => Ok(()),
    }
}

fn vpc_arn_pattern(v: &str) -> Result<(), NotAnId> {
    let ok = arn_pattern(v).is_ok()
        && crate::iam::arn::split(v).is_some_and(|[_, partition, service, _, _, resource]| {
            !partition.is_empty()
                && (service == "ec2" || service == "*")
                && (resource.starts_with("vpc/") || resource == "*")
        });
    if ok { Ok(()) } else { Err(NotAnId::VpcArn) }
}

/// `athena.amazonaws.com`: the form `aws:CalledVia` values take (IAM User Guide, global condition
/// keys, aws:CalledVia).
fn service_principal(v: &str) -> Result<(), NotAnId> {
    let name = v.strip_suffix(".amazonaws.com").unwrap_or_default();
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        Ok(())
    } else {
        Err(NotAnId::ServicePrincipal)
    }
}

/// `service:Action`, with `*` and `?` allowed in the action name.
fn action_pattern(v: &str) -> Result<(), NotAnId> {
    let ok = v == "*"
        || v.split_once(':').is_some_and(|(service, action)| {
            !service.is_empty()
                && !action.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && action
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
        });
    if ok { Ok(()) } else { Err(NotAnId::Action) }
}

pub(crate) mod path;
#[cfg(test)]
mod tests;
