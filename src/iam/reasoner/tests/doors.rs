//! S3's other doors: access points (regional, Multi-Region, Object Lambda), directory buckets,
//! and the bucket policy that delegates access control to access points. Each semantic has its
//! violating case and its compliant twin.

use super::*;
use crate::iam::Caller;

const OUTSIDER: &str = "444455556666";
const AP: &str = "arn:aws:s3:us-east-1:111122223333:accesspoint/reports";
const VPC: &str = "vpc-1a2b3c4d";

fn per() -> Perimeter {
    Perimeter {
        vpcs: vec![VPC.into()],
        ..perimeter()
    }
}

fn context(w: &Witness, key: &str) -> Option<String> {
    match w.request.context.get(key) {
        Some(ContextValue::One(v)) => Some(v.clone()),
        _ => None,
    }
}

fn door(kind: DoorKind, name: &str, region: Option<&str>) -> Attachment {
    Attachment::Door(Door {
        kind,
        name: Some(name.into()),
        region: region.map(str::to_owned),
        account: Some(ACCOUNT.into()),
        vpc_origin: None,
    })
}

/// A door of `kind` whose name, Region and owner are not known (a reference not resolved).
fn unknown_door(kind: DoorKind) -> Attachment {
    Attachment::Door(Door {
        kind,
        name: None,
        region: None,
        account: None,
        vpc_origin: None,
    })
}

fn access_point(vpc_origin: Option<Option<&str>>) -> Attachment {
    Attachment::Door(Door {
        kind: DoorKind::AccessPoint,
        name: Some("reports".into()),
        region: Some("us-east-1".into()),
        account: Some(ACCOUNT.into()),
        vpc_origin: vpc_origin.map(|v| v.map(str::to_owned)),
    })
}

fn grant(principal: Value, action: &str, resource: &str, condition: Value) -> Vec<Value> {
    let mut s = json!({"Effect": "Allow", "Principal": principal, "Action": action,
        "Resource": resource});
    if !condition.is_null() {
        s["Condition"] = condition;
    }
    vec![s]
}

/// AWS's delegation example (Amazon S3 User Guide, "Configuring IAM policies for using access
/// points", "Delegating access control to access points"): the bucket allows everything to
/// requests through access points the account owns.
fn delegation(account_condition: Value) -> Vec<Value> {
    let mut s = json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
        "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")]});
    if !account_condition.is_null() {
        s["Condition"] = account_condition;
    }
    vec![s]
}

