//! Routine activity: what Larkspur's people and service accounts do every day. This is the
//! baseline an analyst checks an alert against — the backup job at 02:00 UTC every night, the
//! ETL runs every six hours, CI deploys on weekdays, engineers on the VPN, on-call pages at night.
//!
//! Scenarios (`scenarios.rs`) adjust single person-days through a [`Plan`] and add their own
//! events; routine actions that would muddy an alert's detection window are kept out of the
//! plan's quiet windows.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::events::{Client, Okta, Sink, VpnClient, Who, app_target, ct, ts, vpn_session};
use super::rng::{Rng, fnv};
use super::world::{
    ACCOUNT, Aws, BACKUP_HOST, DAYS, ETL_HOST, Factor, HOUR, MINUTE, Os, PEOPLE, Person,
    VPN_EGRESS, is_weekend, local, utc, weekday,
};

/// The backup job's user agent.
pub const BACKUP_UA: &str = "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.187.0 backup-agent/2.3.1";
/// The ETL runner's user agent.
pub const ETL_UA: &str = "aws-sdk-java/2.28.16 Linux/5.10.226 OpenJDK_64-Bit_Server_VM/17.0.12 Java/17.0.12 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/adaptive etl-runner/1.8.2";
/// GitHub Actions' AWS SDK user agent.
pub const CI_UA: &str = "aws-sdk-js/3.679.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.18.0 api/sts#3.679.0 github-actions";
/// The VPC the preview environments live in.
const VPC: &str = "vpc-0a1b2c3d4e5f60718";

