//! The rule catalogue: every rule's stable id, title, severity, what it reads and how to fix a
//! finding. Static data, shared by the rules, the configuration's overrides, reports and docs.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// A rule of the catalog. Its id never changes meaning.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// What it reads, for the documentation.
    pub reads: &'static str,
    pub fix: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $sev:ident, $title:literal, $reads:literal, $fix:literal;)*) => {
        $(pub const $name: &Rule = &Rule { id: $id, title: $title, severity: Severity::$sev, reads: $reads, fix: $fix };)*
        pub const RULES: &[&Rule] = &[$($name),*];
    };
}

rules! {
    ENDPOINT_DEFAULT_POLICY = "DP-EP-001", High, "VPC endpoint has no policy (AWS's default allows everything)",
        "endpoint policy", "set a policy that allows only trusted identities to reach trusted resources";
    ENDPOINT_IDENTITY = "DP-EP-002", Critical, "VPC endpoint policy lets identities outside the perimeter use the endpoint",
        "endpoint policy, perimeter identity", "condition every Allow on aws:PrincipalOrgID, aws:PrincipalOrgPaths or aws:PrincipalAccount of the trusted set; if the policy names accounts the perimeter trusts through their organization, list them in spec.organizations";
    ENDPOINT_RESOURCE = "DP-EP-003", High, "VPC endpoint policy lets trusted identities reach resources outside the perimeter",
        "endpoint policy, perimeter resources", "condition every Allow on aws:ResourceOrgID or aws:ResourceAccount, or list the resources as allowedResources (AWS-owned buckets: their set in awsOwnedResources); name AWS-owned buckets in full, one per region, never with a `*` in the bucket name (IAM's `*` crosses the `/` into another bucket's objects)";
    ENDPOINT_POLICY_INVALID = "DP-EP-004", High, "VPC endpoint policy is malformed or cannot be decided",
        "endpoint policy", "fix the policy at the pointer given; Perimeter Guard fails closed on policies it cannot read exactly";
    ENDPOINT_SERVICE = "DP-EP-010", High, "VPC endpoint service is not allowed",
        "service name", "use a service matching spec.vpcEndpoints.allowedServices";
    ENDPOINT_TYPE = "DP-EP-011", Medium, "VPC endpoint type is not allowed",
        "endpoint type (absent: Gateway)", "use a type listed in spec.vpcEndpoints.allowedTypes";
    ENDPOINT_PRIVATE_DNS = "DP-EP-012", Medium, "Interface endpoint without private DNS",
        "endpoint type, private DNS", "enable private DNS so that clients resolve the service to the endpoint";
    ENDPOINT_VPC = "DP-EP-013", High, "VPC endpoint is placed in a VPC that is not allowed",
        "VPC", "place the endpoint in a VPC listed in spec.vpcEndpoints.allowedVpcs";
    ENDPOINT_SUBNET = "DP-EP-014", Medium, "VPC endpoint is placed in a subnet that is not allowed",
        "subnets, subnet associations", "use subnets listed in spec.vpcEndpoints.allowedSubnets";
    ENDPOINT_SECURITY_GROUP = "DP-EP-015", Medium, "VPC endpoint uses a security group that is not allowed",
        "security groups, security group associations", "use security groups listed in spec.vpcEndpoints.allowedSecurityGroups";
    ENDPOINT_SERVICE_REGION = "DP-EP-016", Medium, "VPC endpoint reaches a service in another region",
        "service region, region", "remove serviceRegion or list the region in spec.vpcEndpoints.allowedServiceRegions";
    ENDPOINT_TARGET_OWNER = "DP-EP-017", High, "VPC endpoint connects to a resource or service network owned outside the perimeter",
        "resource configuration and service network ARNs, perimeter resources, spec.organizations", "connect only to a resource configuration or service network a trusted resource owner shares (an account in spec.resources.trustedAccounts, or one listed in spec.organizations as a member of a trusted organization), or list its ARN in spec.resources.allowedResources";
    ENDPOINT_TARGET_UNKNOWN_ORG = "DP-EP-018", Medium, "VPC endpoint connects to a resource or service network whose owner's organization the perimeter does not know",
        "resource configuration and service network ARNs, perimeter resources, spec.organizations", "list the owner account in spec.organizations[].accounts if it is a member of a trusted organization (the endpoint then complies), or connect to a target a trusted account owns; set DP-EP-018 to Deny to treat owners of unknown membership as outside";
    ENDPOINT_SERVICE_OWNER_UNKNOWN = "DP-EP-019", Medium, "Gateway Load Balancer endpoint connects to a service whose owner its name does not show",
        "endpoint type, service name, spec.vpcEndpoints.allowedServices", "look up the service's owner (`aws ec2 describe-vpc-endpoint-services --service-names NAME` shows it); if a trusted account owns it, list the exact service name in spec.vpcEndpoints.allowedServices";
    UNRESOLVED_REFERENCE = "DP-REF-001", Low, "A field a rule needs is a reference resolved after admission",
        "references and selectors", "Crossplane writes the resolved value in a later update, which is checked then; with ACK, give the value instead of a reference";
    IMPOSSIBLE_CONDITION = "DP-POL-001", Low, "A policy condition can match no request AWS sends",
        "bucket and endpoint policies", "write the value in its documented form: o- and 10 to 32 lower-case letters or digits for an organization id, 12 digits for an account, vpc-/vpce- and 8 or 17 hexadecimal digits for a VPC or endpoint";
    BUCKET_IDENTITY = "DP-BP-001", Critical, "Bucket policy grants access to identities outside the perimeter",
        "bucket policy, perimeter identity", "condition every Allow on aws:PrincipalOrgID, aws:PrincipalOrgPaths or aws:PrincipalAccount of the trusted set; pin service principals with aws:SourceAccount or aws:SourceOrgID of a source listed in identity.servicePrincipalSources; declare resource-tag exemptions in exceptions.resourceTags";
    BUCKET_NETWORK = "DP-BP-002", High, "Bucket policy grants access from outside the expected networks",
        "bucket policy, perimeter network", "condition every Allow on aws:SourceVpce, aws:SourceVpc or aws:SourceIp of the expected networks; a policy pinned to the endpoints' owner (aws:VpceOrgID, aws:VpceAccount, aws:VpceOrgPaths) or VPC ARN (aws:SourceVpcArn) needs the perimeter to declare it in network.trustedEndpointOrganizations, trustedEndpointAccounts, trustedEndpointOrgPaths or allowedVpcArns";
    BUCKET_ENFORCE = "DP-BP-003", High, "Bucket policy does not deny every request from outside the perimeter",
        "bucket policy, bucketPolicyMode Enforce", "add Deny statements for requests outside the identity and network perimeters (see AWS's data-perimeter examples); the exceptions they make (principal tags and ARNs, resource tags, viaAwsServices, service-principal sources, endpoint owners) must be declared in the perimeter too";
    BUCKET_TLS = "DP-BP-004", Medium, "Bucket policy does not deny requests without TLS",
        "bucket policy, bucketPolicies.requireSecureTransport", "add a Deny of s3:* on the bucket and its objects when aws:SecureTransport is false";
    BUCKET_POLICY_INVALID = "DP-BP-005", High, "Bucket policy is malformed or cannot be decided",
        "bucket policy", "fix the policy at the pointer given; Perimeter Guard fails closed on policies it cannot read exactly";
    ACCESS_POINT_IDENTITY = "DP-AP-001", Critical, "Access point policy grants access to identities outside the perimeter",
        "access point, Multi-Region Access Point and Object Lambda Access Point policies, perimeter identity", "condition every Allow on aws:PrincipalOrgID, aws:PrincipalOrgPaths or aws:PrincipalAccount of the trusted set (the access point keys s3:DataAccessPointArn and s3:DataAccessPointAccount name the access point, never the caller); pin service principals with aws:SourceAccount or aws:SourceOrgID of a listed source";
    ACCESS_POINT_NETWORK = "DP-AP-002", High, "Access point policy grants access from outside the expected networks",
        "access point policies, vpcConfiguration, perimeter network", "make it a VPC-origin access point (vpcConfiguration) in a VPC of spec.network.allowedVpcs, or condition every Allow on aws:SourceVpce, aws:SourceVpc or aws:SourceIp of the expected networks";
    ACCESS_POINT_POLICY_INVALID = "DP-AP-003", High, "Access point policy is malformed or cannot be decided",
        "access point policies", "fix the policy at the pointer given; Perimeter Guard fails closed on policies it cannot read exactly";
    ACCESS_POINT_ORIGIN_UNKNOWN = "DP-AP-004", Medium, "Access point policy allows requests from outside the expected networks, unless the access point's network origin stops them",
        "AccessPointPolicy objects, perimeter network", "make the access point VPC-origin in a VPC of spec.network.allowedVpcs (its AccessPoint's vpcConfiguration, checked there), or condition every Allow on aws:SourceVpce, aws:SourceVpc or aws:SourceIp of the expected networks; set DP-AP-004 to Deny to treat an unstated origin as Internet";
    ENDPOINT_SERVICE_PRINCIPAL = "DP-ES-001", High, "Endpoint service allows principals outside the perimeter",
        "allowed principals", "allow only accounts listed in spec.identity.trustedAccounts (never \"*\")";
    ACL_PUBLIC = "DP-ACL-001", Critical, "Bucket ACL grants access to everyone or to every AWS account",
        "canned ACL, ACL grants", "use the private ACL (or none) and grant access through the bucket policy, where it can be conditioned on the perimeter";
    ACL_OTHER_ACCOUNT = "DP-ACL-002", High, "Bucket ACL grants access to another account",
        "ACL grants, the ACL's owner", "grant through the bucket policy instead: an ACL grant cannot be conditioned on aws:PrincipalOrgID";
    UNKNOWN_MEMBERSHIP = "DP-ORG-001", Medium, "A perimeter finding rests on accounts whose organization the perimeter does not know",
        "policy, perimeter identity and resources, spec.organizations", "list each account in spec.organizations[].accounts if it is a member of a trusted organization (the policy then complies), or remove it from the policy; set DP-ORG-001 to Deny to treat accounts of unknown membership as outside";
    ACL_UNPLACED_GRANTEE = "DP-ACL-003", Low, "Bucket ACL grants a canonical user whose account the object does not show",
        "ACL grants by canonical id", "write the grant in a BucketACL with its owner, or grant through the bucket policy";
    OWNERSHIP_ENABLES_ACLS = "DP-OWN-001", High, "Object ownership keeps ACLs working beside a grant outside the account",
        "object ownership, ACL grants", "set object ownership to BucketOwnerEnforced, which turns ACLs off";
    OBSERVED = "DP-OBS-001", Low, "The object writes nothing to AWS: its findings are recorded, not enforced",
        "Upbound managementPolicies, ACK read-only and adoption annotations", "nothing while it only observes; once it creates or updates the AWS resource its findings are enforced";
    FIELD_TYPE = "DP-SCHEMA-001", High, "A field the rules read has a type its kind's schema refuses",
        "the fields the rules read", "write the field with the type the CRD declares (a policy is JSON text, an account id a quoted string); the API server refuses the object as written";
    UNREGISTERED_VERSION = "DP-VER-001", Low, "A version of a checked kind the webhook does not register",
        "apiVersion", "use a version the webhook registers (perimeter-guard webhook-rules lists them); in the cluster the API server sends the webhook the object converted to one of them";
    PUBLIC_ACCESS_BLOCK = "DP-PAB-001", High, "S3 Block Public Access is switched off",
        "public access block settings", "leave every Block Public Access setting true";
    DESTINATION_OUTSIDE = "DP-DEST-001", High, "Bucket sends data to a destination outside the perimeter",
        "replication, inventory and analytics export destinations, event notification targets, the access log target's owner, Object Lambda transformation functions",
        "send the data to a destination owned by an account the perimeter trusts, or, if the owner is yours, declare it in spec.resources.trustedAccounts (or its organization in trustedOrganizations); S3 writes there as a service principal, which resource control policies and endpoint policies do not stop";
    DESTINATION_UNPLACED = "DP-DEST-002", Medium, "Bucket sends data to a destination whose owner the object does not show",
        "destination bucket ARNs without an account",
        "state the destination bucket's owner in the destination's account field (replication `account`, inventory `accountId`, analytics `bucketAccountId`), or list the bucket in spec.resources.allowedResources";
    COMPOSITION_UNREADABLE = "DP-COMP-001", Low, "A Composition makes resources no static check can read",
        "Composition pipeline steps and patches",
        "check what the Composition renders: `crossplane render xr.yaml composition.yaml functions.yaml | perimeter-guard check -f -`; the webhook checks every composed resource at admission all the same";
    RCP_ENFORCE = "DP-RCP-001", High, "Resource control policy does not deny every request from outside the perimeter it enforces",
        "Organizations Policy content (RESOURCE_CONTROL_POLICY), perimeter identity and network", "deny, on every action the statement covers, each request whose aws:PrincipalOrgID, aws:PrincipalAccount (identity) or aws:SourceIp, aws:SourceVpc, aws:SourceVpce, aws:VpceOrgID, aws:VpceAccount (network) is outside the perimeter, as AWS's data-perimeter RCPs do; the exceptions the statements make (principal tags and ARNs, resource tags, third-party accounts, service principals and their sources, aws:ViaAWSService) must be declared in the perimeter too";
    RCP_WEAKENED = "DP-RCP-002", High, "Update weakens a resource control policy: it no longer denies a request from outside the perimeter that the old version denied",
        "Organizations Policy content, old and new (RESOURCE_CONTROL_POLICY), perimeter identity and network", "keep denying what the old version denied; if the perimeter itself changed (a newly trusted account, network or exception), declare it in the DataPerimeter first";
    RCP_INVALID = "DP-RCP-003", High, "Resource control policy is malformed or cannot be decided",
        "Organizations Policy content (RESOURCE_CONTROL_POLICY)", "fix the policy at the pointer given; Perimeter Guard fails closed on guardrails it cannot read exactly";
    SCP_ENFORCE = "DP-SCP-001", High, "Service control policy does not deny every request outside the perimeter it enforces",
        "Organizations Policy content (SERVICE_CONTROL_POLICY or no type), perimeter resources and network", "deny, on every action the statement covers, each request by the organization's principals whose aws:ResourceOrgID, aws:ResourceAccount (resource) or aws:SourceIp, aws:SourceVpc, aws:SourceVpce, aws:VpceOrgID, aws:VpceAccount (network) is outside the perimeter, as AWS's data-perimeter SCPs do; the exceptions the statements make (principal tags and ARNs, AWS-owned and third-party resources, aws:ViaAWSService) must be declared in the perimeter too";
    SCP_WEAKENED = "DP-SCP-002", High, "Update weakens a service control policy: it no longer denies a request outside the perimeter that the old version denied",
        "Organizations Policy content, old and new (SERVICE_CONTROL_POLICY or no type), perimeter resources and network", "keep denying what the old version denied; if the perimeter itself changed (a newly trusted resource owner, network or exception), declare it in the DataPerimeter first";
    SCP_INVALID = "DP-SCP-003", High, "Service control policy is malformed or cannot be decided",
        "Organizations Policy content (SERVICE_CONTROL_POLICY or no type)", "fix the policy at the pointer given; Perimeter Guard fails closed on guardrails it cannot read exactly";
}

