//! Whether an update changed a fact the rules read. Controllers write to objects after admission
//! (Crossplane resolves references and records the external name, providers late-initialise and
//! move `initProvider` values into `forProvider`), and none of that may count as a change, or an
//! object that already violates the perimeter would wedge its own controller.

use super::fields::Field;
use super::{
    AccessPointPolicy, BucketAcl, BucketPolicy, BucketPolicyChange, Destination, Endpoint,
    EndpointAssociation, EndpointPolicy, EndpointServicePrincipals, PolicySource,
    PublicAccessBlock, Subject,
};

/// Whether `new` states the same facts as `old`, allowing for what controllers fill in.
pub fn same_facts(old: &[Subject], new: &[Subject]) -> bool {
    old.len() == new.len() && old.iter().zip(new).all(|(o, n)| subject(o, n))
}

/// Same value wherever it is written; a reference the controller has since resolved is the same
/// fact as the reference.
fn field<T: PartialEq>(old: &Field<T>, new: &Field<T>) -> bool {
    match (old, new) {
        (Field::Set { value: a, .. }, Field::Set { value: b, .. }) => a == b,
        (Field::Unresolved { .. }, Field::Set { .. } | Field::Unresolved { .. }) => true,
        (Field::Absent, Field::Absent) => true,
        _ => false,
    }
}

fn fields<T: PartialEq>(old: &[Field<T>], new: &[Field<T>]) -> bool {
    old.len() == new.len() && old.iter().zip(new).all(|(o, n)| field(o, n))
}

/// An identity the controller records once the resource exists (its external name).
fn assigned<T: PartialEq>(old: &Field<T>, new: &Field<T>) -> bool {
    matches!(old, Field::Absent) || field(old, new)
}

fn policy(old: &PolicySource, new: &PolicySource) -> bool {
    match (old, new) {
        (PolicySource::Text { text: a, .. }, PolicySource::Text { text: b, .. }) => a == b,
        (
            PolicySource::Structured { document: a, .. },
            PolicySource::Structured { document: b, .. },
        ) => a == b,
        (PolicySource::Unrenderable(a), PolicySource::Unrenderable(b)) => a == b,
        _ => false,
    }
}

fn subject(old: &Subject, new: &Subject) -> bool {
    match (old, new) {
        (Subject::Endpoint(a), Subject::Endpoint(b)) => endpoint(a, b),
        (Subject::BucketPolicy(a), Subject::BucketPolicy(b)) => bucket_policy(a, b),
        (Subject::EndpointServicePrincipals(a), Subject::EndpointServicePrincipals(b)) => {
            let (
                EndpointServicePrincipals { principals: a },
                EndpointServicePrincipals { principals: b },
            ) = (a, b);
            fields(a, b)
        }
        (Subject::PublicAccessBlock(a), Subject::PublicAccessBlock(b)) => public_access_block(a, b),
        (Subject::EndpointAssociation(a), Subject::EndpointAssociation(b)) => association(a, b),
        (Subject::AccessPointPolicy(a), Subject::AccessPointPolicy(b)) => access_point(a, b),
        (Subject::BucketAcl(a), Subject::BucketAcl(b)) => bucket_acl(a, b),
        (Subject::Destination(a), Subject::Destination(b)) => destination(a, b),
        (Subject::Unreadable(a), Subject::Unreadable(b)) => a == b,
        (Subject::OrganizationPolicy(a), Subject::OrganizationPolicy(b)) => {
            a.policy_type == b.policy_type && field(&a.content, &b.content)
        }
        _ => false,
    }
}

fn endpoint(a: &Endpoint, b: &Endpoint) -> bool {
    let policies = match (&a.policy, &b.policy) {
        (EndpointPolicy::Given(x), EndpointPolicy::Given(y)) => policy(x, y),
        (EndpointPolicy::AwsDefault { .. }, EndpointPolicy::AwsDefault { .. })
        | (EndpointPolicy::NotStated { .. }, EndpointPolicy::NotStated { .. }) => true,
        _ => false,
    };
    policies
        && field(&a.service_name, &b.service_name)
        && field(&a.endpoint_type, &b.endpoint_type)
        && field(&a.vpc, &b.vpc)
        && fields(&a.subnets, &b.subnets)
        && fields(&a.security_groups, &b.security_groups)
        && fields(&a.route_tables, &b.route_tables)
        && field(&a.private_dns, &b.private_dns)
        && field(&a.service_region, &b.service_region)
        && field(&a.region, &b.region)
        && assigned(&a.endpoint_id, &b.endpoint_id)
        && field(&a.resource_configuration, &b.resource_configuration)
        && field(&a.service_network, &b.service_network)
}

fn bucket_policy(a: &BucketPolicy, b: &BucketPolicy) -> bool {
    let changes = match (&a.change, &b.change) {
        (BucketPolicyChange::Set(x), BucketPolicyChange::Set(y)) => policy(x, y),
        (BucketPolicyChange::Delete { .. }, BucketPolicyChange::Delete { .. }) => true,
        _ => false,
    };
    changes && assigned(&a.bucket, &b.bucket)
}

fn public_access_block(a: &PublicAccessBlock, b: &PublicAccessBlock) -> bool {
    assigned(&a.bucket, &b.bucket)
        && a.settings.len() == b.settings.len()
        && a.settings
            .iter()
            .zip(&b.settings)
            .all(|(x, y)| x.name == y.name && x.value == y.value)
}

