//! What people do in AWS on a working day, by job: weighted API calls with realistic
//! parameters. The routine draws from these tables.

use serde_json::{Value, json};

use super::events::ts;
use super::rng::Rng;
use super::world::{ACCOUNT, Aws, PEOPLE};

/// How an API call's parameters are made.
#[derive(Clone, Copy)]
pub enum P {
    None,
    Instances,
    Svc(&'static str, &'static str),
    Cluster(&'static str),
    Logs(&'static str),
    Metric(&'static str),
    List(&'static str, &'static str),
    Get(&'static str, &'static str),
    Put(&'static str, &'static str),
    Func(&'static str),
    Table(&'static str),
    Queue(&'static str),
    AthenaStart,
    AthenaId,
    GlueJob(&'static str),
    GlueTable(&'static str, &'static str),
    Training,
    Cost,
    IamUser,
    Stack(&'static str),
    Dist,
    Findings,
    Alarms,
    DemoInstance,
}

pub type Action = ((&'static str, &'static str, P), u32);

pub const EC2: &str = "ec2.amazonaws.com";
pub const ECS: &str = "ecs.amazonaws.com";
pub const LOGS: &str = "logs.amazonaws.com";
pub const CW: &str = "monitoring.amazonaws.com";
pub const S3: &str = "s3.amazonaws.com";
pub const IAM: &str = "iam.amazonaws.com";

const PLATFORM: &[Action] = &[
    ((EC2, "DescribeInstances", P::Instances), 10),
    ((ECS, "DescribeServices", P::Svc("prod", "api")), 8),
    ((ECS, "ListTasks", P::Cluster("prod")), 4),
    ((LOGS, "FilterLogEvents", P::Logs("/ecs/prod/api")), 6),
    ((CW, "GetMetricData", P::Metric("AWS/ECS")), 6),
    ((ECS, "DescribeServices", P::Svc("staging", "api")), 4),
    (
        (
            "cloudformation.amazonaws.com",
            "DescribeStacks",
            P::Stack("platform-prod"),
        ),
        3,
    ),
    (
        (S3, "ListObjects", P::List("larkspur-artifacts", "builds/")),
        2,
    ),
    ((S3, "GetObject", P::Get("larkspur-config", "prod/")), 3),
    (("ecr.amazonaws.com", "DescribeImages", P::None), 2),
    (("sts.amazonaws.com", "GetCallerIdentity", P::None), 2),
];

const SRE: &[Action] = &[
    ((EC2, "DescribeInstances", P::Instances), 8),
    ((ECS, "DescribeServices", P::Svc("prod", "api")), 6),
    ((LOGS, "FilterLogEvents", P::Logs("/ecs/prod/api")), 6),
    ((CW, "GetMetricData", P::Metric("AWS/ECS")), 8),
    ((CW, "DescribeAlarms", P::Alarms), 5),
    (
        (
            "elasticloadbalancing.amazonaws.com",
            "DescribeTargetHealth",
            P::None,
        ),
        3,
    ),
    (("rds.amazonaws.com", "DescribeDBInstances", P::None), 3),
    (("ssm.amazonaws.com", "StartSession", P::Instances), 1),
    (("sts.amazonaws.com", "GetCallerIdentity", P::None), 1),
];

/// What an SRE does when paged.
pub const INCIDENT: &[Action] = &[
    ((CW, "GetMetricData", P::Metric("AWS/ECS")), 8),
    ((CW, "DescribeAlarms", P::Alarms), 4),
    ((LOGS, "FilterLogEvents", P::Logs("/ecs/prod/api")), 6),
    ((ECS, "DescribeServices", P::Svc("prod", "api")), 5),
    ((EC2, "DescribeInstances", P::Instances), 4),
    (("rds.amazonaws.com", "DescribeDBInstances", P::None), 2),
];

const BACKEND: &[Action] = &[
    (
        (
            "lambda.amazonaws.com",
            "GetFunction",
            P::Func("orders-worker"),
        ),
        5,
    ),
    (
        (
            LOGS,
            "FilterLogEvents",
            P::Logs("/aws/lambda/orders-worker"),
        ),
        8,
    ),
    (
        (
            "dynamodb.amazonaws.com",
            "DescribeTable",
            P::Table("orders"),
        ),
        4,
    ),
    (
        (
            "sqs.amazonaws.com",
            "GetQueueAttributes",
            P::Queue("orders-events"),
        ),
        4,
    ),
    ((ECS, "DescribeServices", P::Svc("staging", "api")), 4),
    ((S3, "GetObject", P::Get("larkspur-config", "staging/")), 3),
    ((CW, "GetMetricData", P::Metric("AWS/Lambda")), 4),
];

const FRONTEND: &[Action] = &[
    (
        (S3, "PutObject", P::Put("larkspur-web-assets", "static/")),
        4,
    ),
    (
        (S3, "ListObjects", P::List("larkspur-web-assets", "static/")),
        3,
    ),
    (
        ("cloudfront.amazonaws.com", "CreateInvalidation", P::Dist),
        2,
    ),
    (("cloudfront.amazonaws.com", "GetDistribution", P::Dist), 2),
    ((LOGS, "FilterLogEvents", P::Logs("/ecs/staging/web")), 3),
    (
        (ECS, "DescribeServices", P::Svc("staging", "web-frontend")),
        3,
    ),
];

const ANALYST: &[Action] = &[
    (
        (
            "athena.amazonaws.com",
            "StartQueryExecution",
            P::AthenaStart,
        ),
        8,
    ),
    (
        ("athena.amazonaws.com", "GetQueryExecution", P::AthenaId),
        8,
    ),
    (("athena.amazonaws.com", "GetQueryResults", P::AthenaId), 8),
    (
        (
            "glue.amazonaws.com",
            "GetTable",
            P::GlueTable("analytics", "events"),
        ),
        4,
    ),
    (
        (
            S3,
            "GetObject",
            P::Get("larkspur-analytics", "athena-results/"),
        ),
        5,
    ),
];

const SCIENTIST: &[Action] = &[
    (("sagemaker.amazonaws.com", "ListTrainingJobs", P::None), 3),
    (
        (
            "sagemaker.amazonaws.com",
            "DescribeTrainingJob",
            P::Training,
        ),
        3,
    ),
    (
        (S3, "GetObject", P::Get("larkspur-ml-datasets", "features/")),
        4,
    ),
    (
        (
            S3,
            "ListObjects",
            P::List("larkspur-ml-datasets", "features/"),
        ),
        2,
    ),
    (
        (
            "athena.amazonaws.com",
            "StartQueryExecution",
            P::AthenaStart,
        ),
        3,
    ),
];

const DATA_ENGINEER: &[Action] = &[
    (
        (
            "glue.amazonaws.com",
            "StartJobRun",
            P::GlueJob("events-daily"),
        ),
        3,
    ),
    (
        (
            "glue.amazonaws.com",
            "GetJobRun",
            P::GlueJob("events-daily"),
        ),
        6,
    ),
    (
        (
            "glue.amazonaws.com",
            "GetTable",
            P::GlueTable("lake", "events_raw"),
        ),
        3,
    ),
    (
        (S3, "ListObjects", P::List("larkspur-data-lake", "curated/")),
        3,
    ),
    (
        (S3, "GetObject", P::Get("larkspur-data-lake", "curated/")),
        4,
    ),
    (
        (LOGS, "FilterLogEvents", P::Logs("/aws-glue/jobs/output")),
        2,
    ),
];

const ML_ENGINEER: &[Action] = &[
    (
        ("sagemaker.amazonaws.com", "CreateTrainingJob", P::Training),
        1,
    ),
    (
        (
            "sagemaker.amazonaws.com",
            "DescribeTrainingJob",
            P::Training,
        ),
        4,
    ),
    (
        (S3, "GetObject", P::Get("larkspur-ml-datasets", "features/")),
        4,
    ),
    (
        (S3, "PutObject", P::Put("larkspur-ml-models", "models/")),
        2,
    ),
    (("ecr.amazonaws.com", "DescribeImages", P::None), 2),
];

const FINANCE: &[Action] = &[
    (("ce.amazonaws.com", "GetCostAndUsage", P::Cost), 4),
    ((S3, "GetObject", P::Get("larkspur-finance", "reports/")), 5),
    (
        (S3, "ListObjects", P::List("larkspur-finance", "reports/")),
        2,
    ),
    (("budgets.amazonaws.com", "DescribeBudgets", P::None), 2),
];

const IT_ADMIN: &[Action] = &[
    ((IAM, "ListUsers", P::None), 4),
    ((IAM, "GetUser", P::IamUser), 4),
    ((IAM, "ListAttachedUserPolicies", P::IamUser), 3),
    ((IAM, "ListGroupsForUser", P::IamUser), 3),
    ((IAM, "GetLoginProfile", P::IamUser), 1),
];

const SECURITY: &[Action] = &[
    (("securityhub.amazonaws.com", "GetFindings", P::Findings), 5),
    (("guardduty.amazonaws.com", "ListFindings", P::Findings), 4),
    (("guardduty.amazonaws.com", "GetFindings", P::Findings), 3),
    (("cloudtrail.amazonaws.com", "LookupEvents", P::None), 3),
    (
        ("access-analyzer.amazonaws.com", "ListFindings", P::Findings),
        2,
    ),
];

const SALES_ENG: &[Action] = &[
    ((EC2, "DescribeInstances", P::Instances), 5),
    ((EC2, "StartInstances", P::DemoInstance), 1),
    ((EC2, "StopInstances", P::DemoInstance), 1),
    (
        (
            "cloudformation.amazonaws.com",
            "DescribeStacks",
            P::Stack("sales-demo"),
        ),
        2,
    ),
];

const QA: &[Action] = &[
    ((ECS, "DescribeServices", P::Svc("staging", "api")), 4),
    ((LOGS, "FilterLogEvents", P::Logs("/ecs/staging/api")), 4),
    (
        (
            S3,
            "GetObject",
            P::Get("larkspur-test-fixtures", "fixtures/"),
        ),
        3,
    ),
];

const EXEC: &[Action] = &[
    (("ce.amazonaws.com", "GetCostAndUsage", P::Cost), 3),
    ((EC2, "DescribeInstances", P::Instances), 1),
    (("organizations.amazonaws.com", "ListAccounts", P::None), 1),
];

const PM: &[Action] = &[
    ((CW, "GetDashboard", P::None), 3),
    ((CW, "ListDashboards", P::None), 2),
];

pub struct Profile {
    pub actions: &'static [Action],
    /// Console (browser) or CLI.
    pub console: bool,
    pub calls: (i64, i64),
    /// Share of working days with any AWS activity.
    pub days: f64,
    pub region: &'static str,
}

pub fn profile(a: Aws) -> Option<Profile> {
    let pr = |actions, console, calls, days| Profile {
        actions,
        console,
        calls,
        days,
        region: "us-east-1",
    };
    Some(match a {
        Aws::None => return None,
        Aws::Platform => pr(PLATFORM, false, (12, 34), 0.95),
        Aws::Sre => pr(SRE, false, (15, 35), 0.95),
        Aws::Backend => pr(BACKEND, false, (10, 28), 0.9),
        Aws::Frontend => pr(FRONTEND, false, (6, 18), 0.8),
        Aws::DataAnalyst => pr(ANALYST, true, (12, 30), 0.95),
        Aws::DataScientist => pr(SCIENTIST, false, (8, 20), 0.85),
        Aws::DataEngineer => pr(DATA_ENGINEER, false, (10, 26), 0.9),
        Aws::MlEngineer => pr(ML_ENGINEER, false, (8, 20), 0.85),
        Aws::Finance => pr(FINANCE, true, (5, 14), 0.9),
        Aws::ItAdmin => pr(IT_ADMIN, true, (6, 16), 0.8),
        Aws::Security => pr(SECURITY, false, (8, 20), 0.9),
        Aws::SalesEng => Profile {
            region: "eu-west-1",
            ..pr(SALES_ENG, true, (3, 9), 0.5)
        },
        Aws::Qa => pr(QA, false, (6, 15), 0.9),
        Aws::Exec => pr(EXEC, true, (2, 6), 0.4),
        Aws::Pm => pr(PM, true, (2, 6), 0.3),
    })
}

/// The roles people assume on a normal day: (user, role, share of working days).
pub const ROLE_HABITS: &[(&str, &str, f64)] = &[
    ("jchen", "prod-deploy", 0.6),
    ("pyoung", "prod-deploy", 0.35),
    ("snakamura", "prod-deploy", 0.35),
    ("bwilson", "prod-deploy", 0.5),
    ("mjohnson", "staging-deploy", 0.8),
    ("dlee", "staging-deploy", 0.4),
    ("nkumar", "staging-deploy", 0.3),
    ("hmueller", "staging-deploy", 0.3),
    ("mrossi", "staging-deploy", 0.3),
];

/// Parameters (and `additionalEventData`) for a routine call.
pub fn params(p: P, rng: &mut Rng, day: i64) -> (Value, Option<Value>) {
    let date = ts(super::world::day_start(day));
    let date = &date[..10];
    match p {
        P::None => (Value::Null, None),
        P::Instances => (
            json!({"instancesSet": {}, "filterSet": {"items": [{"name": "tag:env", "valueSet": {"items": [{"value": "prod"}]}}]}}),
            None,
        ),
        P::Svc(c, s) => (json!({"cluster": c, "services": [s]}), None),
        P::Cluster(c) => (json!({"cluster": c}), None),
        P::Logs(g) => (
            json!({"logGroupName": g, "filterPattern": rng.pick(&["ERROR", "timeout", "\"status=5\"", "WARN"]), "limit": 100}),
            None,
        ),
        P::Metric(ns) => (
            json!({"metricDataQueries": [{"id": "m1", "metricStat": {"metric": {"namespace": ns, "metricName": rng.pick(&["CPUUtilization", "MemoryUtilization", "Errors", "Duration"])}, "period": 60, "stat": "Average"}}]}),
            None,
        ),
        P::List(b, prefix) => (s3_params(b, None, Some(prefix)), None),
        P::Get(b, prefix) => {
            let key = format!(
                "{prefix}{date}/{:08x}.{}",
                rng.next_u64() as u32,
                rng.pick(&["json", "csv", "parquet"])
            );
            (
                s3_params(b, Some(&key), None),
                Some(json!({"bytesTransferredOut": rng.range(2_000, 4_000_000)})),
            )
        }
        P::Put(b, prefix) => {
            let key = format!(
                "{prefix}{:08x}.{}",
                rng.next_u64() as u32,
                rng.pick(&["js", "css", "json", "tar.gz"])
            );
            (
                s3_params(b, Some(&key), None),
                Some(json!({"bytesTransferredIn": rng.range(2_000, 8_000_000)})),
            )
        }
        P::Func(f) => (json!({"functionName": f}), None),
        P::Table(t) => (json!({"tableName": t}), None),
        P::Queue(q) => (
            json!({"queueUrl": format!("https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{q}"), "attributeNames": ["All"]}),
            None,
        ),
        P::AthenaStart => (
            json!({"queryString": rng.pick(&[
            "SELECT date, count(*) FROM analytics.events WHERE date >= current_date - interval '7' day GROUP BY 1",
            "SELECT plan, sum(mrr) FROM analytics.subscriptions GROUP BY plan",
            "SELECT * FROM analytics.churn_scores ORDER BY score DESC LIMIT 100",
            "SELECT region, count(distinct account_id) FROM analytics.sessions GROUP BY region",
        ]), "workGroup": "analysts", "queryExecutionContext": {"database": "analytics"}}),
            None,
        ),
        P::AthenaId => (json!({"queryExecutionId": rng.uuid()}), None),
        P::GlueJob(j) => (json!({"jobName": j}), None),
        P::GlueTable(db, t) => (json!({"databaseName": db, "name": t}), None),
        P::Training => (
            json!({"trainingJobName": format!("churn-model-{date}-{}", rng.range(1, 9))}),
            None,
        ),
        P::Cost => (
            json!({"timePeriod": {"start": "2026-10-01", "end": date}, "granularity": "DAILY", "metrics": ["UnblendedCost"]}),
            None,
        ),
        P::IamUser => (json!({"userName": rng.pick(PEOPLE).user}), None),
        P::Stack(s) => (json!({"stackName": s}), None),
        P::Dist => (json!({"id": "E2QWRUHAPOMQZL"}), None),
        P::Findings => (json!({"maxResults": 50}), None),
        P::Alarms => (json!({"stateValue": "ALARM"}), None),
        P::DemoInstance => (
            json!({"instancesSet": {"items": [{"instanceId": "i-0de30e1a2b3c4d5e6"}]}}),
            None,
        ),
    }
}

/// S3 request parameters.
pub fn s3_params(bucket: &str, key: Option<&str>, prefix: Option<&str>) -> Value {
    let mut v =
        json!({"bucketName": bucket, "Host": format!("{bucket}.s3.us-east-1.amazonaws.com")});
    if let Some(m) = v.as_object_mut() {
        if let Some(k) = key {
            m.insert("key".into(), json!(k));
        }
        if let Some(p) = prefix {
            m.insert("prefix".into(), json!(p));
            m.insert("list-type".into(), json!("2"));
        }
    }
    v
}