/// Rules that report what cannot be decided or need not be enforced, at most a warning unless a
/// perimeter's `spec.rules` says otherwise: an unresolved reference (Crossplane resolves it in a
/// later update, which is checked again; denying the create would wedge the normal reference
/// workflow), a condition no real request meets (the statement grants nothing, which is safe, but
/// is hardly what was meant), an object that only observes, a version the webhook does not
/// register, a canonical id the object cannot place, an endpoint target whose owner the object
/// and the perimeter cannot place, a destination bucket whose owner the object does not show
/// (S3 bucket ARNs carry no account), and an access point policy whose network finding rests on
/// a network origin another object states, and a Composition part only `crossplane render` or
/// the cluster can show (the webhook still checks what it composes).
pub const ADVISORY: &[&Rule] = &[
    COMPOSITION_UNREADABLE,
    UNRESOLVED_REFERENCE,
    IMPOSSIBLE_CONDITION,
    OBSERVED,
    UNREGISTERED_VERSION,
    ACL_UNPLACED_GRANTEE,
    UNKNOWN_MEMBERSHIP,
    ENDPOINT_TARGET_UNKNOWN_ORG,
    ENDPOINT_SERVICE_OWNER_UNKNOWN,
    DESTINATION_UNPLACED,
    ACCESS_POINT_ORIGIN_UNKNOWN,
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}