/// Changes to one person's routine day.
#[derive(Clone, Debug, Default)]
pub struct DayPlan {
    /// No routine activity that day (a scenario scripts it).
    pub skip: bool,
    /// Start of the working day (UTC seconds) instead of a random one.
    pub start: Option<i64>,
    /// A second sign-in at this time.
    pub reauth: Option<i64>,
    /// Where they are (instead of home or office), and the local UTC offset there.
    pub place: Option<(&'static str, i32)>,
    /// No random on-call page that night.
    pub no_page: bool,
    /// No routine AWS activity (a scenario scripts it).
    pub no_aws: bool,
}

/// What the scenarios ask of the routine.
#[derive(Default)]
pub struct Plan {
    pub days: HashMap<(&'static str, i64), DayPlan>,
    /// Times when routine role assumptions, CI deploys and second sign-ins are not scheduled.
    pub quiet: Vec<(i64, i64)>,
    /// Access keys replaced at a time: (user, from, new key).
    pub rotated_keys: Vec<(&'static str, i64, String)>,
}

impl Plan {
    fn day(&self, user: &str, day: i64) -> DayPlan {
        self.days
            .iter()
            .find(|((u, d), _)| *u == user && *d == day)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    }

    fn quiet(&self, t: i64) -> bool {
        self.quiet.iter().any(|(a, b)| (*a..*b).contains(&t))
    }

    /// The user's CLI identity at a time (after a key rotation, the new key).
    pub fn cli(&self, user: &str, t: i64) -> Who {
        match self
            .rotated_keys
            .iter()
            .filter(|(u, from, _)| *u == user && t >= *from)
            .max_by_key(|(_, from, _)| *from)
        {
            Some((_, _, key)) => Who::User {
                name: user.to_string(),
                key: key.clone(),
            },
            None => Who::cli(user),
        }
    }
}

pub fn generate(seed: u64, sink: &mut Sink, plan: &Plan) {
    for (pi, p) in PEOPLE.iter().enumerate() {
        for day in 0..DAYS {
            let mut rng = Rng::derive(seed, &[1, pi as u64, day as u64]);
            person_day(&mut rng, sink, p, day, plan);
            let mut rng = Rng::derive(seed, &[2, pi as u64, day as u64]);
            on_call_page(&mut rng, sink, p, day, plan);
        }
    }
    for day in 0..DAYS {
        backup_night(&mut Rng::derive(seed, &[3, day as u64]), sink, day);
        etl_day(&mut Rng::derive(seed, &[4, day as u64]), sink, day);
        ci_day(&mut Rng::derive(seed, &[5, day as u64]), sink, day, plan);
    }
}

/// A session id as Okta writes them.
pub fn session_id(rng: &mut Rng) -> String {
    format!("102{}", rng.hex(22))
}

/// Sign-in with MFA: `user.session.start`, the push (if any) and `auth_via_mfa`.
pub fn sign_in(sink: &mut Sink, p: &Person, t: i64, ip: &str, client: &Client, session: &str) {
    if p.factor == Factor::Push {
        sink.okta(
            Okta::new(
                t,
                "system.push.send_factor_verify_push",
                "Push notification sent for verification",
                p,
                ip,
                session,
            )
            .client(client)
            .factor(p.factor.okta_name()),
        );
    }
    sink.okta(
        Okta::new(
            t + 9,
            "user.authentication.auth_via_mfa",
            "Authentication of user via MFA",
            p,
            ip,
            session,
        )
        .client(client)
        .factor(p.factor.okta_name()),
    );
    sink.okta(
        Okta::new(
            t + 11,
            "user.session.start",
            "User login to Okta",
            p,
            ip,
            session,
        )
        .client(client),
    );
}

/// Single sign-on to an app.
pub fn sso(
    sink: &mut Sink,
    p: &Person,
    t: i64,
    ip: &str,
    client: &Client,
    session: &str,
    app: &str,
) {
    sink.okta(
        Okta::new(
            t,
            "user.authentication.sso",
            "User single sign on to app",
            p,
            ip,
            session,
        )
        .client(client)
        .target(app_target(app)),
    );
}

/// The person's VPN client on their laptop.
pub fn laptop_vpn(p: &Person) -> (String, &'static str) {
    let os = match p.os {
        Os::Mac => "macOS 15.1",
        Os::Windows => "Windows 11",
        Os::Linux => "Ubuntu 24.04",
    };
    (p.hostname(), os)
}

/// Current VPN client version.
pub const VPN_VERSION: &str = "6.2.1";

fn person_day(rng: &mut Rng, sink: &mut Sink, p: &Person, day: i64, plan: &Plan) {
    if day < p.active.0 || day > p.active.1 {
        return;
    }
    let dp = plan.day(p.user, day);
    if dp.skip {
        return;
    }
    let client = Client::laptop(p);
    let (ip_place, tz) = dp.place.unwrap_or((p.home_ip, p.tz_min));
    if is_weekend(day) {
        // A quick look at Slack now and then.
        if rng.chance(0.08) && dp.start.is_none() {
            let t = local(day, tz, rng.range(10, 20), rng.range(0, 60));
            let s = session_id(rng);
            sign_in(sink, p, t, ip_place, &client, &s);
            sso(sink, p, t + 40, ip_place, &client, &s, "Slack");
        }
        return;
    }
    // A day off now and then (not when a scenario needs the day).
    if dp.start.is_none() && dp.reauth.is_none() && dp.place.is_none() && rng.chance(0.04) {
        return;
    }
    let start = dp
        .start
        .unwrap_or_else(|| local(day, tz, 0, 0) + (p.start_min + rng.range(-25, 35)) * MINUTE);
    let end = start + rng.range(8 * 60, 9 * 60 + 30) * MINUTE;
    let at_office =
        dp.place.is_none() && p.office_ip.is_some() && p.office_days & (1 << weekday(day)) != 0;
    let place_ip = match (at_office, p.office_ip) {
        (true, Some(office)) => office,
        _ => ip_place,
    };
    let s = session_id(rng);
    if rng.chance(0.03) {
        sink.okta(
            Okta::new(
                start - 50,
                "user.session.start",
                "User login to Okta",
                p,
                place_ip,
                &s,
            )
            .client(&client)
            .failure("FAILURE", "INVALID_CREDENTIALS"),
        );
    }
    sign_in(sink, p, start, place_ip, &client, &s);
    let on_vpn = p.vpn && !at_office;
    let ip = if on_vpn {
        sso(sink, p, start + 40, place_ip, &client, &s, "Larkspur VPN");
        let (host, os) = laptop_vpn(p);
        let off = end + rng.range(0, 20) * MINUTE;
        vpn_session(
            sink,
            rng,
            p,
            start + 70,
            off,
            place_ip,
            &VpnClient {
                hostname: &host,
                os,
                version: VPN_VERSION,
            },
        );
        VPN_EGRESS
    } else {
        place_ip
    };
    for app in p.apps {
        if rng.chance(0.85) {
            let t = start + rng.range(2 * MINUTE, end - start);
            sso(sink, p, t, ip, &client, &s, app);
        }
    }
    let reauth = dp.reauth.or_else(|| {
        let t = start + rng.range(4 * HOUR, 5 * HOUR);
        (rng.chance(0.35) && !plan.quiet(t)).then_some(t)
    });
    if let Some(t) = reauth {
        let s2 = session_id(rng);
        sign_in(sink, p, t, ip, &client, &s2);
    }
    if !dp.no_aws {
        aws_day(rng, sink, p, day, start, end, ip, plan);
    }
}

/// Night pages for the on-call SREs (their on-call weeks).
fn on_call_page(rng: &mut Rng, sink: &mut Sink, p: &Person, day: i64, plan: &Plan) {
    let week = (day + 2).div_euclid(7); // weeks start on Monday; day 0 is a Wednesday
    let on_call = match p.user {
        "pyoung" => week == 2 || week == 4,
        "snakamura" => week == 1 || week == 3,
        "jchen" => week == 0,
        _ => false,
    };
    if !on_call || plan.day(p.user, day).no_page || !rng.chance(0.3) {
        return;
    }
    let t = local(day, p.tz_min, rng.range(1, 5), rng.range(0, 60));
    let client = Client::laptop(p);
    let s = session_id(rng);
    sso(sink, p, t - 120, p.home_ip, &client, &s, "PagerDuty");
    sign_in(sink, p, t, p.home_ip, &client, &s);
    let (host, os) = laptop_vpn(p);
    let end = t + rng.range(25, 80) * MINUTE;
    vpn_session(
        sink,
        rng,
        p,
        t + 60,
        end,
        p.home_ip,
        &VpnClient {
            hostname: &host,
            os,
            version: VPN_VERSION,
        },
    );
    let who = Who::cli(p.user);
    let ua = p.cli_ua();
    let n = rng.range(10, 22);
    for i in 0..n {
        let at = t + 2 * MINUTE + i * (end - t - 4 * MINUTE) / n;
        let (src, name, par) = *rng.weighted(INCIDENT);
        let (params, extra) = params(par, rng, day);
        let mut c = ct(at, &who, src, name, VPN_EGRESS, &ua).params(params);
        if let Some(x) = extra {
            c = c.extra(x);
        }
        sink.push(c);
    }
}

// ---------------------------------------------------------------------------------------------
// AWS profiles

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

type Action = ((&'static str, &'static str, P), u32);

const EC2: &str = "ec2.amazonaws.com";
const ECS: &str = "ecs.amazonaws.com";
const LOGS: &str = "logs.amazonaws.com";
const CW: &str = "monitoring.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";

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
const INCIDENT: &[Action] = &[
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

struct Profile {
    actions: &'static [Action],
    /// Console (browser) or CLI.
    console: bool,
    calls: (i64, i64),
    /// Share of working days with any AWS activity.
    days: f64,
    region: &'static str,
}

fn profile(a: Aws) -> Option<Profile> {
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
const ROLE_HABITS: &[(&str, &str, f64)] = &[
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

#[allow(clippy::too_many_arguments)]
fn aws_day(
    rng: &mut Rng,
    sink: &mut Sink,
    p: &Person,
    day: i64,
    start: i64,
    end: i64,
    ip: &str,
    plan: &Plan,
) {
    let Some(pr) = profile(p.aws) else { return };
    if !rng.chance(pr.days) {
        return;
    }
    let console_who = Who::console(p.user, day);
    let cli_ua = p.cli_ua();
    let first = start + rng.range(3, 15) * MINUTE;
    if pr.console {
        console_login(
            sink,
            &console_who,
            first,
            ip,
            p.browser_ua(),
            p.aws != Aws::SalesEng,
        );
    }
    let n = rng.range(pr.calls.0, pr.calls.1);
    for _ in 0..n {
        let t = first + rng.range(MINUTE, (end - first).max(2 * MINUTE));
        let (src, name, par) = *rng.weighted(pr.actions);
        let (params, extra) = params(par, rng, day);
        let (who, ua) = if pr.console {
            (console_who.clone(), p.browser_ua().to_string())
        } else {
            (plan.cli(p.user, t), cli_ua.clone())
        };
        let mut c = ct(t, &who, src, name, ip, &ua)
            .params(params)
            .region(pr.region);
        if let Some(x) = extra {
            c = c.extra(x);
        }
        sink.push(c);
    }
    for (user, role, share) in ROLE_HABITS {
        if *user != p.user || !rng.chance(*share) {
            continue;
        }
        let t = first + rng.range(HOUR, (end - first - HOUR).max(HOUR + 1));
        if plan.quiet(t) || plan.quiet(t + 20 * MINUTE) {
            continue;
        }
        role_session(
            rng,
            sink,
            &plan.cli(p.user, t),
            p.user,
            role,
            t,
            ip,
            &cli_ua,
        );
    }
}

/// A console sign-in (IAM user or root).
pub fn console_login(sink: &mut Sink, who: &Who, t: i64, ip: &str, ua: &str, mfa: bool) {
    sink.push(
        ct(t, who, "signin.amazonaws.com", "ConsoleLogin", ip, ua)
            .response(json!({"ConsoleLogin": "Success"}))
            .extra(json!({
                "LoginTo": "https://console.aws.amazon.com/console/home",
                "MobileVersion": "No",
                "MFAUsed": if mfa { "Yes" } else { "No" },
                "MFAIdentifier": if mfa { Value::String(format!("arn:aws:iam::{ACCOUNT}:mfa/{}", match who { Who::User { name, .. } => name.as_str(), _ => "root-account-mfa-device" })) } else { Value::Null },
            })),
    );
}

/// `AssumeRole` into `role`, then a deploy-shaped session with it.
#[allow(clippy::too_many_arguments)]
pub fn role_session(
    rng: &mut Rng,
    sink: &mut Sink,
    who: &Who,
    user: &str,
    role: &str,
    t: i64,
    ip: &str,
    ua: &str,
) {
    sink.push(assume_role(who, user, role, t, ip, ua));
    let cluster = if role.starts_with("prod") {
        "prod"
    } else {
        "staging"
    };
    let rw = Who::role(role, user);
    let calls = [
        ("DescribeServices", 60),
        ("RegisterTaskDefinition", 240),
        ("UpdateService", 300),
        ("DescribeServices", 600),
        ("DescribeServices", 900),
    ];
    let build = rng.range(100, 400);
    for (name, dt) in calls {
        let params = match name {
            "RegisterTaskDefinition" => {
                json!({"family": "api", "containerDefinitions": [{"name": "api", "image": format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/api:{build}")}]})
            }
            "UpdateService" => {
                json!({"cluster": cluster, "service": "api", "taskDefinition": format!("api:{build}"), "forceNewDeployment": false})
            }
            _ => json!({"cluster": cluster, "services": ["api"]}),
        };
        sink.push(ct(t + dt + rng.range(0, 30), &rw, ECS, name, ip, ua).params(params));
    }
}

/// The `AssumeRole` record.
pub fn assume_role(
    who: &Who,
    user: &str,
    role: &str,
    t: i64,
    ip: &str,
    ua: &str,
) -> super::events::Ct {
    ct(t, who, "sts.amazonaws.com", "AssumeRole", ip, ua)
        .params(json!({
            "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
            "roleSessionName": user,
            "durationSeconds": 3600,
        }))
        .response(json!({
            "credentials": {
                "accessKeyId": super::rng::aws_id("ASIA", &format!("{role}-{user}")),
                "expiration": ts(t + 3600),
            },
            "assumedRoleUser": {
                "assumedRoleId": format!("{}:{user}", super::rng::aws_id("AROA", role)),
                "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{user}"),
            },
        }))
}

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

// ---------------------------------------------------------------------------------------------
// Service accounts

/// An EBS snapshot id, stable for (day, volume).
pub fn snapshot_id(day: i64, i: usize) -> String {
    format!("snap-0{:016x}", fnv(&format!("snap-{day}-{i}")))
}

/// The volumes the backup job snapshots.
const VOLUMES: &[&str] = &[
    "vol-0a11b22c33d44e551",
    "vol-0a11b22c33d44e552",
    "vol-0a11b22c33d44e553",
    "vol-0a11b22c33d44e554",
    "vol-0a11b22c33d44e555",
    "vol-0a11b22c33d44e556",
];

/// The nightly backup: snapshots at 02:00 UTC, a copy to us-west-2, pruning of snapshots older
/// than 14 days, RDS snapshots and manifests.
fn backup_night(rng: &mut Rng, sink: &mut Sink, day: i64) {
    let who = Who::cli("svc-backup");
    let mut t = utc(day, 2, 0) + rng.range(0, 4 * MINUTE);
    let date = ts(super::world::day_start(day));
    let date = &date[..10];
    let mut next = |rng: &mut Rng| {
        let now = t;
        t += rng.range(5, 50);
        now
    };
    sink.push(ct(
        next(rng),
        &who,
        "sts.amazonaws.com",
        "GetCallerIdentity",
        BACKUP_HOST,
        BACKUP_UA,
    ));
    sink.push(ct(next(rng), &who, EC2, "DescribeVolumes", BACKUP_HOST, BACKUP_UA).params(json!({"filterSet": {"items": [{"name": "tag:Backup", "valueSet": {"items": [{"value": "daily"}]}}]}})));
    for (i, vol) in VOLUMES.iter().enumerate() {
        sink.push(
            ct(
                next(rng),
                &who,
                EC2,
                "CreateSnapshot",
                BACKUP_HOST,
                BACKUP_UA,
            )
            .params(json!({"volumeId": vol, "description": format!("daily-backup {date}")}))
            .response(
                json!({"snapshotId": snapshot_id(day, i), "volumeId": vol, "status": "pending"}),
            ),
        );
    }
    sink.push(
        ct(
            next(rng),
            &who,
            EC2,
            "DescribeSnapshots",
            BACKUP_HOST,
            BACKUP_UA,
        )
        .params(json!({"ownersSet": {"items": [{"owner": "self"}]}})),
    );
    for i in 0..VOLUMES.len() {
        sink.push(ct(next(rng), &who, EC2, "CopySnapshot", BACKUP_HOST, BACKUP_UA).region("us-west-2")
            .params(json!({"sourceRegion": "us-east-1", "sourceSnapshotId": snapshot_id(day, i), "description": format!("dr-copy {date}")})));
    }
    // Retention: yesterday's-14 snapshots and their DR copies.
    for i in 0..VOLUMES.len() * 2 {
        let region = if i < VOLUMES.len() {
            "us-east-1"
        } else {
            "us-west-2"
        };
        sink.push(
            ct(
                next(rng),
                &who,
                EC2,
                "DeleteSnapshot",
                BACKUP_HOST,
                BACKUP_UA,
            )
            .region(region)
            .params(json!({"snapshotId": snapshot_id(day - 14, i % VOLUMES.len())})),
        );
    }
    for db in ["orders-prod", "accounts-prod"] {
        sink.push(ct(next(rng), &who, "rds.amazonaws.com", "CreateDBSnapshot", BACKUP_HOST, BACKUP_UA)
            .params(json!({"dBInstanceIdentifier": db, "dBSnapshotIdentifier": format!("{db}-daily-{date}")})));
    }
    let old = ts(super::world::day_start(day - 14));
    for db in ["orders-prod", "accounts-prod"] {
        sink.push(
            ct(
                next(rng),
                &who,
                "rds.amazonaws.com",
                "DeleteDBSnapshot",
                BACKUP_HOST,
                BACKUP_UA,
            )
            .params(json!({"dBSnapshotIdentifier": format!("{db}-daily-{}", &old[..10])})),
        );
    }
    for part in [
        "volumes",
        "rds",
        "checksums",
        "inventory",
        "dr-copies",
        "summary",
    ] {
        let key = format!("manifests/{date}/{part}.json");
        sink.push(
            ct(next(rng), &who, S3, "PutObject", BACKUP_HOST, BACKUP_UA)
                .params(s3_params("larkspur-backups", Some(&key), None))
                .extra(json!({"bytesTransferredIn": rng.range(2_000, 60_000)})),
        );
    }
}

/// The ETL every six hours: read the raw events, write curated tables; on Sundays, the weekly
/// customer export.
fn etl_day(rng: &mut Rng, sink: &mut Sink, day: i64) {
    let who = Who::cli("svc-etl");
    let date = ts(super::world::day_start(day));
    let date = &date[..10];
    for hour in [0, 6, 12, 18] {
        let mut t = utc(day, hour, 15) + rng.range(0, 3 * MINUTE);
        for _ in 0..3 {
            sink.push(
                ct(t, &who, S3, "ListObjects", ETL_HOST, ETL_UA).params(s3_params(
                    "larkspur-data-lake",
                    None,
                    Some(&format!("raw/events/{date}/")),
                )),
            );
            t += rng.range(1, 5);
        }
        for _ in 0..rng.range(40, 56) {
            let key = format!("raw/events/{date}/part-{:05}.parquet", rng.range(0, 99_999));
            sink.push(
                ct(t, &who, S3, "GetObject", ETL_HOST, ETL_UA)
                    .params(s3_params("larkspur-data-lake", Some(&key), None))
                    .extra(json!({"bytesTransferredOut": rng.range(4_000_000, 60_000_000)})),
            );
            t += rng.range(2, 12);
        }
        for _ in 0..rng.range(8, 13) {
            let key = format!(
                "curated/events/{date}/h{hour:02}/part-{:05}.parquet",
                rng.range(0, 99_999)
            );
            sink.push(
                ct(t, &who, S3, "PutObject", ETL_HOST, ETL_UA)
                    .params(s3_params("larkspur-data-lake", Some(&key), None))
                    .extra(json!({"bytesTransferredIn": rng.range(1_000_000, 30_000_000)})),
            );
            t += rng.range(2, 10);
        }
        sink.push(
            ct(
                t,
                &who,
                "glue.amazonaws.com",
                "StartJobRun",
                ETL_HOST,
                ETL_UA,
            )
            .params(json!({"jobName": "events-hourly-compaction"})),
        );
        if hour == 18 && weekday(day) == 6 {
            for region in ["na", "emea", "apac", "latam", "anz", "summary"] {
                let key = format!("exports/weekly/{date}/customers-{region}.csv.gz");
                t += rng.range(5, 20);
                sink.push(
                    ct(t, &who, S3, "PutObject", ETL_HOST, ETL_UA)
                        .params(s3_params("larkspur-customer-exports", Some(&key), None))
                        .extra(json!({"bytesTransferredIn": rng.range(20_000_000, 90_000_000)})),
                );
            }
        }
    }
}

/// What a CI run deploys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Deploy {
    Api,
    Web,
    Site,
}

/// CI deploys on weekdays (US afternoon), from GitHub-hosted runners.
fn ci_day(rng: &mut Rng, sink: &mut Sink, day: i64, plan: &Plan) {
    if is_weekend(day) {
        return;
    }
    for _ in 0..rng.range(2, 6) {
        let t = utc(day, rng.range(15, 24), rng.range(0, 60));
        if plan.quiet(t) || plan.quiet(t + 15 * MINUTE) {
            continue;
        }
        let ip = format!("198.51.100.{}", 200 + rng.range(0, 30));
        let kind = *rng.weighted(&[(Deploy::Api, 5), (Deploy::Web, 3), (Deploy::Site, 2)]);
        let preview =
            (kind != Deploy::Site && rng.chance(0.12)).then(|| rng.range(1300, 1480) as u32);
        ci_deploy(rng, sink, t, &ip, kind, preview);
    }
}

/// One CI run: OIDC role assumption, then the deploy (and a preview environment's public ALB).
pub fn ci_deploy(
    rng: &mut Rng,
    sink: &mut Sink,
    t: i64,
    ip: &str,
    kind: Deploy,
    preview: Option<u32>,
) {
    let repo = match kind {
        Deploy::Api => "platform",
        Deploy::Web => "web",
        Deploy::Site => "marketing-site",
    };
    let subject = format!("repo:larkspur/{repo}:ref:refs/heads/main");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/ci-deployer");
    sink.push(
        ct(t, &Who::Web { subject: subject.clone() }, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", ip, CI_UA)
            .params(json!({"roleArn": role, "roleSessionName": "GitHubActions", "durationSeconds": 3600}))
            .response(json!({
                "subjectFromWebIdentityToken": subject,
                "provider": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"),
                "audience": "sts.amazonaws.com",
                "assumedRoleUser": {"arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/GitHubActions")},
            })),
    );
    let who = Who::role("ci-deployer", "GitHubActions");
    let sha = rng.hex(40);
    let mut at = t + 40;
    let mut step = |sink: &mut Sink, rng: &mut Rng, src: &str, name: &str, params: Value| {
        sink.push(ct(at, &who, src, name, ip, CI_UA).params(params));
        at += rng.range(10, 90);
    };
    match kind {
        Deploy::Site => {
            for f in [
                "index.html",
                "pricing/index.html",
                &format!("assets/app.{}.js", &sha[..8]),
            ] {
                step(
                    sink,
                    rng,
                    S3,
                    "PutObject",
                    s3_params("larkspur-marketing-site", Some(f), None),
                );
            }
        }
        Deploy::Api | Deploy::Web => {
            let service = if kind == Deploy::Api {
                "api"
            } else {
                "web-frontend"
            };
            step(
                sink,
                rng,
                "ecr.amazonaws.com",
                "GetAuthorizationToken",
                Value::Null,
            );
            step(
                sink,
                rng,
                "ecr.amazonaws.com",
                "PutImage",
                json!({"repositoryName": service, "imageTag": &sha[..12]}),
            );
            step(
                sink,
                rng,
                S3,
                "PutObject",
                s3_params(
                    "larkspur-artifacts",
                    Some(&format!("builds/{service}/{sha}.tar.gz")),
                    None,
                ),
            );
            step(
                sink,
                rng,
                ECS,
                "RegisterTaskDefinition",
                json!({"family": service}),
            );
            step(
                sink,
                rng,
                ECS,
                "UpdateService",
                json!({"cluster": "prod", "service": service, "taskDefinition": service}),
            );
            step(
                sink,
                rng,
                ECS,
                "DescribeServices",
                json!({"cluster": "prod", "services": [service]}),
            );
            if let Some(pr) = preview {
                let name = format!("preview-pr-{pr}-alb");
                let group = format!("sg-0{:016x}", fnv(&name));
                step(
                    sink,
                    rng,
                    EC2,
                    "CreateSecurityGroup",
                    json!({"groupName": name, "groupDescription": format!("ALB for preview environment of PR #{pr}"), "vpcId": VPC}),
                );
                step(
                    sink,
                    rng,
                    EC2,
                    "AuthorizeSecurityGroupIngress",
                    sg_ingress(&group, 443, "preview ALB (HTTPS)"),
                );
                step(
                    sink,
                    rng,
                    "elasticloadbalancing.amazonaws.com",
                    "CreateLoadBalancer",
                    json!({"name": format!("preview-pr-{pr}"), "scheme": "internet-facing", "securityGroups": [group]}),
                );
            }
        }
    }
}

/// `AuthorizeSecurityGroupIngress` parameters opening a TCP port to the internet.
pub fn sg_ingress(group: &str, port: u16, description: &str) -> Value {
    json!({
        "groupId": group,
        "ipPermissions": {"items": [{
            "ipProtocol": "tcp",
            "fromPort": port,
            "toPort": port,
            "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": description}]},
        }]},
    })
}
