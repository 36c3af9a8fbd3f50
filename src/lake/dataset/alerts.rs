//! The detection rules and the 30 alerts they raised in the last three days of the lake, each
//! with its label and a one-line rationale — the answer key for `triage eval`.
//!
//! An alert's `results_table` is not written by hand: it is what the rule's own query returns
//! over the alert's detection window, run by the lake's engine on the generated events.

use serde_json::{Value, json};

use super::rng::{fnv, uuid_for};
use super::world::utc;
use crate::assessment::Classification::{self, Benign, Malicious, Suspicious};
use crate::lake::engine::{Lake, OutputKind, TimeRange};
use crate::lake::matching::{RowRef, value_at};

/// Rows kept in an alert's `results_table` (the total is in `total_row_count`).
pub const RESULTS_TABLE_MAX_ROWS: usize = 10;

/// A detection rule, as Scanner stores it.
pub struct Rule {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub severity: &'static str,
    pub severity_id: u8,
    pub tags: &'static [&'static str],
    pub query: &'static str,
    /// The family of the alert, for the dataset's composition and per-type accuracy.
    pub alert_type: &'static str,
    /// `results_table` columns when the query returns events (aggregations bring their own).
    pub columns: &'static [&'static str],
}

const CT_USER: &[&str] = &[
    "timestamp",
    "userIdentity.userName",
    "eventName",
    "sourceIPAddress",
    "userAgent",
];

