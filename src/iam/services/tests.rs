//! Facts from AWS's Service Authorization Reference, one page per service under
//! https://docs.aws.amazon.com/service-authorization/latest/reference/ (the page of each service
//! is named where its facts are checked), held against the generated tables.

use super::*;

const LISTED: [&str; 12] = [
    "s3",
    "s3express",
    "ecr",
    "sts",
    "kms",
    "sqs",
    "sns",
    "secretsmanager",
    "dynamodb",
    "lambda",
    "logs",
    "ssm",
];

fn action(qualified: &str) -> &'static ServiceAction {
    qualified_action(qualified)
        .unwrap_or_else(|| panic!("{qualified} is in no table"))
        .1
}

/// The action's access level and its resource types as (name, required), in name order.
fn assert_action(qualified: &str, level: AccessLevel, resources: &[(&str, bool)]) {
    let a = action(qualified);
    assert_eq!(a.access_level, level, "{qualified}");
    let got: Vec<(&str, bool)> = a
        .resource_types
        .iter()
        .map(|r| (r.name.as_str(), r.required))
        .collect();
    assert_eq!(got, resources, "{qualified}");
}

fn arn_format(prefix: &str, resource_type: &str) -> &'static str {
    &service(prefix)
        .unwrap_or_else(|| panic!("no table {prefix}"))
        .resource_type(resource_type)
        .unwrap_or_else(|| panic!("{prefix} has no resource type {resource_type}"))
        .arn_format
}

fn key(prefix: &str, name: &str) -> &'static ServiceConditionKey {
    service(prefix)
        .unwrap_or_else(|| panic!("no table {prefix}"))
        .condition_key(name)
        .unwrap_or_else(|| panic!("{prefix} lists no key {name}"))
}

#[test]
fn every_table_loads_and_holds_its_service() {
    let tables = load_tables().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tables.len(), LISTED.len());
    for prefix in LISTED {
        let t = service(prefix).unwrap_or_else(|| panic!("no table {prefix}"));
        assert_eq!(t.prefix, prefix);
        assert!(!t.name.is_empty(), "{prefix}");
        assert!(
            t.reference.starts_with(
                "https://docs.aws.amazon.com/service-authorization/latest/reference/list_"
            ),
            "{prefix}: {}",
            t.reference
        );
        assert!(
            t.actions().len() >= 10,
            "{prefix}: {} actions",
            t.actions().len()
        );
        assert!(!t.resource_types().is_empty(), "{prefix}");
        for r in t.resource_types() {
            let parts = r.arn_components();
            assert_eq!(parts[0], "arn", "{prefix} {}", r.name);
            assert_eq!(parts[1], "${Partition}", "{prefix} {}", r.name);
        }
    }
    assert!(service("ec2").is_none());
    assert!(service("").is_none());
}