fn bucket_acl(a: &BucketAcl, b: &BucketAcl) -> bool {
    assigned(&a.bucket, &b.bucket)
        && a.owner == b.owner
        && field(&a.ownership, &b.ownership)
        && a.grants.len() == b.grants.len()
        && a.grants
            .iter()
            .zip(&b.grants)
            .all(|(x, y)| x.grantee == y.grantee && x.permission == y.permission)
}

fn destination(a: &Destination, b: &Destination) -> bool {
    a.kind == b.kind && field(&a.target, &b.target) && field(&a.account, &b.account)
}

fn association(a: &EndpointAssociation, b: &EndpointAssociation) -> bool {
    a.kind == b.kind && field(&a.endpoint, &b.endpoint) && field(&a.target, &b.target)
}

fn access_point(a: &AccessPointPolicy, b: &AccessPointPolicy) -> bool {
    a.kind == b.kind
        && assigned(&a.name, &b.name)
        && assigned(&a.account, &b.account)
        && field(&a.region, &b.region)
        && assigned(&a.bucket, &b.bucket)
        && policy(&a.policy, &b.policy)
        && field(&a.vpc, &b.vpc)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::same_facts;
    use crate::resources::{Adapted, Subject, adapt};

    fn subjects(doc: &Value) -> Vec<Subject> {
        match adapt(doc) {
            Adapted::Checked { subjects, .. } => subjects,
            other => panic!("not checked: {other:?}"),
        }
    }

    fn bucket_policy(for_provider: Value) -> Value {
        json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy",
               "metadata": {"name": "p"}, "spec": {"forProvider": for_provider}})
    }

    const POLICY: &str = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    #[test]
    fn a_resolved_reference_and_a_moved_value_are_the_same_fact() {
        let by_ref = bucket_policy(
            json!({"region": "us-east-1", "bucketRef": {"name": "b"}, "policy": POLICY}),
        );
        let resolved = bucket_policy(
            json!({"region": "us-east-1", "bucketRef": {"name": "b"}, "bucket": "b", "policy": POLICY}),
        );
        assert!(same_facts(&subjects(&by_ref), &subjects(&resolved)));
        let other_bucket =
            bucket_policy(json!({"region": "us-east-1", "bucket": "c", "policy": POLICY}));
        assert!(!same_facts(&subjects(&resolved), &subjects(&other_bucket)));
    }

    fn access_point_policy(for_provider: Value) -> Value {
        json!({"apiVersion": "s3control.aws.upbound.io/v1beta1", "kind": "AccessPointPolicy",
               "metadata": {"name": "p"}, "spec": {"forProvider": for_provider}})
    }

    /// The controller resolves `accessPointArnRef` into the ARN: the access point's name,
    /// account and Region were unresolved, and are now read from it.
    #[test]
    fn a_resolved_access_point_arn_is_the_same_fact() {
        let arn = "arn:aws:s3:us-west-1:111122223333:accesspoint/reports";
        let by_ref = access_point_policy(
            json!({"region": "us-west-1", "accessPointArnRef": {"name": "ap"}, "policy": POLICY}),
        );
        let resolved = access_point_policy(
            json!({"region": "us-west-1", "accessPointArnRef": {"name": "ap"}, "accessPointArn": arn, "policy": POLICY}),
        );
        assert!(same_facts(&subjects(&by_ref), &subjects(&resolved)));
        let other = access_point_policy(
            json!({"region": "us-west-1", "accessPointArn": arn.replace("reports", "other"), "policy": POLICY}),
        );
        assert!(!same_facts(&subjects(&resolved), &subjects(&other)));
        let multi_region = access_point_policy(
            json!({"region": "us-west-1", "accessPointArn": "arn:aws:s3::111122223333:accesspoint/reports", "policy": POLICY}),
        );
        assert!(!same_facts(&subjects(&resolved), &subjects(&multi_region)));
    }

    /// Upjet moves `initProvider` values into `forProvider`; Terraform's default for an omitted
    /// Block Public Access setting is what is written, so writing it out changes nothing.
    #[test]
    fn an_access_point_block_moved_or_written_out_is_the_same_fact() {
        let ap = |spec: Value| {
            json!({"apiVersion": "s3control.aws.upbound.io/v1beta2", "kind": "AccessPoint",
                   "metadata": {"name": "ap"}, "spec": spec})
        };
        let init = ap(
            json!({"forProvider": {"name": "ap", "region": "us-west-1", "bucket": "b"},
            "initProvider": {"publicAccessBlockConfiguration": {"blockPublicPolicy": false}}}),
        );
        let moved = ap(
            json!({"forProvider": {"name": "ap", "region": "us-west-1", "bucket": "b",
            "publicAccessBlockConfiguration": {"blockPublicPolicy": false, "blockPublicAcls": true}}}),
        );
        assert!(same_facts(&subjects(&init), &subjects(&moved)));
        let opened = ap(
            json!({"forProvider": {"name": "ap", "region": "us-west-1", "bucket": "b",
            "publicAccessBlockConfiguration": {"blockPublicPolicy": false, "blockPublicAcls": false}}}),
        );
        assert!(!same_facts(&subjects(&init), &subjects(&opened)));
    }

    #[test]
    fn any_change_to_the_policy_text_is_a_change() {
        let a = bucket_policy(json!({"region": "us-east-1", "bucket": "b", "policy": POLICY}));
        let b = bucket_policy(
            json!({"region": "us-east-1", "bucket": "b", "policy": POLICY.replace("GetObject", "*")}),
        );
        assert!(same_facts(&subjects(&a), &subjects(&a.clone())));
        assert!(!same_facts(&subjects(&a), &subjects(&b)));
    }
}