pub const RULES: &[Rule] = &[
    Rule {
        key: "R1",
        name: "AWS API activity outside business hours",
        description: "A principal made 25 or more AWS API calls within one hour outside US business hours. Scheduled hourly from 00:00 to 08:00 UTC.",
        severity: "Low",
        severity_id: 2,
        tags: &[
            "tactics.ta0001.initial_access",
            "techniques.t1078.valid_accounts",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail not userIdentity.type: (\"AWSService\" \"WebIdentityUser\") | stats count() as calls by userIdentity.arn, sourceIPAddress | where calls >= 25",
        alert_type: "off_hours_activity",
        columns: &[],
    },
    Rule {
        key: "R2",
        name: "Production deploy role assumed",
        description: "A user assumed the prod-deploy IAM role, which can change production ECS services.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0004.privilege_escalation",
            "techniques.t1548.abuse_elevation_control_mechanism",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=AssumeRole requestParameters.roleArn: \"prod-deploy\" not errorCode: *",
        alert_type: "privileged_role_assumption",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "eventName",
            "requestParameters.roleArn",
            "sourceIPAddress",
            "userAgent",
        ],
    },
    Rule {
        key: "R3",
        name: "Okta sign-in from a new country",
        description: "A successful Okta sign-in that Okta's risk engine flagged as coming from a country never seen for this user.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0001.initial_access",
            "techniques.t1078.004.cloud_accounts",
            "source.okta",
        ],
        query: "@index=okta eventType=\"user.session.start\" outcome.result=SUCCESS debugContext.debugData.behaviors: \"New Country=POSITIVE\"",
        alert_type: "new_country_sign_in",
        columns: &[
            "timestamp",
            "actor.alternateId",
            "client.ipAddress",
            "client.geographicalContext.city",
            "client.geographicalContext.country",
            "debugContext.debugData.behaviors",
            "debugContext.debugData.risk",
        ],
    },
    Rule {
        key: "R4",
        name: "Okta MFA push fatigue",
        description: "Three or more rejected or failed MFA verifications for one user from one address within 30 minutes.",
        severity: "High",
        severity_id: 4,
        tags: &[
            "tactics.ta0006.credential_access",
            "techniques.t1621.multi_factor_authentication_request_generation",
            "source.okta",
        ],
        query: "@index=okta eventType=\"user.authentication.auth_via_mfa\" outcome.result: (\"FAILURE\" \"DENY\") | stats count() as denials by actor.alternateId, client.ipAddress | where denials >= 3",
        alert_type: "mfa_fatigue",
        columns: &[],
    },
    Rule {
        key: "R5",
        name: "Multiple failed Okta sign-ins",
        description: "Three or more failed Okta sign-ins for one user from one address within 15 minutes.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0006.credential_access",
            "techniques.t1110.brute_force",
            "source.okta",
        ],
        query: "@index=okta eventType=\"user.session.start\" outcome.result=FAILURE | stats count() as failures by actor.alternateId, client.ipAddress | where failures >= 3",
        alert_type: "failed_sign_ins",
        columns: &[],
    },
    Rule {
        key: "R6",
        name: "IAM permissions granted to a user",
        description: "An IAM user was given new permissions: a managed policy attached, an inline policy, or a group membership.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0003.persistence",
            "techniques.t1098.account_manipulation",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName: (\"AttachUserPolicy\" \"PutUserPolicy\" \"AddUserToGroup\")",
        alert_type: "iam_permission_change",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "eventName",
            "requestParameters.userName",
            "requestParameters.policyArn",
            "requestParameters.groupName",
            "sourceIPAddress",
        ],
    },
    Rule {
        key: "R6b",
        name: "AdministratorAccess attached to an IAM user",
        description: "The AWS managed AdministratorAccess policy was attached directly to an IAM user.",
        severity: "Critical",
        severity_id: 5,
        tags: &[
            "tactics.ta0004.privilege_escalation",
            "techniques.t1098.account_manipulation",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=AttachUserPolicy requestParameters.policyArn: \"AdministratorAccess\"",
        alert_type: "admin_policy_attached",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "eventName",
            "requestParameters.userName",
            "requestParameters.policyArn",
            "sourceIPAddress",
            "userAgent",
        ],
    },
    Rule {
        key: "R7",
        name: "IAM access key created",
        description: "A new long-lived access key was created for an IAM user.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0003.persistence",
            "techniques.t1098.001.additional_cloud_credentials",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=CreateAccessKey",
        alert_type: "access_key_created",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "requestParameters.userName",
            "responseElements.accessKey.accessKeyId",
            "sourceIPAddress",
            "userAgent",
        ],
    },
    Rule {
        key: "R8",
        name: "Security group opened to the internet",
        description: "An inbound security group rule now allows 0.0.0.0/0.",
        severity: "High",
        severity_id: 4,
        tags: &[
            "tactics.ta0005.defense_evasion",
            "techniques.t1562.007.disable_or_modify_cloud_firewall",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=AuthorizeSecurityGroupIngress requestParameters.ipPermissions.items.ipRanges.items.cidrIp=\"0.0.0.0/0\"",
        alert_type: "security_group_opened",
        columns: &[
            "timestamp",
            "userIdentity.arn",
            "requestParameters.groupId",
            "requestParameters.ipPermissions.items.fromPort",
            "requestParameters.ipPermissions.items.ipRanges.items.cidrIp",
            "sourceIPAddress",
        ],
    },
    Rule {
        key: "R9",
        name: "Mass deletion of EBS snapshots",
        description: "One principal deleted ten or more EBS snapshots within an hour.",
        severity: "High",
        severity_id: 4,
        tags: &[
            "tactics.ta0040.impact",
            "techniques.t1490.inhibit_system_recovery",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=DeleteSnapshot | stats count() as deleted by userIdentity.arn, sourceIPAddress | where deleted >= 10",
        alert_type: "snapshot_deletion",
        columns: &[],
    },
    Rule {
        key: "R10",
        name: "AWS root account used",
        description: "The AWS account's root user signed in or made API calls.",
        severity: "High",
        severity_id: 4,
        tags: &[
            "tactics.ta0004.privilege_escalation",
            "techniques.t1078.004.cloud_accounts",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail userIdentity.type=Root",
        alert_type: "root_account_used",
        columns: &[
            "timestamp",
            "userIdentity.arn",
            "eventSource",
            "eventName",
            "sourceIPAddress",
            "additionalEventData.MFAUsed",
            "userAgent",
        ],
    },
    Rule {
        key: "R11",
        name: "Okta impossible travel",
        description: "A successful Okta sign-in that Okta's risk engine flagged for velocity: too far from the user's previous sign-in for the time between them.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0001.initial_access",
            "techniques.t1078.valid_accounts",
            "source.okta",
        ],
        query: "@index=okta eventType=\"user.session.start\" outcome.result=SUCCESS debugContext.debugData.behaviors: \"Velocity=POSITIVE\"",
        alert_type: "impossible_travel",
        columns: &[
            "timestamp",
            "actor.alternateId",
            "client.ipAddress",
            "client.geographicalContext.city",
            "client.geographicalContext.country",
            "debugContext.debugData.behaviors",
        ],
    },
    Rule {
        key: "R12",
        name: "Offensive security tooling user agent",
        description: "AWS API calls whose user agent names a cloud offensive or audit tool (Pacu, ScoutSuite, Prowler, CloudFox, Kali).",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0007.discovery",
            "techniques.t1526.cloud_service_discovery",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail userAgent: (\"pacu\" \"scoutsuite\" \"prowler\" \"cloudfox\" \"kali\")",
        alert_type: "offensive_tool_user_agent",
        columns: CT_USER,
    },
    Rule {
        key: "R13",
        name: "Okta MFA factors reset",
        description: "All MFA factors of a user were reset or a factor was deactivated.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0003.persistence",
            "techniques.t1556.006.multi_factor_authentication",
            "source.okta",
        ],
        query: "@index=okta eventType: (\"user.mfa.factor.reset_all\" \"user.mfa.factor.deactivate\")",
        alert_type: "mfa_reset",
        columns: &[
            "timestamp",
            "actor.alternateId",
            "eventType",
            "target.alternateId",
            "client.ipAddress",
        ],
    },
    Rule {
        key: "R14",
        name: "High volume of S3 object reads",
        description: "One principal read 40 or more S3 objects within an hour.",
        severity: "Low",
        severity_id: 2,
        tags: &[
            "tactics.ta0009.collection",
            "techniques.t1530.data_from_cloud_storage",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=GetObject | stats count() as reads by userIdentity.arn, sourceIPAddress | where reads >= 40",
        alert_type: "s3_read_volume",
        columns: &[],
    },
    Rule {
        key: "R15",
        name: "Console sign-in without MFA",
        description: "An IAM user signed in to the AWS console without MFA.",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0001.initial_access",
            "techniques.t1078.004.cloud_accounts",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=ConsoleLogin additionalEventData.MFAUsed=No",
        alert_type: "console_login_without_mfa",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "sourceIPAddress",
            "additionalEventData.MFAUsed",
            "userAgent",
        ],
    },
    Rule {
        key: "R16",
        name: "CI deploy role assumed from a new IP address",
        description: "The ci-deployer role was assumed through GitHub OIDC from an address not seen for it in the previous 14 days.",
        severity: "Low",
        severity_id: 2,
        tags: &[
            "tactics.ta0001.initial_access",
            "techniques.t1199.trusted_relationship",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=AssumeRoleWithWebIdentity requestParameters.roleArn: \"ci-deployer\"",
        alert_type: "ci_role_new_ip",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "requestParameters.roleArn",
            "sourceIPAddress",
            "userAgent",
        ],
    },
    Rule {
        key: "R17",
        name: "S3 bucket policy allows public access",
        description: "A bucket policy was set with a statement whose principal is everyone (*).",
        severity: "High",
        severity_id: 4,
        tags: &[
            "tactics.ta0010.exfiltration",
            "techniques.t1537.transfer_data_to_cloud_account",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=PutBucketPolicy requestParameters.bucketPolicy.Statement.Principal=\"*\"",
        alert_type: "public_bucket_policy",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "eventName",
            "requestParameters.bucketName",
            "sourceIPAddress",
        ],
    },
    Rule {
        key: "R18",
        name: "VPN connection from an unexpected country",
        description: "A VPN session started from a country outside the company's locations (US, UK, Ireland, Germany, Spain, Italy, India, Japan).",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0001.initial_access",
            "techniques.t1133.external_remote_services",
            "source.vpn",
        ],
        query: "@index=vpn event_type=connect not src_country: (\"United States\" \"United Kingdom\" \"Ireland\" \"Germany\" \"Spain\" \"Italy\" \"India\" \"Japan\")",
        alert_type: "vpn_unexpected_country",
        columns: &[
            "timestamp",
            "user",
            "src_ip",
            "src_city",
            "src_country",
            "client.hostname",
            "client.os",
            "client.version",
        ],
    },
    Rule {
        key: "R19",
        name: "IAM user created",
        description: "A new IAM user was created.",
        severity: "Low",
        severity_id: 2,
        tags: &[
            "tactics.ta0003.persistence",
            "techniques.t1136.003.cloud_account",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=CreateUser",
        alert_type: "iam_user_created",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "requestParameters.userName",
            "sourceIPAddress",
        ],
    },
    Rule {
        key: "R20",
        name: "Role assumption denied",
        description: "An AssumeRole call was denied.",
        severity: "Low",
        severity_id: 2,
        tags: &[
            "tactics.ta0004.privilege_escalation",
            "techniques.t1078.valid_accounts",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=AssumeRole errorCode=AccessDenied",
        alert_type: "assume_role_denied",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "requestParameters.roleArn",
            "errorCode",
            "sourceIPAddress",
        ],
    },
    Rule {
        key: "R21",
        name: "Sensitive bucket read by an unlisted principal",
        description: "An object was read from a finance or HR bucket by a principal outside the bucket's owners (finance team, ETL).",
        severity: "Medium",
        severity_id: 3,
        tags: &[
            "tactics.ta0009.collection",
            "techniques.t1530.data_from_cloud_storage",
            "source.aws.cloudtrail",
        ],
        query: "@index=cloudtrail eventName=GetObject requestParameters.bucketName: (\"larkspur-finance\" \"larkspur-hr\") not userIdentity.userName: (\"lnguyen\" \"lmartin\" \"svc-etl\")",
        alert_type: "sensitive_bucket_access",
        columns: &[
            "timestamp",
            "userIdentity.userName",
            "requestParameters.bucketName",
            "requestParameters.key",
            "sourceIPAddress",
        ],
    },
];