#[test]
fn a_table_that_does_not_match_its_file_is_refused() {
    let text = TABLE_SOURCES
        .iter()
        .find(|(p, _)| *p == "sqs")
        .expect("sqs")
        .1;
    assert!(matches!(
        load_table("sns", text),
        Err(ServiceTableError::Invalid { prefix: "sns", .. })
    ));
    assert!(matches!(
        load_table("sqs", "{"),
        Err(ServiceTableError::Json { prefix: "sqs", .. })
    ));
    let unknown_type = text.replace(r#"{"type":"String"}"#, r#"{"type":"Blob"}"#);
    assert!(matches!(
        load_table("sqs", &unknown_type),
        Err(ServiceTableError::Invalid { .. })
    ));
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
#[test]
fn s3() {
    // Objects and access point objects are alternatives, so neither carries the asterisk.
    assert_action(
        "s3:GetObject",
        AccessLevel::Read,
        &[("accesspointobject", false), ("object", false)],
    );
    assert_action(
        "s3:ListBucket",
        AccessLevel::List,
        &[("accesspoint", false), ("bucket", false)],
    );
    assert_action("s3:CreateBucket", AccessLevel::Write, &[("bucket", true)]);
    assert_action(
        "s3:PutBucketPolicy",
        AccessLevel::PermissionsManagement,
        &[("bucket", true)],
    );
    assert_action("s3:ListAllMyBuckets", AccessLevel::List, &[]);
    assert_eq!(
        arn_format("s3", "object"),
        "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    );
    assert_eq!(
        arn_format("s3", "bucket"),
        "arn:${Partition}:s3:::${BucketName}"
    );
    assert_eq!(
        arn_format("s3", "accesspoint"),
        "arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}"
    );
    assert!(
        action("s3:ListBucket")
            .condition_keys
            .iter()
            .any(|k| k == "s3:prefix")
    );
    assert_eq!(key("s3", "s3:prefix").value_type, KeyType::String);
    assert_eq!(key("s3", "s3:signatureAge").value_type, KeyType::Numeric);
    assert_eq!(
        key("s3", "s3:ExistingObjectTag/project").name,
        "s3:ExistingObjectTag/<key>"
    );
    assert_eq!(
        key("s3", "s3:BucketTag/team").name,
        "s3:BucketTag/${TagKey}"
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3express.html
#[test]
fn s3express() {
    assert_action(
        "s3express:CreateSession",
        AccessLevel::Write,
        &[("accesspoint", false), ("bucket", true)],
    );
    assert_eq!(
        arn_format("s3express", "bucket"),
        "arn:${Partition}:s3express:${Region}:${Account}:bucket/${BucketName}"
    );
    assert_eq!(
        key("s3express", "s3express:SessionMode").value_type,
        KeyType::String
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
#[test]
fn ecr() {
    assert_action("ecr:GetAuthorizationToken", AccessLevel::Read, &[]);
    assert_action(
        "ecr:BatchGetImage",
        AccessLevel::Read,
        &[("repository", true)],
    );
    assert_action(
        "ecr:GetDownloadUrlForLayer",
        AccessLevel::Read,
        &[("repository", true)],
    );
    assert_action("ecr:PutImage", AccessLevel::Write, &[("repository", true)]);
    assert_eq!(
        arn_format("ecr", "repository"),
        "arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}"
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
#[test]
fn sts() {
    assert_action("sts:AssumeRole", AccessLevel::Write, &[("role", true)]);
    assert_action("sts:GetCallerIdentity", AccessLevel::Read, &[]);
    // A role is an IAM resource: the ARN's service is iam, and it has no region.
    assert_eq!(
        arn_format("sts", "role"),
        "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
    );
    let role = service("sts")
        .and_then(|t| t.resource_type("role"))
        .expect("role");
    assert_eq!(role.arn_components()[2], "iam");
    assert_eq!(role.arn_components()[3], "");
    assert_eq!(key("sts", "sts:ExternalId").value_type, KeyType::String);
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
#[test]
fn kms() {
    assert_action("kms:Decrypt", AccessLevel::Write, &[("key", true)]);
    assert_action("kms:GenerateDataKey", AccessLevel::Write, &[("key", true)]);
    assert_action("kms:ListKeys", AccessLevel::List, &[]);
    assert_eq!(
        arn_format("kms", "key"),
        "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"
    );
    assert_eq!(
        arn_format("kms", "alias"),
        "arn:${Partition}:kms:${Region}:${Account}:alias/${Alias}"
    );
    let keys = key("kms", "kms:EncryptionContextKeys");
    assert_eq!((keys.value_type, keys.multivalued), (KeyType::String, true));
    assert_eq!(
        key("kms", "kms:EncryptionContext:tenant").name,
        "kms:EncryptionContext:${EncryptionContextKey}"
    );
    assert_eq!(key("kms", "kms:ViaService").value_type, KeyType::String);
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
#[test]
fn sqs() {
    assert_action("sqs:SendMessage", AccessLevel::Write, &[("queue", true)]);
    assert_action("sqs:ReceiveMessage", AccessLevel::Read, &[("queue", true)]);
    assert_action("sqs:ListQueues", AccessLevel::Read, &[]);
    // The source package gives CreateQueue its own access level, and says so.
    assert!(action("sqs:CreateQueue").access_level_overridden);
    assert!(!action("sqs:SendMessage").access_level_overridden);
    // The queue name is the whole resource part: no "queue/" before it.
    assert_eq!(
        arn_format("sqs", "queue"),
        "arn:${Partition}:sqs:${Region}:${Account}:${QueueName}"
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
#[test]
fn sns() {
    assert_action("sns:Publish", AccessLevel::Write, &[("topic", true)]);
    assert_action("sns:Subscribe", AccessLevel::Write, &[("topic", true)]);
    assert_eq!(
        arn_format("sns", "topic"),
        "arn:${Partition}:sns:${Region}:${Account}:${TopicName}"
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html
#[test]
fn secretsmanager() {
    // The reference capitalises this resource type; lookups ignore case.
    assert_action(
        "secretsmanager:GetSecretValue",
        AccessLevel::Read,
        &[("Secret", true)],
    );
    assert_action("secretsmanager:ListSecrets", AccessLevel::List, &[]);
    assert_eq!(
        arn_format("secretsmanager", "secret"),
        "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}"
    );
    assert_eq!(
        key("secretsmanager", "secretsmanager:SecretId").value_type,
        KeyType::Arn
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
#[test]
fn dynamodb() {
    assert_action("dynamodb:GetItem", AccessLevel::Read, &[("table", true)]);
    assert_action("dynamodb:PutItem", AccessLevel::Write, &[("table", true)]);
    assert_action("dynamodb:ListTables", AccessLevel::List, &[]);
    assert_eq!(
        arn_format("dynamodb", "table"),
        "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"
    );
    let leading = key("dynamodb", "dynamodb:LeadingKeys");
    assert_eq!(
        (leading.value_type, leading.multivalued),
        (KeyType::String, true)
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
#[test]
fn lambda() {
    assert_action(
        "lambda:InvokeFunction",
        AccessLevel::Write,
        &[("function", true)],
    );
    assert_action("lambda:ListFunctions", AccessLevel::List, &[]);
    assert_eq!(
        arn_format("lambda", "function"),
        "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"
    );
    assert_eq!(
        arn_format("lambda", "function alias"),
        "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}:${Alias}"
    );
    assert_eq!(key("lambda", "lambda:FunctionArn").value_type, KeyType::Arn);
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
#[test]
fn logs() {
    assert_action(
        "logs:PutLogEvents",
        AccessLevel::Write,
        &[("log-stream", true)],
    );
    assert_action(
        "logs:CreateLogGroup",
        AccessLevel::Write,
        &[("log-group", true)],
    );
    assert_eq!(
        arn_format("logs", "log-group"),
        "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
    );
    assert_eq!(
        arn_format("logs", "log-stream"),
        "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}"
    );
}

/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
#[test]
fn ssm() {
    assert_action(
        "ssm:GetParameter",
        AccessLevel::Read,
        &[("parameter", true)],
    );
    assert_action(
        "ssm:StartSession",
        AccessLevel::Write,
        &[
            ("document", false),
            ("instance", false),
            ("managed-instance", false),
            ("task", false),
        ],
    );
    assert_eq!(
        arn_format("ssm", "parameter"),
        "arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}"
    );
    // ssm:StartSession acts on EC2 instances: the ARN is ec2's.
    assert_eq!(
        arn_format("ssm", "instance"),
        "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}"
    );
}

#[test]
fn lookups_ignore_case_as_iam_does() {
    let s3 = service("S3").expect("s3");
    assert_eq!(s3.prefix, "s3");
    for spelling in ["GetObject", "getobject", "GETOBJECT", "gEtObJeCt"] {
        assert_eq!(
            s3.action(spelling).map(|a| a.name.as_str()),
            Some("GetObject")
        );
    }
    assert_eq!(
        qualified_action("KMS:decrypt").map(|(t, a)| (t.prefix.as_str(), a.name.as_str())),
        Some(("kms", "Decrypt"))
    );
    assert!(s3.action("GetObjects").is_none());
    assert!(s3.action("").is_none());
    assert!(qualified_action("GetObject").is_none());
    assert!(qualified_action("ec2:RunInstances").is_none());
    assert_eq!(
        s3.resource_type("OBJECT").map(|r| r.name.as_str()),
        Some("object")
    );
    assert_eq!(
        s3.condition_key("S3:PREFIX").map(|k| k.name.as_str()),
        Some("s3:prefix")
    );
    // A placeholder stands for something: the bare stem is no key.
    assert!(s3.condition_key("s3:ExistingObjectTag/").is_none());
    assert!(s3.condition_key("s3:NoSuchKey").is_none());
}

#[test]
fn every_action_and_resource_type_is_found_by_its_own_name() {
    for t in services() {
        for a in t.actions() {
            assert!(std::ptr::eq(t.action(&a.name).expect("action"), a));
            assert!(std::ptr::eq(
                t.action(&a.name.to_ascii_uppercase()).expect("upper"),
                a
            ));
            for r in &a.resource_types {
                assert!(
                    t.resource_type(&r.name).is_some(),
                    "{}:{}",
                    t.prefix,
                    a.name
                );
            }
        }
        for r in t.resource_types() {
            assert!(std::ptr::eq(t.resource_type(&r.name).expect("type"), r));
        }
        for k in t.condition_keys() {
            assert!(std::ptr::eq(t.condition_key(&k.name).expect("key"), k));
        }
    }
}

#[test]
fn endpoint_service_names_map_to_iam_prefixes() {
    for (name, prefix) in [
        ("com.amazonaws.us-east-1.s3", "s3"),
        ("com.amazonaws.us-east-1.s3express", "s3express"),
        ("com.amazonaws.eu-west-1.ecr.api", "ecr"),
        ("com.amazonaws.eu-west-1.ecr.dkr", "ecr"),
        ("com.amazonaws.us-east-1.sts", "sts"),
        ("com.amazonaws.us-west-2.kms", "kms"),
        ("com.amazonaws.us-west-2.kms-fips", "kms"),
        ("com.amazonaws.us-east-1.sqs", "sqs"),
        ("com.amazonaws.us-east-1.sns", "sns"),
        ("com.amazonaws.us-east-1.secretsmanager", "secretsmanager"),
        ("com.amazonaws.us-east-1.dynamodb", "dynamodb"),
        ("com.amazonaws.us-east-1.lambda", "lambda"),
        ("com.amazonaws.us-east-1.logs", "logs"),
        ("com.amazonaws.us-east-1.ssm", "ssm"),
        ("com.amazonaws.us-gov-west-1.s3", "s3"),
        ("cn.com.amazonaws.cn-north-1.s3", "s3"),
        ("cn.com.amazonaws.cn-northwest-1.ecr.dkr", "ecr"),
        ("com.amazonaws.cn-north-1.kms", "kms"),
    ] {
        assert_eq!(endpoint_service_prefix(name), Some(prefix), "{name}");
        // Every mapped prefix has a table.
        assert!(service(prefix).is_some(), "{prefix}");
    }
    assert_eq!(
        parse_endpoint_service_name("com.amazonaws.eu-west-1.ecr.api"),
        Some(EndpointServiceName {
            region: "eu-west-1",
            iam_prefix: "ecr"
        })
    );
}

#[test]
fn unknown_endpoint_service_names_map_to_nothing() {
    for name in [
        // Services without a table: the generic model.
        "com.amazonaws.us-east-1.ec2",
        "com.amazonaws.us-east-1.ssmmessages",
        "com.amazonaws.us-east-1.ec2messages",
        "com.amazonaws.us-east-1.ecr",
        "com.amazonaws.us-east-1.execute-api",
        // No region.
        "com.amazonaws.s3-global.accesspoint",
        "com.amazonaws.s3",
        // Not an AWS service name, or not quite.
        "",
        "s3",
        "com.amazonaws.us-east-1.",
        "com.amazonaws.US-EAST-1.s3",
        "com.amazonaws.us-east-1.S3",
        "com.amazonaws.us-east-1.s3.extra",
        "org.amazonaws.us-east-1.s3",
        "com.amazonaws..s3",
        "com.amazonaws.useast.s3",
        "com.amazonaws.us--1.s3",
        "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
        "aws.sagemaker.us-east-1.notebook",
    ] {
        assert_eq!(endpoint_service_prefix(name), None, "{name:?}");
    }
}

#[test]
fn arn_formats_fill_and_refuse_a_missing_value() {
    let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    assert_eq!(
        fill_arn_format(
            object,
            &[
                ("Partition", "aws"),
                ("Region", "us-east-1"),
                ("Account", "111122223333"),
                ("BucketName", "reports"),
                ("ObjectName", "2026/q4.csv"),
            ]
        ),
        Ok("arn:aws:s3:::reports/2026/q4.csv".to_owned())
    );
    assert_eq!(
        fill_arn_format(object, &[("Partition", "aws"), ("BucketName", "reports")]),
        Err(ArnFormatError::MissingValue {
            format: object.to_owned(),
            placeholder: "ObjectName".to_owned(),
        })
    );
    // Names are the reference's, exactly.
    assert!(matches!(
        fill_arn_format(object, &[("partition", "aws"), ("BucketName", "b"), ("ObjectName", "o")]),
        Err(ArnFormatError::MissingValue { placeholder, .. }) if placeholder == "Partition"
    ));
    assert_eq!(
        fill_arn_format("arn:${Partition", &[("Partition", "aws")]),
        Err(ArnFormatError::Unclosed {
            format: "arn:${Partition".to_owned(),
            at: 4,
        })
    );
    // A value is inserted as it is, never read as a placeholder.
    assert_eq!(
        fill_arn_format("x:${A}", &[("A", "${B}")]),
        Ok("x:${B}".to_owned())
    );

    let key = service("kms")
        .and_then(|t| t.resource_type("key"))
        .expect("kms key");
    assert_eq!(
        key.arn(&[
            ("Partition", "aws-cn"),
            ("Region", "cn-north-1"),
            ("Account", "111122223333"),
            ("KeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        ]),
        Ok(
            "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                .to_owned()
        )
    );
    assert_eq!(
        arn_format_placeholders(&key.arn_format),
        Ok(vec!["Partition", "Region", "Account", "KeyId"])
    );
    let message = key.arn(&[("Partition", "aws")]).unwrap_err().to_string();
    assert!(message.contains("${Region}"), "{message}");
}

#[test]
fn every_arn_format_fills_from_its_own_placeholders() {
    for t in services() {
        for r in t.resource_types() {
            let names = arn_format_placeholders(&r.arn_format).expect("placeholders");
            let values: Vec<(&str, &str)> = names.iter().map(|n| (*n, "v")).collect();
            let filled = r.arn(&values).expect("fills");
            assert!(!filled.contains("${"), "{}: {filled}", r.name);
            assert!(arn::split(&filled).is_some(), "{}: {filled}", r.name);
        }
    }
}

#[test]
fn arns_fit_their_resource_type_only_with_values_of_each_kind() {
    let s3 = service("s3").expect("s3 table");
    let object = &s3.resource_type("object").expect("object").arn_format;
    let bucket = &s3.resource_type("bucket").expect("bucket").arn_format;
    assert!(arn_fits(object, "arn:aws:s3:::example-bucket/a/b:c"));
    assert!(
        !arn_fits(object, "arn:aws:s3:::example-bucket/"),
        "an empty key"
    );
    assert!(!arn_fits(object, "arn:aws:s3:::example-bucket"));
    assert!(
        !arn_fits(object, "arn:aws:s3:::Bad#Bucket/key"),
        "no such bucket name"
    );
    assert!(arn_fits(bucket, "arn:aws:s3:::example-bucket"));
    assert!(!arn_fits(bucket, "arn:aws:s3:::example-bucket/key"));
    let ecr = service("ecr").expect("ecr table");
    let repository = &ecr.resource_types()[0].arn_format;
    assert!(arn_fits(
        repository,
        "arn:aws:ecr:eu-west-1:111122223333:repository/team/app"
    ));
    assert!(!arn_fits(
        repository,
        "arn:aws:ecr:eu-west-1:1111:repository/team/app"
    ));
    for t in services() {
        for r in t.resource_types() {
            let arn = fresh_arn(&r.arn_format, &[]).expect("fills");
            assert!(arn_fits(&r.arn_format, &arn), "{arn} fits {}", r.arn_format);
        }
    }
}
