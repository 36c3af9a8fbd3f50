//! The service accounts' routine: the nightly backup (02:00 UTC), the ETL every six hours and
//! CI deploys from GitHub Actions on weekdays.

use serde_json::{Value, json};

use super::events::{Sink, Who, ct, ts};
use super::profiles::{EC2, ECS, S3, s3_params};
use super::rng::{Rng, fnv};
use super::routine::Plan;
use super::world::{ACCOUNT, BACKUP_HOST, ETL_HOST, MINUTE, is_weekend, utc, weekday};

/// The backup job's user agent.
pub const BACKUP_UA: &str = "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.187.0 backup-agent/2.3.1";
/// The ETL runner's user agent.
pub const ETL_UA: &str = "aws-sdk-java/2.28.16 Linux/5.10.226 OpenJDK_64-Bit_Server_VM/17.0.12 Java/17.0.12 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/adaptive etl-runner/1.8.2";
/// GitHub Actions' AWS SDK user agent.
pub const CI_UA: &str = "aws-sdk-js/3.679.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.18.0 api/sts#3.679.0 github-actions";
/// The VPC the preview environments live in.
const VPC: &str = "vpc-0a1b2c3d4e5f60718";

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
pub fn backup_night(rng: &mut Rng, sink: &mut Sink, day: i64) {
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
pub fn etl_day(rng: &mut Rng, sink: &mut Sink, day: i64) {
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
pub fn ci_day(rng: &mut Rng, sink: &mut Sink, day: i64, plan: &Plan) {
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