/// One alert: which rule fired when, and the truth about it.
pub struct AlertSpec {
    /// A stable name; the alert's id derives from it.
    pub key: &'static str,
    pub rule: &'static str,
    pub day: i64,
    /// Window start (UTC hour, minute) and length in minutes.
    pub from: (i64, i64),
    pub minutes: i64,
    pub label: Classification,
    pub rationale: &'static str,
}

impl AlertSpec {
    /// The detection window in seconds since the epoch.
    pub fn window(&self) -> (i64, i64) {
        let a = utc(self.day, self.from.0, self.from.1);
        (a, a + self.minutes * 60)
    }

    pub fn id(&self) -> String {
        uuid_for(&format!("triage-sample-lake/alert/{}", self.key))
    }

    pub fn rule(&self) -> &'static Rule {
        RULES
            .iter()
            .find(|r| r.key == self.rule)
            .unwrap_or(&RULES[0])
    }

    /// When the alert was raised: a few minutes after its window.
    pub fn raised_at(&self) -> i64 {
        self.window().1 + 60 + (fnv(self.key) % 180) as i64
    }
}

const fn spec(
    key: &'static str,
    rule: &'static str,
    day: i64,
    from: (i64, i64),
    minutes: i64,
    label: Classification,
    rationale: &'static str,
) -> AlertSpec {
    AlertSpec {
        key,
        rule,
        day,
        from,
        minutes,
        label,
        rationale,
    }
}