#[test]
fn delegating_to_a_trusted_accounts_access_points_complies() {
    let s = delegation(json!({"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}}));
    for d in [Dimension::Identity, Dimension::Network] {
        complies(dimension_of(s.clone(), &bucket(), &per(), d));
    }
}

#[test]
fn delegating_to_another_accounts_access_points_violates_through_one() {
    let s = delegation(json!({"StringEquals": {"s3:DataAccessPointAccount": OUTSIDER}}));
    let w = violates(dimension_of(s, &bucket(), &per(), Dimension::Identity));
    assert_eq!(
        context(&w, "s3:dataaccesspointaccount").as_deref(),
        Some(OUTSIDER)
    );
    let through = context(&w, "s3:dataaccesspointarn").expect("through an access point");
    assert!(
        through.starts_with(&format!("arn:aws:s3:us-east-1:{OUTSIDER}:accesspoint/")),
        "{through}"
    );
}

#[test]
fn delegating_to_any_accounts_access_points_violates_through_one() {
    let s = delegation(json!({"StringLike": {"s3:DataAccessPointAccount": "*"}}));
    let w = violates(dimension_of(s, &bucket(), &per(), Dimension::Identity));
    let account = context(&w, "s3:dataaccesspointaccount").expect("through an access point");
    assert_ne!(account, ACCOUNT, "{}", w.line());
    // The access point ARN key agrees with the account key.
    assert!(context(&w, "s3:dataaccesspointarn").is_some_and(|a| a.contains(&account)));
}

#[test]
fn the_delegation_pattern_without_its_condition_violates() {
    let w = violates(dimension_of(
        delegation(Value::Null),
        &bucket(),
        &per(),
        Dimension::Identity,
    ));
    assert!(w.line().starts_with("anonymous principal"), "{}", w.line());
}

#[test]
fn delegation_names_the_access_point_by_arn_too() {
    let trusted = json!({"ArnLike": {"s3:DataAccessPointArn": format!("arn:aws:s3:*:{ACCOUNT}:accesspoint/*")}});
    complies(dimension_of(
        delegation(trusted),
        &bucket(),
        &per(),
        Dimension::Identity,
    ));
    let any = json!({"ArnLike": {"s3:DataAccessPointArn": "arn:aws:s3:*:*:accesspoint/*"}});
    let w = violates(dimension_of(
        delegation(any),
        &bucket(),
        &per(),
        Dimension::Identity,
    ));
    assert_ne!(
        context(&w, "s3:dataaccesspointaccount").as_deref(),
        Some(ACCOUNT)
    );
}

#[test]
fn an_access_point_policy_open_to_everyone_violates_on_the_access_point() {
    let s = grant(
        json!("*"),
        "s3:GetObject",
        &format!("{AP}/object/*"),
        Value::Null,
    );
    let w = violates(dimension_of(
        s,
        &access_point(None),
        &per(),
        Dimension::Identity,
    ));
    assert!(
        w.request.resource.arn.starts_with(&format!("{AP}/object/")),
        "{}",
        w.line()
    );
    // Access points take neither anonymous requests nor plain HTTP (Amazon S3 User Guide,
    // "Access points restrictions and limitations").
    assert!(matches!(w.request.caller, Caller::Iam(_)), "{}", w.line());
    assert_eq!(context(&w, "aws:securetransport").as_deref(), Some("true"));
    // S3 reports the access point in the request (`simulate` replays the witness as given).
    assert_eq!(context(&w, "s3:dataaccesspointarn").as_deref(), Some(AP));
    assert_eq!(
        context(&w, "s3:dataaccesspointaccount").as_deref(),
        Some(ACCOUNT)
    );
    assert_eq!(
        context(&w, "s3:accesspointnetworkorigin").as_deref(),
        Some("Internet")
    );
}

#[test]
fn an_access_point_policy_for_the_organization_keeps_identities_in() {
    let s = grant(
        json!({"AWS": "*"}),
        "s3:GetObject",
        &format!("{AP}/object/*"),
        json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    );
    complies(dimension_of(
        s.clone(),
        &access_point(None),
        &per(),
        Dimension::Identity,
    ));
    // From the internet, an Internet-origin access point is reachable from anywhere.
    let w = violates(dimension_of(
        s.clone(),
        &access_point(None),
        &per(),
        Dimension::Network,
    ));
    assert!(
        w.request.context.contains_key("aws:sourceip"),
        "{}",
        w.line()
    );
    // A VPC-origin access point in an expected VPC is the network control.
    complies(dimension_of(
        s.clone(),
        &access_point(Some(Some(VPC))),
        &per(),
        Dimension::Network,
    ));
    // In another VPC it is not.
    let w = violates(dimension_of(
        s,
        &access_point(Some(Some("vpc-0a1b2c3d"))),
        &per(),
        Dimension::Network,
    ));
    assert_eq!(
        context(&w, "aws:sourcevpc").as_deref(),
        Some("vpc-0a1b2c3d")
    );
    assert_eq!(
        context(&w, "s3:accesspointnetworkorigin").as_deref(),
        Some("VPC")
    );
}

#[test]
fn the_access_point_keys_do_not_narrow_who_calls_an_access_point() {
    // Every request to the access point carries its own account: the condition holds for all.
    let s = grant(
        json!("*"),
        "s3:GetObject",
        &format!("{AP}/object/*"),
        json!({"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}}),
    );
    violates(dimension_of(
        s,
        &access_point(None),
        &per(),
        Dimension::Identity,
    ));
    // And a condition naming another access point grants nothing here.
    let s = grant(
        json!("*"),
        "s3:GetObject",
        &format!("{AP}/object/*"),
        json!({"StringEquals": {"s3:DataAccessPointArn": format!("arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/other")}}),
    );
    complies(dimension_of(
        s,
        &access_point(None),
        &per(),
        Dimension::Identity,
    ));
}

#[test]
fn a_vpc_origin_access_point_is_reached_only_from_its_vpc() {
    let s = grant(
        json!("*"),
        "s3:GetObject",
        &format!("{AP}/object/*"),
        json!({"StringEquals": {"s3:AccessPointNetworkOrigin": "Internet"}}),
    );
    complies(dimension_of(
        s.clone(),
        &access_point(Some(None)),
        &per(),
        Dimension::Identity,
    ));
    violates(dimension_of(
        s,
        &access_point(None),
        &per(),
        Dimension::Identity,
    ));
}

#[test]
fn a_directory_bucket_policy_is_judged_on_s3_express() {
    let arn = "arn:aws:s3express:us-west-2:111122223333:bucket/data--usw2-az1--x-s3";
    let d = door(
        DoorKind::DirectoryBucket,
        "data--usw2-az1--x-s3",
        Some("us-west-2"),
    );
    let outsider = grant(
        json!({"AWS": format!("arn:aws:iam::{OUTSIDER}:root")}),
        "s3express:CreateSession",
        arn,
        Value::Null,
    );
    let w = violates(dimension_of(outsider, &d, &per(), Dimension::Identity));
    assert_eq!(w.request.action, "s3express:CreateSession");
    assert_eq!(w.request.resource.arn, arn);
    let own = grant(
        json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}),
        "s3express:CreateSession",
        arn,
        Value::Null,
    );
    complies(dimension_of(own, &d, &per(), Dimension::Identity));
}

#[test]
fn a_multi_region_access_point_policy_acts_on_its_objects() {
    let arn = "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/*";
    let d = door(DoorKind::MultiRegionAccessPoint, "example", None);
    let w = violates(dimension_of(
        grant(json!("*"), "s3:GetObject", arn, Value::Null),
        &d,
        &per(),
        Dimension::Identity,
    ));
    assert!(
        w.request
            .resource
            .arn
            .starts_with("arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap/object/"),
        "{}",
        w.line()
    );
    complies(dimension_of(
        grant(
            json!("*"),
            "s3:GetObject",
            arn,
            json!({"StringEquals": {"aws:PrincipalOrgID": ORG}}),
        ),
        &d,
        &per(),
        Dimension::Identity,
    ));
}

#[test]
fn an_object_lambda_access_point_policy_is_judged_on_its_arn() {
    let arn = "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/transform";
    let d = door(
        DoorKind::ObjectLambdaAccessPoint,
        "transform",
        Some("us-east-1"),
    );
    let w = violates(dimension_of(
        grant(
            json!({"AWS": OUTSIDER}),
            "s3-object-lambda:GetObject",
            arn,
            Value::Null,
        ),
        &d,
        &per(),
        Dimension::Identity,
    ));
    assert_eq!(w.request.resource.arn, arn);
    complies(dimension_of(
        grant(
            json!({"AWS": ACCOUNT}),
            "s3-object-lambda:GetObject",
            arn,
            Value::Null,
        ),
        &d,
        &per(),
        Dimension::Identity,
    ));
}

#[test]
fn door_names_follow_aws_naming_rules() {
    assert!(is_directory_bucket_name("data--usw2-az1--x-s3"));
    assert!(!is_directory_bucket_name("data--x-s3"));
    assert!(!is_directory_bucket_name("data-bucket"));
    assert!(model::is_access_point_name("reports"));
    assert!(!model::is_access_point_name("Reports"));
    assert!(!model::is_access_point_name("-reports"));
}

#[test]
fn s3_express_resource_account_is_the_directory_buckets_owner() {
    // Read from the resource, never chosen apart from it: a grant conditioned on the owner being
    // the platform's account holds for every request to the platform's directory bucket.
    let arn = "arn:aws:s3express:us-west-2:111122223333:bucket/data--usw2-az1--x-s3";
    let d = door(
        DoorKind::DirectoryBucket,
        "data--usw2-az1--x-s3",
        Some("us-west-2"),
    );
    let s = grant(
        json!({"AWS": format!("arn:aws:iam::{OUTSIDER}:root")}),
        "s3express:CreateSession",
        arn,
        json!({"StringEquals": {"s3express:ResourceAccount": ACCOUNT}}),
    );
    let w = violates(dimension_of(s, &d, &per(), Dimension::Identity));
    assert_eq!(w.request.resource.account.as_deref(), Some(ACCOUNT));
    // Naming another owner grants nothing on this bucket.
    let s = grant(
        json!({"AWS": format!("arn:aws:iam::{OUTSIDER}:root")}),
        "s3express:CreateSession",
        arn,
        json!({"StringEquals": {"s3express:ResourceAccount": OUTSIDER}}),
    );
    complies(dimension_of(s, &d, &per(), Dimension::Identity));
}

#[test]
fn doors_take_no_plain_http_and_access_points_no_anonymous_callers() {
    // Allowing only plain HTTP grants nothing through a door.
    let plain = json!({"Bool": {"aws:SecureTransport": "false"}});
    complies(dimension_of(
        grant(
            json!("*"),
            "s3:GetObject",
            &format!("{AP}/object/*"),
            plain.clone(),
        ),
        &access_point(None),
        &per(),
        Dimension::Identity,
    ));
    let arn = "arn:aws:s3express:us-west-2:111122223333:bucket/data--usw2-az1--x-s3";
    let d = door(
        DoorKind::DirectoryBucket,
        "data--usw2-az1--x-s3",
        Some("us-west-2"),
    );
    complies(dimension_of(
        grant(json!("*"), "s3express:CreateSession", arn, plain.clone()),
        &d,
        &per(),
        Dimension::Identity,
    ));
    // A bucket, unlike its access points, takes both.
    let w = violates(dimension_of(
        vec![stmt("Allow", json!("*"), plain)],
        &bucket(),
        &per(),
        Dimension::Identity,
    ));
    assert!(
        matches!(w.request.caller, Caller::Anonymous),
        "{}",
        w.line()
    );
    // A request to a bucket through an access point is signed: a grant to anonymous callers
    // through access points grants nothing.
    let through = json!({"StringLike": {"s3:DataAccessPointAccount": "*"}, "StringEquals": {"aws:PrincipalType": "Anonymous"}});
    complies(dimension_of(
        delegation(through),
        &bucket(),
        &per(),
        Dimension::Identity,
    ));
}

#[test]
fn a_web_identity_calls_only_to_assume_a_role() {
    // A Federated principal names the sessions of a provider; S3 sees the role session that
    // results, never the provider.
    let s = grant(
        json!({"Federated": "cognito-identity.amazonaws.com"}),
        "s3:GetObject",
        &format!("arn:aws:s3:::{BUCKET}/*"),
        Value::Null,
    );
    complies(dimension_of(s, &bucket(), &per(), Dimension::Identity));
}

#[test]
fn a_multi_region_access_point_witness_names_a_plain_object() {
    let arn = "arn:aws:s3::111122223333:accesspoint/global.mrap/object/*";
    let d = door(DoorKind::MultiRegionAccessPoint, "global", None);
    let w = violates(dimension_of(
        grant(json!({"AWS": OUTSIDER}), "s3:GetObject", arn, Value::Null),
        &d,
        &per(),
        Dimension::Identity,
    ));
    assert_eq!(
        w.request.resource.arn,
        "arn:aws:s3::111122223333:accesspoint/global.mrap/object/fresh-key"
    );
}

/// A request's access point ARN (`s3:DataAccessPointArn`) follows from its Resource, so a grant
/// on every access point's `home/` objects that also requires an access point named `ap...` is
/// met only by an access point whose name both admit (Amazon S3 User Guide, "Condition keys for
/// Amazon S3": `s3:DataAccessPointArn`). The policy names neither the attached access point nor
/// its name, as an Upbound AccessPointPolicy whose ARN is a reference does.
#[test]
fn a_resource_pattern_and_an_access_point_condition_are_met_by_one_name() {
    let unnamed = Attachment::Door(Door {
        kind: DoorKind::AccessPoint,
        name: None,
        region: Some("eu-west-1".into()),
        account: Some(ACCOUNT.into()),
        vpc_origin: None,
    });
    let condition = |arn: &str| json!({"ForAnyValue:ArnLike": {"s3:DataAccessPointArn": [arn]}});
    let open = grant(
        json!("*"),
        "s3:PutObject",
        &format!("arn:aws:s3:*:{ACCOUNT}:accesspoint/*/object/home/*"),
        condition("arn:aws:s3:eu-west-1:*:accesspoint/ap*"),
    );
    let w = violates(dimension_of(open, &unnamed, &per(), Dimension::Identity));
    let arn = context(&w, "s3:dataaccesspointarn").unwrap_or_default();
    assert!(
        arn.starts_with(&format!("arn:aws:s3:eu-west-1:{ACCOUNT}:accesspoint/ap")),
        "{}",
        w.line()
    );
    assert!(
        w.request
            .resource
            .arn
            .starts_with(&format!("{arn}/object/home/")),
        "{}",
        w.line()
    );
    // The twin: the condition names access points of another Region, which this one is not.
    let elsewhere = grant(
        json!("*"),
        "s3:PutObject",
        &format!("arn:aws:s3:*:{ACCOUNT}:accesspoint/*/object/home/*"),
        condition("arn:aws:s3:us-west-2:*:accesspoint/ap*"),
    );
    complies(dimension_of(
        elsewhere,
        &unnamed,
        &per(),
        Dimension::Identity,
    ));
}

/// A door whose owner the perimeter trusts by account, without knowing its organization: the
/// owner may be a member of the organization whose OU the perimeter excludes, and a caller of the
/// owner's own account is then in that OU too (an account is in one organization at most: AWS
/// Organizations User Guide, "Managing accounts"; an exclusion wins over a listed account: IAM
/// User Guide, aws:PrincipalOrgPaths). A grant to that account violates with such a caller;
/// denying the OU, or knowing the account to be a member of another organization, complies.
#[test]
fn an_owner_of_unknown_membership_may_sit_in_an_excluded_ou() {
    const EXCLUDED_OU: &str = "o-zzz999yyy8/r-zz99/ou-zz99-22222222/";
    let per = Perimeter {
        identity_accounts: vec![ACCOUNT.into(), OUTSIDER.into()],
        identity_excluded_org_paths: vec![EXCLUDED_OU.into()],
        memberships: [(ACCOUNT.to_owned(), ORG.to_owned())].into(),
        ..per()
    };
    let name = "logs--euw1-az1--x-s3";
    let arn = format!("arn:aws:s3express:eu-west-1:{OUTSIDER}:bucket/{name}");
    let d = Attachment::Door(Door {
        kind: DoorKind::DirectoryBucket,
        name: Some(name.into()),
        region: Some("eu-west-1".into()),
        account: Some(OUTSIDER.into()),
        vpc_origin: None,
    });
    let own = grant(
        json!({"AWS": OUTSIDER}),
        "s3express:CreateSession",
        &arn,
        Value::Null,
    );
    let w = violates(dimension_of(own.clone(), &d, &per, Dimension::Identity));
    let Caller::Iam(caller) = &w.request.caller else {
        panic!("not an IAM caller: {}", w.line());
    };
    assert_eq!(caller.account, OUTSIDER, "{}", w.line());
    assert!(
        caller
            .org
            .as_ref()
            .is_some_and(|o| o.paths.iter().any(|p| p.starts_with(EXCLUDED_OU))),
        "{}",
        w.line()
    );
    let mut fenced = own.clone();
    fenced.push(json!({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": format!("{EXCLUDED_OU}*")}}}));
    complies(dimension_of(fenced, &d, &per, Dimension::Identity));
    let known = Perimeter {
        memberships: [
            (ACCOUNT.to_owned(), ORG.to_owned()),
            (OUTSIDER.to_owned(), ORG.to_owned()),
        ]
        .into(),
        ..per.clone()
    };
    complies(dimension_of(own, &d, &known, Dimension::Identity));
}

/// An access point a condition names by ARN (`s3:DataAccessPointArn`) belongs to the account in
/// that ARN (Amazon S3 User Guide, "Configuring IAM policies for using access points", condition
/// keys): a Multi-Region Access Point policy whose owner the manifest does not name is tried as
/// that account's. Granting an untrusted organization through it violates, with the request on
/// that access point; granting only the trusted organization complies.
#[test]
fn an_access_point_a_condition_names_is_tried_with_its_owner() {
    const MRAP: &str = "arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap";
    let per = Perimeter {
        memberships: [
            (ACCOUNT.to_owned(), ORG.to_owned()),
            (OUTSIDER.to_owned(), "o-zzz999yyy8".to_owned()),
        ]
        .into(),
        identity_accounts: vec![],
        resource_accounts: vec![],
        ..per()
    };
    let d = unknown_door(DoorKind::MultiRegionAccessPoint);
    let to = |orgs: Vec<&str>| {
        vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {
                "ForAllValues:StringLikeIfExists": {"s3:DataAccessPointArn": MRAP},
                "ForAnyValue:StringLike": {"aws:PrincipalOrgID": orgs}}}),
        ]
    };
    let w = violates(dimension_of(
        to(vec!["o-zzz999yyy8", ORG]),
        &d,
        &per,
        Dimension::Identity,
    ));
    assert!(w.request.resource.arn.starts_with(MRAP), "{}", w.line());
    assert_eq!(
        context(&w, "s3:dataaccesspointarn").as_deref(),
        Some(MRAP),
        "{}",
        w.line()
    );
    let Caller::Iam(caller) = &w.request.caller else {
        panic!("not an IAM caller: {}", w.line());
    };
    assert!(
        caller.org.as_ref().is_some_and(|o| o.id == "o-zzz999yyy8"),
        "{}",
        w.line()
    );
    complies(dimension_of(to(vec![ORG]), &d, &per, Dimension::Identity));
}

/// The account in an `s3:DataAccessPointArn` is the access point's owner (Amazon S3 User Guide,
/// "Configuring IAM policies for using access points", condition keys), so a policy that names
/// one reads the owner: with owners trusted by account and by organization, an owner of unknown
/// membership named only there is still tried (the listed accounts and one other stand for all
/// owners only when the policy reads nothing of the owner). Granting an untrusted organization
/// through it violates; granting only the trusted organization complies.
#[test]
fn an_access_point_condition_reads_its_owner() {
    const NAMED: &str = "arn:aws:s3:us-east-1:555566667777:accesspoint/reports";
    let unnamed = unknown_door(DoorKind::AccessPoint);
    let to = |orgs: Vec<&str>| {
        vec![
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {
                "StringEquals": {"s3:DataAccessPointArn": NAMED},
                "ForAnyValue:StringLike": {"aws:PrincipalOrgID": orgs}}}),
        ]
    };
    let w = violates(dimension_of(
        to(vec![ORG, "o-zzz999yyy8"]),
        &unnamed,
        &per(),
        Dimension::Identity,
    ));
    assert_eq!(
        context(&w, "s3:dataaccesspointarn").as_deref(),
        Some(NAMED),
        "{}",
        w.line()
    );
    complies(dimension_of(
        to(vec![ORG]),
        &unnamed,
        &per(),
        Dimension::Identity,
    ));
}