pub const SPECS: &[AlertSpec] = &[
    spec(
        "offhours-backup",
        "R1",
        28,
        (2, 0),
        60,
        Benign,
        "svc-backup's nightly job: ~37 calls from the backup host 10.20.4.15 with the backup-agent SDK at 02:00 UTC every night of the 30 days (snapshots, DR copies, retention deletes).",
    ),
    spec(
        "offhours-tokyo-sre",
        "R1",
        27,
        (1, 0),
        60,
        Benign,
        "snakamura is an SRE in Tokyo: 01:00 UTC is 10:00 JST, his normal working hours every weekday, over the VPN as always; the burst is metric and log reads.",
    ),
    spec(
        "offhours-insider",
        "R1",
        29,
        (5, 0),
        60,
        Malicious,
        "rkowalski (Chicago analyst, works 08:30–17:00, console only) has read larkspur-customer-exports — never touched before Oct 29 — most nights since, after 23:00 local from home with a CLI key he created on Oct 28: about 850 archive files (22 GB) swept month by month.",
    ),
    spec(
        "prod-role-jchen",
        "R2",
        27,
        (17, 15),
        15,
        Benign,
        "jchen, a platform engineer, assumes prod-deploy on most working days from the office or VPN with his usual CLI and runs the same ECS deploy sequence.",
    ),
    spec(
        "prod-role-dlee",
        "R2",
        29,
        (19, 0),
        15,
        Suspicious,
        "First prod-deploy assumption ever by dlee (frontend, normally staging-deploy only), rolling out a web-frontend image tagged dlee-hotfix-2 by hand instead of through CI: usual VPN and CLI, plausible hotfix, needs confirmation.",
    ),
    spec(
        "new-country-asmith",
        "R3",
        27,
        (10, 30),
        15,
        Benign,
        "asmith's usual laptop (same device fingerprint) and WebAuthn, a sign-in from SFO airport 13 h earlier, then an ordinary day of Slack and Jira from Lisbon with no parallel US sign-ins: travel.",
    ),
    spec(
        "new-country-lnguyen",
        "R3",
        28,
        (9, 30),
        15,
        Malicious,
        "New country (Netherlands) and a new Windows device on a VPS/proxy network, reached after six rejected pushes; the session opens mail, Workday and NetSuite and enrols a new Okta Verify; lnguyen's real sign-in from Austin follows 4.5 h later.",
    ),
    spec(
        "mfa-fatigue-lnguyen",
        "R4",
        28,
        (9, 5),
        30,
        Malicious,
        "Six rejected Okta Verify pushes in 20 minutes from a new device on a VPS in Amsterdam, then an accepted one, a new-country session, app access and a new factor enrolled: MFA fatigue ending in account takeover.",
    ),
    spec(
        "failed-logins-fkhan",
        "R5",
        28,
        (13, 30),
        15,
        Benign,
        "Three INVALID_CREDENTIALS from fkhan's home IP and usual laptop, then a normal sign-in with MFA two minutes later; she mistyped before (Oct 27).",
    ),
    spec(
        "failed-logins-ewright",
        "R5",
        29,
        (3, 0),
        15,
        Suspicious,
        "Twelve scripted (python-requests) password attempts on ewright from an unfamiliar residential IP at 22:00 her time, locking the account; none succeeded and her later sign-ins are normal: a failed guessing attack that still needs a reset and watching.",
    ),
    spec(
        "iam-policy-kmorales",
        "R6",
        27,
        (17, 0),
        15,
        Benign,
        "The IT admin onboarding new hire nfoster (Okta account created the day before, IAM user tagged ticket IT-2291): engineering group and ReadOnlyAccess from the SF office in business hours, like her earlier IAM changes.",
    ),
    spec(
        "admin-policy-bwilson",
        "R6b",
        28,
        (11, 30),
        15,
        Malicious,
        "bwilson, a contractor silent since Oct 23, attaches AdministratorAccess to himself from an unknown host with Boto3 after reconnaissance, then creates a second key, sweeps regions and reads production secrets.",
    ),
    spec(
        "access-key-mrossi",
        "R7",
        28,
        (10, 15),
        15,
        Benign,
        "Key rotation: mrossi lists his keys, creates one, deactivates and deletes the old one within 15 minutes, over the VPN with his usual CLI, and uses the new key afterwards.",
    ),
    spec(
        "access-key-bwilson",
        "R7",
        28,
        (11, 30),
        15,
        Malicious,
        "A second access key for the dormant contractor account, created right after it granted itself AdministratorAccess and used at once for region-wide reconnaissance and GetSecretValue: persistence.",
    ),
    spec(
        "sg-open-pyoung",
        "R8",
        28,
        (7, 30),
        15,
        Suspicious,
        "On-call pyoung, paged at 02:30 local, opened SSH to 0.0.0.0/0 on an orders-worker security group when SSM could not reach the instance; it fits the incident, but the rule was never revoked: exposure needs follow-up.",
    ),
    spec(
        "sg-open-ci",
        "R8",
        28,
        (20, 0),
        15,
        Benign,
        "ci-deployer (GitHub Actions via OIDC from a runner IP) creating a pull-request preview environment: HTTPS 443 open on the preview ALB's new security group, as in earlier preview deploys.",
    ),
    spec(
        "snapshot-deletion-backup",
        "R9",
        29,
        (2, 0),
        60,
        Benign,
        "svc-backup's nightly retention: every night it deletes the 12 snapshots (6 plus their DR copies) taken 14 days earlier, right after taking new ones, from the backup host.",
    ),
    spec(
        "root-login",
        "R10",
        28,
        (10, 0),
        15,
        Benign,
        "Root sign-in with MFA from the London office for billing and invoices only, the same as on Oct 21; finance analyst lmartin is working from that office at the time.",
    ),
    spec(
        "impossible-travel-hmueller",
        "R11",
        28,
        (12, 30),
        5,
        Benign,
        "hmueller signs in from home in Berlin, then connects the full-tunnel VPN (egress in Ashburn, US); her second sign-in comes from the VPN egress on the same laptop, the usual pattern of VPN users.",
    ),
    spec(
        "offensive-ua-prowler",
        "R12",
        27,
        (10, 0),
        15,
        Benign,
        "aahmed (security engineer) runs Prowler's read-only checks from the London office every Tuesday at 10:00 UTC (Oct 27, Nov 3, Nov 10, Nov 17).",
    ),
    spec(
        "mfa-reset-gclark",
        "R13",
        29,
        (17, 30),
        15,
        Benign,
        "The IT admin reset gclark's factors from the office; gclark then signs in from her home IP on her usual laptop and enrols a new phone: a lost-phone reset with no foreign device or place involved.",
    ),
    spec(
        "s3-volume-etl",
        "R14",
        27,
        (12, 0),
        60,
        Benign,
        "svc-etl's scheduled run (00:15, 06:15, 12:15, 18:15 UTC every day) reading ~50 raw event files from the data-lake bucket on the ETL host, the same every run.",
    ),
    spec(
        "s3-volume-ivanova",
        "R14",
        27,
        (9, 0),
        60,
        Benign,
        "ivanova's weekly Tuesday training-set refresh (~120 shards from larkspur-ml-datasets over the VPN with her usual CLI), the same as the three Tuesdays before.",
    ),
    spec(
        "console-no-mfa-sobrien",
        "R15",
        29,
        (9, 30),
        15,
        Benign,
        "sobrien has never used MFA on the console (every ConsoleLogin of his in 30 days has MFAUsed=No) and signs in from his usual Dublin IP to start his sales demo: a hygiene gap, not an intrusion.",
    ),
    spec(
        "ci-new-ip",
        "R16",
        29,
        (16, 30),
        15,
        Benign,
        "GitHub Actions for larkspur/web on main via OIDC; runner addresses rotate through the same range (dozens this month), with the same SDK user agent and deploy sequence.",
    ),
    spec(
        "public-bucket-policy",
        "R17",
        29,
        (18, 0),
        15,
        Benign,
        "jchen updates the policy of larkspur-marketing-site, the static website bucket he made public on Oct 26 (website configuration, public read); the change only adds a TLS-only deny, and CI publishes the site's pages there.",
    ),
    spec(
        "vpn-new-country-owhite",
        "R18",
        29,
        (14, 15),
        15,
        Suspicious,
        "owhite connects from Toronto on a Windows PC never seen before (not her corporate MacBook) for both Okta and the VPN; the push was approved once and she does normal support work: plausible travel on a personal device that only she can confirm.",
    ),
    spec(
        "new-iam-user-nfoster",
        "R19",
        27,
        (17, 0),
        15,
        Benign,
        "The IT admin creates an IAM user for new hire nfoster (ticket IT-2291) the day after creating her Okta account, from the SF office in business hours.",
    ),
    spec(
        "assume-denied-mjohnson",
        "R20",
        28,
        (15, 0),
        15,
        Benign,
        "Two AccessDenied attempts at prod-admin (a role she lacks), then her usual staging-deploy role, which she assumes almost daily; VPN and usual CLI, no other anomaly.",
    ),
    spec(
        "sensitive-bucket-tgarcia",
        "R21",
        27,
        (11, 15),
        15,
        Suspicious,
        "tgarcia (data engineer) reads three finance reports in business hours with his usual CLI over the VPN: his first access to larkspur-finance, plausible pipeline work but not explained by his role.",
    ),
];

/// Runs every rule over its alert's window and returns the alerts, in time order.
pub fn build(lake: &Lake) -> Vec<(i64, Value)> {
    let mut out: Vec<(i64, Value)> = SPECS
        .iter()
        .map(|s| (s.raised_at(), alert(lake, s)))
        .collect();
    out.sort_by_key(|a| a.0);
    out
}

fn alert(lake: &Lake, s: &AlertSpec) -> Value {
    let rule = s.rule();
    let (a, b) = s.window();
    let range = TimeRange {
        from_ms: a * 1000,
        to_ms: b * 1000,
    };
    let (columns, rows, total) = match lake.execute(rule.query, &range, RESULTS_TABLE_MAX_ROWS) {
        Ok(out) => {
            let columns: Vec<String> = match out.kind {
                OutputKind::Table => out.columns.clone(),
                OutputKind::Events => rule.columns.iter().map(|c| c.to_string()).collect(),
            };
            let rows: Vec<Value> = out
                .rows
                .iter()
                .map(|r| {
                    let row = RowRef {
                        index: None,
                        value: r,
                    };
                    Value::Array(columns.iter().map(|c| value_at(row, c)).collect())
                })
                .collect();
            (columns, rows, out.row_count)
        }
        Err(_) => (Vec::new(), Vec::new(), 0),
    };
    json!({
        "id": s.id(),
        "name": rule.name,
        "description": rule.description,
        "severity": rule.severity,
        "severity_id": rule.severity_id,
        "detection_rule_id": uuid_for(&format!("triage-sample-lake/rule/{}", rule.key)),
        "query_text": rule.query,
        "timestamp": super::events::ts(s.raised_at()),
        "detected_in_time_range": {
            "start": super::events::ts(a),
            "end": super::events::ts(b),
        },
        "tags": rule.tags,
        "results_table": {
            "columns": columns,
            "rows": rows,
            "total_row_count": total,
        },
    })
}
