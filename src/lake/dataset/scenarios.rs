//! The scripted stories behind the alerts: three real attacks (an insider's slow exfiltration,
//! a phished finance manager, a dormant contractor account turned admin), the ambiguous cases,
//! and the specific events of the benign alerts together with the history that explains them
//! (weekly Prowler scans, the marketing site's public bucket, a root login for billing a month
//! ago…). Every alert in `alerts.rs` fires on events written here or in the routine.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::alerts::SPECS;
use super::events::{
    Actor, Client, Okta, Sink, VpnClient, Who, app_target, ct, ts, user_target, vpn_session,
};
use super::profiles::{P, params, s3_params};
use super::rng::{Rng, aws_id};
use super::routine::{
    DayPlan, Plan, VPN_VERSION, assume_role, console_login, laptop_vpn, role_session, session_id,
    sign_in, sso,
};
use super::services::{Deploy, ci_deploy, sg_ingress};
use super::world::{ACCOUNT, MINUTE, OFFICE_LONDON, OFFICE_SF, VPN_EGRESS, local, person, utc};

/// The insider's home-grown exfiltration starts on this day (2026-10-29 UTC).
pub const EXFIL_FIRST_DAY: i64 = 8;
/// Where the phishing of the finance manager comes from (a VPS in Amsterdam).
pub const PHISH_IP: &str = "192.0.2.211";
/// Where the dormant account's stolen key is used from.
pub const DORMANT_IP: &str = "192.0.2.150";
/// The password-guessing source.
pub const SPRAY_IP: &str = "192.0.2.77";
/// The Support Lead's address in Toronto.
pub const TORONTO_IP: &str = "192.0.2.90";
/// The Lisbon hotel and the SFO airport Wi-Fi.
pub const LISBON_IP: &str = "192.0.2.31";
pub const AIRPORT_IP: &str = "192.0.2.20";
/// The new CI runner address of the last day.
pub const NEW_RUNNER_IP: &str = "198.51.100.231";
/// The user agent of the stolen-key tooling.
pub const BOTO_UA: &str = "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36";
/// Prowler's user agent.
pub const PROWLER_UA: &str = "prowler/4.5.1 Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.7";
/// The Tuesdays of the weekly Prowler scan and the weekly dataset refresh.
pub const TUESDAYS: [i64; 4] = [6, 13, 20, 27];

/// A scripted API call: time, who, service, API, parameters, error (code, message).
type Call<'a> = (
    i64,
    &'a Who,
    &'a str,
    &'a str,
    Value,
    Option<(&'a str, &'a str)>,
);
/// The same, for one known caller.
type Step<'a> = (i64, &'a str, &'a str, Value, Option<(&'a str, &'a str)>);

/// The routine's adjustments for the scenarios, and quiet windows around every alert.
pub fn plan() -> Plan {
    let mut days: HashMap<(&'static str, i64), DayPlan> = HashMap::new();
    let mut set = |user: &'static str, day: i64, f: &dyn Fn(&mut DayPlan)| {
        f(days.entry((user, day)).or_default());
    };
    set("asmith", 27, &|d| d.skip = true);
    for day in [28, 29] {
        set("asmith", day, &|d| d.place = Some((LISBON_IP, 0)));
    }
    set("owhite", 29, &|d| d.skip = true);
    set("gclark", 29, &|d| d.skip = true);
    set("hmueller", 28, &|d| {
        d.start = Some(utc(28, 7, 38));
        d.reauth = Some(utc(28, 12, 31) + 20);
    });
    set("fkhan", 28, &|d| d.start = Some(utc(28, 13, 46)));
    set("fkhan", 6, &|d| d.start = Some(utc(6, 13, 40)));
    set("sobrien", 29, &|d| {
        d.start = Some(utc(29, 9, 24));
        d.no_aws = true;
    });
    set("pyoung", 28, &|d| d.no_page = true);
    set("mjohnson", 28, &|d| d.start = Some(utc(28, 14, 55)));
    set("dlee", 29, &|d| d.start = Some(utc(29, 17, 10)));
    set("tgarcia", 27, &|d| d.start = Some(utc(27, 8, 5)));
    set("mrossi", 28, &|d| d.start = Some(utc(28, 8, 10)));
    set("jchen", 5, &|d| d.start = Some(utc(5, 16, 40)));
    set("jchen", 27, &|d| d.start = Some(utc(27, 16, 35)));
    set("jchen", 29, &|d| d.start = Some(utc(29, 16, 30)));
    set("kmorales", 27, &|d| d.start = Some(utc(27, 16, 0)));
    set("kmorales", 29, &|d| d.start = Some(utc(29, 16, 5)));
    set("lmartin", 0, &|d| d.start = Some(utc(0, 8, 30)));
    set("lmartin", 28, &|d| d.start = Some(utc(28, 8, 25)));
    set("snakamura", 27, &|d| d.start = Some(utc(27, 0, 25)));
    for day in TUESDAYS {
        set("aahmed", day, &|d| d.start = Some(utc(day, 8, 50)));
        set("ivanova", day, &|d| d.start = Some(utc(day, 7, 55)));
    }
    let quiet = SPECS
        .iter()
        .map(|s| (s.window().0 - 20 * MINUTE, s.window().1 + 20 * MINUTE))
        .collect();
    Plan {
        days,
        quiet,
        rotated_keys: vec![("mrossi", utc(28, 10, 20), aws_id("AKIA", "mrossi-2"))],
    }
}

pub fn generate(seed: u64, sink: &mut Sink, plan: &Plan) {
    let r = |n: u64| Rng::derive(seed, &[9, n]);
    insider(&mut r(1), sink);
    phished_finance_manager(&mut r(2), sink);
    dormant_contractor(&mut r(3), sink);
    traveller(&mut r(4), sink);
    toronto(&mut r(5), sink);
    password_guessing(&mut r(6), sink);
    typos(sink);
    onboarding(&mut r(7), sink);
    key_rotation(sink, plan);
    incident(&mut r(8), sink);
    ci_events(&mut r(9), sink);
    root_billing(&mut r(10), sink);
    prowler(&mut r(11), sink);
    mfa_reset(&mut r(12), sink);
    dataset_refresh(&mut r(13), sink);
    sales_demo(&mut r(14), sink);
    marketing_site(sink);
    role_events(&mut r(15), sink);
    finance_reads(sink);
    tokyo_burst(&mut r(16), sink);
}

/// rkowalski, a data analyst, creates a CLI key and then, most nights for three weeks, reads
/// the customer-export archive from home after 23:00 local — a bucket his work never touches.
fn insider(rng: &mut Rng, sink: &mut Sink) {
    let p = person("rkowalski");
    let t = local(EXFIL_FIRST_DAY - 1, p.tz_min, 14, 10);
    sink.push(
        ct(t, &Who::console(p.user, EXFIL_FIRST_DAY - 1), "iam.amazonaws.com", "CreateAccessKey", p.home_ip, p.browser_ua())
            .params(json!({"userName": p.user}))
            .response(json!({"accessKey": {"accessKeyId": aws_id("AKIA", p.user), "status": "Active", "userName": p.user, "createDate": ts(t)}})),
    );
    let who = Who::cli(p.user);
    let ua = p.cli_ua();
    let regions = ["na", "emea", "apac", "latam"];
    let mut month = 0; // months since 2023-01 of the archive sweep
    let mut part = 0;
    for day in EXFIL_FIRST_DAY..=29 {
        let last = day == 29;
        if !last && rng.chance(0.18) {
            continue;
        }
        let mut t = if last {
            utc(29, 5, 2)
        } else {
            utc(day, 5, 0) + rng.range(-40, 30) * MINUTE
        };
        let n = if last { 64 } else { rng.range(30, 80) };
        for _ in 0..2 {
            let prefix = format!(
                "exports/archive/{}/{:02}/",
                2023 + month / 12,
                month % 12 + 1
            );
            sink.push(
                ct(t, &who, "s3.amazonaws.com", "ListObjects", p.home_ip, &ua).params(s3_params(
                    "larkspur-customer-exports",
                    None,
                    Some(&prefix),
                )),
            );
            t += rng.range(10, 40);
        }
        for _ in 0..n {
            let key = format!(
                "exports/archive/{}/{:02}/customers-{}-part-{:03}.csv.gz",
                2023 + month / 12,
                month % 12 + 1,
                regions[part % regions.len()],
                part / regions.len()
            );
            part += 1;
            if part >= 40 {
                part = 0;
                month += 1;
            }
            sink.push(
                ct(t, &who, "s3.amazonaws.com", "GetObject", p.home_ip, &ua)
                    .params(s3_params("larkspur-customer-exports", Some(&key), None))
                    .extra(json!({"bytesTransferredOut": rng.range(8_000_000, 45_000_000)})),
            );
            t += if last { 50 } else { rng.range(40, 120) };
        }
    }
}

/// lnguyen's Okta password is phished: the attacker, on a VPS in Amsterdam with a new Windows
/// device, bombs her with pushes until she accepts, then opens mail, Workday and NetSuite and
/// enrols their own Okta Verify. Her real morning sign-in from Austin follows.
fn phished_finance_manager(rng: &mut Rng, sink: &mut Sink) {
    let p = person("lnguyen");
    let attacker = Client {
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into(),
        os: "Windows 10".into(),
        browser: "CHROME".into(),
        device: "Computer",
        fingerprint: rng.hex(32),
    };
    let s = session_id(rng);
    let ev = |t: i64, ty: &'static str, msg: &'static str| {
        Okta::new(t, ty, msg, p, PHISH_IP, &s).client(&attacker)
    };
    for k in 0..6 {
        let t = utc(28, 9, 12) + k * 190;
        sink.okta(
            ev(
                t,
                "system.push.send_factor_verify_push",
                "Push notification sent for verification",
            )
            .factor("OKTA_VERIFY_PUSH"),
        );
        sink.okta(
            ev(
                t + 25,
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
            )
            .factor("OKTA_VERIFY_PUSH")
            .failure("FAILURE", "User rejected Okta push verify"),
        );
    }
    let t = utc(28, 9, 31) + 10;
    sink.okta(
        ev(
            t,
            "system.push.send_factor_verify_push",
            "Push notification sent for verification",
        )
        .factor("OKTA_VERIFY_PUSH"),
    );
    sink.okta(
        ev(
            t + 30,
            "user.authentication.auth_via_mfa",
            "Authentication of user via MFA",
        )
        .factor("OKTA_VERIFY_PUSH"),
    );
    sink.okta(ev(t + 33, "user.session.start", "User login to Okta"));
    sink.okta(
        ev(
            t + 130,
            "user.authentication.sso",
            "User single sign on to app",
        )
        .target(app_target("Google Workspace")),
    );
    sink.okta(
        ev(
            t + 310,
            "user.authentication.sso",
            "User single sign on to app",
        )
        .target(app_target("Workday")),
    );
    sink.okta(
        ev(t + 540, "user.mfa.factor.activate", "User set up factor")
            .factor("OKTA_VERIFY")
            .target(json!({"id": format!("opf{}", rng.hex(17)), "type": "Factor", "alternateId": "Okta Verify (Pixel 8)", "displayName": "Okta Verify"})),
    );
    sink.okta(
        ev(
            t + 1080,
            "user.authentication.sso",
            "User single sign on to app",
        )
        .target(app_target("NetSuite")),
    );
}

/// bwilson's contract ended on day 2 but his IAM user and access key stayed. 26 days later the
/// key is used from an unknown host with Boto3: reconnaissance, AdministratorAccess attached to
/// himself, a second access key, then secrets.
fn dormant_contractor(rng: &mut Rng, sink: &mut Sink) {
    let old = Who::cli("bwilson");
    let new_key = aws_id("AKIA", "bwilson-2");
    let new = Who::User {
        name: "bwilson".into(),
        key: new_key.clone(),
    };
    let iam = "iam.amazonaws.com";
    let ip = DORMANT_IP;
    let calls: Vec<Call<'_>> = vec![
        (
            utc(28, 11, 38) + 12,
            &old,
            "sts.amazonaws.com",
            "GetCallerIdentity",
            Value::Null,
            None,
        ),
        (
            utc(28, 11, 38) + 40,
            &old,
            iam,
            "ListAttachedUserPolicies",
            json!({"userName": "bwilson"}),
            None,
        ),
        (
            utc(28, 11, 39) + 5,
            &old,
            iam,
            "ListUsers",
            Value::Null,
            None,
        ),
        (
            utc(28, 11, 39) + 30,
            &old,
            iam,
            "ListRoles",
            Value::Null,
            None,
        ),
        (
            utc(28, 11, 40) + 2,
            &old,
            iam,
            "GetAccountAuthorizationDetails",
            Value::Null,
            Some((
                "AccessDenied",
                "User: arn:aws:iam::111122223333:user/bwilson is not authorized to perform: iam:GetAccountAuthorizationDetails on resource: *",
            )),
        ),
        (
            utc(28, 11, 41) + 15,
            &old,
            iam,
            "AttachUserPolicy",
            json!({"userName": "bwilson", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            None,
        ),
        (
            utc(28, 11, 42),
            &old,
            iam,
            "ListAttachedUserPolicies",
            json!({"userName": "bwilson"}),
            None,
        ),
        (
            utc(28, 11, 43) + 20,
            &old,
            iam,
            "CreateAccessKey",
            json!({"userName": "bwilson"}),
            None,
        ),
        (
            utc(28, 11, 46) + 5,
            &new,
            "ec2.amazonaws.com",
            "DescribeRegions",
            Value::Null,
            None,
        ),
    ];
    for (t, who, src, name, params, err) in calls {
        let mut c = ct(t, who, src, name, ip, BOTO_UA).params(params);
        if name == "CreateAccessKey" {
            c = c.response(json!({"accessKey": {"accessKeyId": new_key, "status": "Active", "userName": "bwilson", "createDate": ts(t)}}));
        }
        if let Some((code, msg)) = err {
            c = c.error(code, msg);
        }
        sink.push(c);
    }
    let mut t = utc(28, 11, 47);
    for region in [
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "ap-southeast-1",
        "ap-northeast-1",
    ] {
        sink.push(
            ct(
                t,
                &new,
                "ec2.amazonaws.com",
                "DescribeInstances",
                ip,
                BOTO_UA,
            )
            .region(region)
            .params(json!({"instancesSet": {}, "filterSet": {}})),
        );
        t += rng.range(5, 30);
    }
    sink.push(
        ct(t + 40, &new, "s3.amazonaws.com", "ListBuckets", ip, BOTO_UA)
            .params(json!({"Host": "s3.amazonaws.com"})),
    );
    sink.push(ct(
        t + 95,
        &new,
        "rds.amazonaws.com",
        "DescribeDBInstances",
        ip,
        BOTO_UA,
    ));
    sink.push(
        ct(
            t + 140,
            &new,
            "secretsmanager.amazonaws.com",
            "ListSecrets",
            ip,
            BOTO_UA,
        )
        .params(json!({"maxResults": 100})),
    );
    for (i, secret) in [
        "prod/orders-db/credentials",
        "prod/stripe/api-key",
        "prod/github/deploy-token",
    ]
    .iter()
    .enumerate()
    {
        sink.push(
            ct(
                t + 200 + i as i64 * 35,
                &new,
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
                ip,
                BOTO_UA,
            )
            .params(json!({"secretId": secret})),
        );
    }
    sink.push(ct(
        utc(28, 12, 19),
        &new,
        "sts.amazonaws.com",
        "GetCallerIdentity",
        ip,
        BOTO_UA,
    ));
}

/// asmith flies from San Francisco to Lisbon (a conference week): a sign-in at the airport, then
/// Lisbon with her usual laptop and her WebAuthn key.
fn traveller(rng: &mut Rng, sink: &mut Sink) {
    let p = person("asmith");
    let c = Client::laptop(p);
    let s = session_id(rng);
    let t = utc(26, 21, 28);
    sign_in(sink, p, t, AIRPORT_IP, &c, &s);
    sso(sink, p, t + 60, AIRPORT_IP, &c, &s, "Slack");
    let s = session_id(rng);
    let t = utc(27, 10, 41);
    sign_in(sink, p, t, LISBON_IP, &c, &s);
    for (dt, app) in [
        (120, "Slack"),
        (200, "Google Workspace"),
        (3000, "Jira"),
        (12_600, "Figma"),
        (19_000, "Slack"),
    ] {
        sso(sink, p, t + dt, LISBON_IP, &c, &s, app);
    }
}

/// owhite signs in from Toronto on a Windows PC nobody has seen (push approved at once) and
/// connects the VPN from it; then an ordinary support day.
fn toronto(rng: &mut Rng, sink: &mut Sink) {
    let p = person("owhite");
    let c = Client {
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36".into(),
        os: "Windows 10".into(),
        browser: "CHROME".into(),
        device: "Computer",
        fingerprint: rng.hex(32),
    };
    let s = session_id(rng);
    let t = utc(29, 14, 8);
    sign_in(sink, p, t, TORONTO_IP, &c, &s);
    sso(sink, p, t + 11 * MINUTE, TORONTO_IP, &c, &s, "Larkspur VPN");
    let end = utc(29, 21, 35);
    vpn_session(
        sink,
        rng,
        p,
        utc(29, 14, 20),
        end,
        TORONTO_IP,
        &VpnClient {
            hostname: "DESKTOP-7KQ2M1",
            os: "Windows 11",
            version: "6.1.4",
        },
    );
    for (dt, app) in [
        (17, "Zendesk"),
        (18, "Slack"),
        (32, "Google Workspace"),
        (62, "Larkspur Admin"),
        (240, "Zendesk"),
    ] {
        sso(sink, p, t + dt * MINUTE, VPN_EGRESS, &c, &s, app);
    }
    let s2 = session_id(rng);
    sign_in(sink, p, utc(29, 19, 5), VPN_EGRESS, &c, &s2);
}

/// Twelve scripted password attempts against ewright's account at night, from a residential
/// address with python-requests; the account locks and unlocks itself; she signs in normally
/// the next morning.
fn password_guessing(rng: &mut Rng, sink: &mut Sink) {
    let p = person("ewright");
    let c = Client {
        ua: "python-requests/2.31.0".into(),
        os: "Unknown".into(),
        browser: "UNKNOWN".into(),
        device: "Unknown",
        fingerprint: rng.hex(32),
    };
    let mut t = utc(29, 3, 0) + 40;
    for i in 0..12 {
        let s = session_id(rng);
        let reason = if i < 10 {
            "INVALID_CREDENTIALS"
        } else {
            "LOCKED_OUT"
        };
        sink.okta(
            Okta::new(
                t,
                "user.session.start",
                "User login to Okta",
                p,
                SPRAY_IP,
                &s,
            )
            .client(&c)
            .failure("FAILURE", reason),
        );
        if i == 9 {
            sink.okta(
                Okta::new(
                    t + 2,
                    "user.account.lock",
                    "Max sign in attempts exceeded",
                    p,
                    SPRAY_IP,
                    &s,
                )
                .client(&c),
            );
        }
        t += rng.range(18, 40);
    }
    let s = session_id(rng);
    sink.okta(
        Okta::new(
            t + 3600,
            "user.account.unlock",
            "Automatically unlock user account",
            p,
            SPRAY_IP,
            &s,
        )
        .actor(Actor::okta_system())
        .target(user_target(p)),
    );
}

/// fkhan mistypes her password: three times before her morning sign-in on day 28, once on
/// day 6.
fn typos(sink: &mut Sink) {
    let p = person("fkhan");
    let c = Client::laptop(p);
    for t in [
        utc(6, 13, 38) + 20,
        utc(28, 13, 41) + 10,
        utc(28, 13, 42) + 30,
        utc(28, 13, 44) + 5,
    ] {
        sink.okta(
            Okta::new(
                t,
                "user.session.start",
                "User login to Okta",
                p,
                p.home_ip,
                "unknown",
            )
            .client(&c)
            .failure("FAILURE", "INVALID_CREDENTIALS"),
        );
    }
}

/// kmorales onboards nfoster (Okta on day 26, IAM on day 27), and earlier makes the ordinary IAM
/// changes of an IT admin.
fn onboarding(rng: &mut Rng, sink: &mut Sink) {
    let admin = person("kmorales");
    let hire = person("nfoster");
    let c = Client::laptop(admin);
    let s = session_id(rng);
    for (t, ty, msg) in [
        (utc(26, 22, 10), "user.lifecycle.create", "Create okta user"),
        (
            utc(26, 22, 11),
            "user.lifecycle.activate",
            "Activate Okta user",
        ),
        (
            utc(26, 22, 12),
            "group.user_membership.add",
            "Add user to group membership",
        ),
    ] {
        sink.okta(
            Okta::new(t, ty, msg, admin, OFFICE_SF, &s)
                .client(&c)
                .target(user_target(hire)),
        );
    }
    let who = Who::console(admin.user, 27);
    let ua = admin.browser_ua();
    let iam = "iam.amazonaws.com";
    let ev = [
        (
            utc(27, 17, 2) + 10,
            "CreateUser",
            json!({"userName": hire.user, "tags": [{"key": "team", "value": "platform"}, {"key": "ticket", "value": "IT-2291"}]}),
        ),
        (
            utc(27, 17, 3) + 30,
            "AddUserToGroup",
            json!({"groupName": "engineering", "userName": hire.user}),
        ),
        (
            utc(27, 17, 5),
            "AttachUserPolicy",
            json!({"userName": hire.user, "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        ),
        (
            utc(27, 17, 6) + 10,
            "CreateLoginProfile",
            json!({"userName": hire.user, "passwordResetRequired": true}),
        ),
        (
            utc(9, 18, 20),
            "AddUserToGroup",
            json!({"groupName": "qa", "userName": "mjohnson"}),
        ),
        (
            utc(13, 17, 45),
            "AttachUserPolicy",
            json!({"userName": "tgarcia", "policyArn": format!("arn:aws:iam::{ACCOUNT}:policy/glue-jobs-operator")}),
        ),
        (
            utc(20, 21, 5),
            "UpdateLoginProfile",
            json!({"userName": "yzhang", "passwordResetRequired": true}),
        ),
    ];
    for (t, name, params) in ev {
        let who = if t < utc(27, 0, 0) {
            Who::console(admin.user, (t - utc(0, 0, 0)) / 86_400)
        } else {
            who.clone()
        };
        sink.push(ct(t, &who, iam, name, OFFICE_SF, ua).params(params));
    }
}

/// mrossi rotates his access key: create, switch, deactivate, delete.
fn key_rotation(sink: &mut Sink, plan: &Plan) {
    let p = person("mrossi");
    let ua = p.cli_ua();
    let iam = "iam.amazonaws.com";
    let old_key = aws_id("AKIA", p.user);
    let new_key = aws_id("AKIA", "mrossi-2");
    let t_new = utc(28, 10, 20);
    let ev = [
        (
            utc(28, 10, 18),
            "ListAccessKeys",
            json!({"userName": p.user}),
        ),
        (t_new, "CreateAccessKey", json!({"userName": p.user})),
        (
            utc(28, 10, 31),
            "UpdateAccessKey",
            json!({"userName": p.user, "accessKeyId": old_key, "status": "Inactive"}),
        ),
        (
            utc(28, 10, 33),
            "DeleteAccessKey",
            json!({"userName": p.user, "accessKeyId": old_key}),
        ),
    ];
    for (t, name, params) in ev {
        let mut c = ct(t, &plan.cli(p.user, t), iam, name, VPN_EGRESS, &ua).params(params);
        if name == "CreateAccessKey" {
            c = c.response(json!({"accessKey": {"accessKeyId": new_key, "status": "Active", "userName": p.user, "createDate": ts(t)}}));
        }
        sink.push(c);
    }
}

/// pyoung is paged at 02:30 New York time: an orders worker is unhealthy and SSM cannot reach
/// it, so he opens SSH to the world on its security group, reboots it, and goes back to bed.
/// The rule is never revoked.
fn incident(rng: &mut Rng, sink: &mut Sink) {
    let p = person("pyoung");
    let c = Client::laptop(p);
    let s = session_id(rng);
    sso(sink, p, utc(28, 7, 30), p.home_ip, &c, &s, "PagerDuty");
    sign_in(sink, p, utc(28, 7, 31), p.home_ip, &c, &s);
    sso(sink, p, utc(28, 7, 32), p.home_ip, &c, &s, "Larkspur VPN");
    let (host, os) = laptop_vpn(p);
    vpn_session(
        sink,
        rng,
        p,
        utc(28, 7, 33),
        utc(28, 8, 31),
        p.home_ip,
        &VpnClient {
            hostname: &host,
            os,
            version: VPN_VERSION,
        },
    );
    let who = Who::cli(p.user);
    let ua = p.cli_ua();
    let ec2 = "ec2.amazonaws.com";
    let instance = "i-0c2d4e6f8a0b1c3d5";
    let group = "sg-0a9b8c7d6e5f40312";
    let ev: Vec<Step<'_>> = vec![
        (
            utc(28, 7, 35),
            ec2,
            "DescribeInstances",
            json!({"instancesSet": {"items": [{"instanceId": instance}]}}),
            None,
        ),
        (
            utc(28, 7, 36),
            "monitoring.amazonaws.com",
            "GetMetricData",
            json!({"metricDataQueries": [{"id": "cpu", "metricStat": {"metric": {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "dimensions": [{"name": "InstanceId", "value": instance}]}}}]}),
            None,
        ),
        (
            utc(28, 7, 38),
            "ssm.amazonaws.com",
            "StartSession",
            json!({"target": instance}),
            Some((
                "TargetNotConnected",
                "i-0c2d4e6f8a0b1c3d5 is not connected.",
            )),
        ),
        (
            utc(28, 7, 40),
            ec2,
            "DescribeSecurityGroups",
            json!({"groupId": group}),
            None,
        ),
        (
            utc(28, 7, 44) + 30,
            ec2,
            "AuthorizeSecurityGroupIngress",
            sg_ingress(group, 22, "debug ssh - incident"),
            None,
        ),
        (
            utc(28, 7, 47),
            ec2,
            "DescribeInstanceStatus",
            json!({"instancesSet": {"items": [{"instanceId": instance}]}}),
            None,
        ),
        (
            utc(28, 7, 52),
            ec2,
            "RebootInstances",
            json!({"instancesSet": {"items": [{"instanceId": instance}]}}),
            None,
        ),
        (
            utc(28, 7, 58),
            "monitoring.amazonaws.com",
            "GetMetricData",
            json!({"metricDataQueries": [{"id": "cpu", "metricStat": {"metric": {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "dimensions": [{"name": "InstanceId", "value": instance}]}}}]}),
            None,
        ),
        (
            utc(28, 8, 10),
            "logs.amazonaws.com",
            "FilterLogEvents",
            json!({"logGroupName": "/ecs/prod/orders-worker", "filterPattern": "ERROR"}),
            None,
        ),
    ];
    for (t, src, name, params, err) in ev {
        let mut c = ct(t, &who, src, name, VPN_EGRESS, &ua).params(params);
        if let Some((code, msg)) = err {
            c = c.error(code, msg);
        }
        sink.push(c);
    }
}

/// The CI runs the alerts need: a preview environment's public ALB, and a runner address not
/// seen before.
fn ci_events(rng: &mut Rng, sink: &mut Sink) {
    ci_deploy(
        rng,
        sink,
        utc(28, 20, 2),
        "198.51.100.214",
        Deploy::Api,
        Some(1482),
    );
    ci_deploy(
        rng,
        sink,
        utc(29, 16, 40) + 5,
        NEW_RUNNER_IP,
        Deploy::Web,
        None,
    );
}

/// The finance analyst signs in as root for the monthly invoices, from the London office with
/// MFA: on day 0 and again on day 28.
fn root_billing(rng: &mut Rng, sink: &mut Sink) {
    let p = person("lmartin");
    for (day, h, m) in [(0, 10, 12), (28, 10, 5)] {
        let mut t = utc(day, h, m);
        console_login(sink, &Who::Root, t, OFFICE_LONDON, p.browser_ua(), true);
        for (src, name) in [
            ("billingconsole.amazonaws.com", "GetBillingData"),
            ("invoicing.amazonaws.com", "ListInvoiceSummaries"),
            ("invoicing.amazonaws.com", "GetInvoicePDF"),
            ("tax.amazonaws.com", "GetTaxRegistration"),
            ("ce.amazonaws.com", "GetCostAndUsage"),
        ] {
            t += rng.range(60, 240);
            sink.push(ct(t, &Who::Root, src, name, OFFICE_LONDON, p.browser_ua()));
        }
    }
}

/// The security engineer's weekly Prowler scan, Tuesdays 10:00 UTC from the London office.
fn prowler(rng: &mut Rng, sink: &mut Sink) {
    let who = Who::cli("aahmed");
    let checks = [
        ("iam.amazonaws.com", "GetAccountPasswordPolicy"),
        ("iam.amazonaws.com", "ListUsers"),
        ("iam.amazonaws.com", "ListAccessKeys"),
        ("iam.amazonaws.com", "GetCredentialReport"),
        ("iam.amazonaws.com", "ListPolicies"),
        ("iam.amazonaws.com", "ListRoles"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("s3.amazonaws.com", "GetBucketPolicy"),
        ("s3.amazonaws.com", "GetBucketPublicAccessBlock"),
        ("s3.amazonaws.com", "GetBucketEncryption"),
        ("ec2.amazonaws.com", "DescribeSecurityGroups"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("ec2.amazonaws.com", "DescribeVolumes"),
        ("cloudtrail.amazonaws.com", "DescribeTrails"),
        ("cloudtrail.amazonaws.com", "GetTrailStatus"),
        ("guardduty.amazonaws.com", "ListDetectors"),
        ("kms.amazonaws.com", "ListKeys"),
        ("rds.amazonaws.com", "DescribeDBInstances"),
        ("lambda.amazonaws.com", "ListFunctions"),
        ("config.amazonaws.com", "DescribeConfigurationRecorders"),
    ];
    for day in super::scenarios::TUESDAYS {
        let mut t = utc(day, 10, 1) + rng.range(0, 60);
        for i in 0..40 {
            let (src, name) = checks[i % checks.len()];
            sink.push(ct(t, &who, src, name, OFFICE_LONDON, PROWLER_UA));
            t += rng.range(15, 45);
        }
    }
}

/// gclark lost her phone: the IT admin resets her factors from the office, she signs in from
/// home on her laptop and enrols the new phone.
fn mfa_reset(rng: &mut Rng, sink: &mut Sink) {
    let admin = person("kmorales");
    let p = person("gclark");
    let s = session_id(rng);
    sink.okta(
        Okta::new(
            utc(29, 17, 30) + 20,
            "user.mfa.factor.reset_all",
            "Reset all factors for user",
            admin,
            OFFICE_SF,
            &s,
        )
        .client(&Client::laptop(admin))
        .target(user_target(p)),
    );
    let c = Client::laptop(p);
    let s = session_id(rng);
    let t = utc(29, 17, 41);
    sink.okta(
        Okta::new(
            t,
            "user.session.start",
            "User login to Okta",
            p,
            p.home_ip,
            &s,
        )
        .client(&c),
    );
    sink.okta(
        Okta::new(t + 90, "user.mfa.factor.activate", "User set up factor", p, p.home_ip, &s)
            .client(&c)
            .factor("OKTA_VERIFY_PUSH")
            .target(json!({"id": format!("opf{}", rng.hex(17)), "type": "Factor", "alternateId": "Okta Verify (iPhone 16)", "displayName": "Okta Verify"})),
    );
    for (dt, app) in [
        (4, "Slack"),
        (6, "Google Workspace"),
        (95, "HubSpot"),
        (210, "Figma"),
    ] {
        sso(sink, p, t + dt * MINUTE, p.home_ip, &c, &s, app);
    }
}

/// ivanova refreshes her training set every Tuesday: ~120 objects from the ML datasets bucket.
fn dataset_refresh(rng: &mut Rng, sink: &mut Sink) {
    let p = person("ivanova");
    let who = Who::cli(p.user);
    let ua = p.cli_ua();
    for day in TUESDAYS {
        let mut t = utc(day, 9, 5) + rng.range(0, 120);
        for i in 0..rng.range(110, 130) {
            let key = format!("training/churn/v7/shard-{i:04}.parquet");
            sink.push(
                ct(t, &who, "s3.amazonaws.com", "GetObject", VPN_EGRESS, &ua)
                    .params(s3_params("larkspur-ml-datasets", Some(&key), None))
                    .extra(json!({"bytesTransferredOut": rng.range(20_000_000, 80_000_000)})),
            );
            t += rng.range(8, 20);
        }
    }
}

/// sobrien's console sign-in (his IAM user has no MFA device) and the demo he starts.
fn sales_demo(rng: &mut Rng, sink: &mut Sink) {
    let p = person("sobrien");
    let who = Who::console(p.user, 29);
    let t = utc(29, 9, 31) + 20;
    console_login(sink, &who, t, p.home_ip, p.browser_ua(), false);
    for (dt, name, par) in [
        (120, "DescribeInstances", P::Instances),
        (150, "StartInstances", P::DemoInstance),
        (400, "DescribeInstances", P::Instances),
    ] {
        let (params, _) = params(par, rng, 29);
        sink.push(
            ct(
                t + dt,
                &who,
                "ec2.amazonaws.com",
                name,
                p.home_ip,
                p.browser_ua(),
            )
            .region("eu-west-1")
            .params(params),
        );
    }
}

/// jchen set up the marketing site's bucket as a public website on day 5, and updates its
/// policy (adding a TLS-only statement) on day 29.
fn marketing_site(sink: &mut Sink) {
    let p = person("jchen");
    let who = Who::cli(p.user);
    let ua = p.cli_ua();
    let bucket = "larkspur-marketing-site";
    let public = json!({"Sid": "PublicReadForWebsite", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")});
    let tls = json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    let s3 = "s3.amazonaws.com";
    let with = |extra: Value| {
        let mut v = s3_params(bucket, None, None);
        if let (Some(m), Value::Object(x)) = (v.as_object_mut(), extra) {
            m.extend(x);
        }
        v
    };
    let ev = [
        (
            utc(5, 17, 20),
            VPN_EGRESS,
            "CreateBucket",
            with(json!({"CreateBucketConfiguration": {"LocationConstraint": "us-east-1"}})),
        ),
        (
            utc(5, 17, 22),
            VPN_EGRESS,
            "PutBucketPublicAccessBlock",
            with(
                json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": false, "RestrictPublicBuckets": false}}),
            ),
        ),
        (
            utc(5, 17, 23),
            VPN_EGRESS,
            "PutBucketWebsite",
            with(
                json!({"WebsiteConfiguration": {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}}}),
            ),
        ),
        (
            utc(5, 17, 25),
            VPN_EGRESS,
            "PutBucketPolicy",
            with(json!({"bucketPolicy": {"Version": "2012-10-17", "Statement": [public.clone()]}})),
        ),
        (
            utc(29, 18, 10),
            OFFICE_SF,
            "PutBucketPolicy",
            with(json!({"bucketPolicy": {"Version": "2012-10-17", "Statement": [public, tls]}})),
        ),
    ];
    for (t, ip, name, params) in ev {
        sink.push(ct(t, &who, s3, name, ip, &ua).params(params));
    }
}

/// Role assumptions the alerts are about: jchen's usual prod deploy, mjohnson trying
/// prod-admin before her usual staging role, and dlee's first-ever prod deploy of the web
/// frontend, outside CI.
fn role_events(rng: &mut Rng, sink: &mut Sink) {
    let j = person("jchen");
    role_session(
        rng,
        sink,
        &Who::cli(j.user),
        j.user,
        "prod-deploy",
        utc(27, 17, 21) + 30,
        OFFICE_SF,
        &j.cli_ua(),
    );

    let m = person("mjohnson");
    let who = Who::cli(m.user);
    let ua = m.cli_ua();
    let msg = format!(
        "User: arn:aws:iam::{ACCOUNT}:user/mjohnson is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/prod-admin"
    );
    for t in [utc(28, 15, 10) + 12, utc(28, 15, 11) + 2] {
        sink.push(
            assume_role(&who, m.user, "prod-admin", t, VPN_EGRESS, &ua).error("AccessDenied", &msg),
        );
    }
    role_session(
        rng,
        sink,
        &who,
        m.user,
        "staging-deploy",
        utc(28, 15, 12) + 30,
        VPN_EGRESS,
        &ua,
    );

    let d = person("dlee");
    let who = Who::cli(d.user);
    let ua = d.cli_ua();
    let t = utc(29, 19, 5) + 40;
    sink.push(assume_role(&who, d.user, "prod-deploy", t, VPN_EGRESS, &ua));
    let rw = Who::role("prod-deploy", d.user);
    let ecs = "ecs.amazonaws.com";
    for (dt, name, params) in [
        (
            50,
            "DescribeServices",
            json!({"cluster": "prod", "services": ["web-frontend"]}),
        ),
        (
            160,
            "RegisterTaskDefinition",
            json!({"family": "web-frontend", "containerDefinitions": [{"name": "web", "image": format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/web-frontend:dlee-hotfix-2")}]}),
        ),
        (
            230,
            "UpdateService",
            json!({"cluster": "prod", "service": "web-frontend", "taskDefinition": "web-frontend:143", "forceNewDeployment": true}),
        ),
        (
            560,
            "DescribeServices",
            json!({"cluster": "prod", "services": ["web-frontend"]}),
        ),
    ] {
        sink.push(ct(t + dt, &rw, ecs, name, VPN_EGRESS, &ua).params(params));
    }
    sink.push(
        ct(
            t + 900,
            &rw,
            "logs.amazonaws.com",
            "FilterLogEvents",
            VPN_EGRESS,
            &ua,
        )
        .params(json!({"logGroupName": "/ecs/prod/web", "filterPattern": "ERROR"})),
    );
}

/// tgarcia, a data engineer, reads three finance reports — a first for him.
fn finance_reads(sink: &mut Sink) {
    let p = person("tgarcia");
    let who = Who::cli(p.user);
    let ua = p.cli_ua();
    let s3 = "s3.amazonaws.com";
    sink.push(
        ct(utc(27, 11, 18), &who, s3, "ListObjects", VPN_EGRESS, &ua).params(s3_params(
            "larkspur-finance",
            None,
            Some("reports/2026-10/"),
        )),
    );
    for (t, key, size) in [
        (
            utc(27, 11, 20) + 40,
            "reports/2026-10/revenue-by-customer.csv",
            3_400_000,
        ),
        (
            utc(27, 11, 21) + 5,
            "reports/2026-10/arr-summary.xlsx",
            410_000,
        ),
        (
            utc(27, 11, 22) + 15,
            "reports/2026-10/billing-export.csv",
            8_900_000,
        ),
    ] {
        sink.push(
            ct(t, &who, s3, "GetObject", VPN_EGRESS, &ua)
                .params(s3_params("larkspur-finance", Some(key), None))
                .extra(json!({"bytesTransferredOut": size})),
        );
    }
}

/// snakamura (Tokyo) chases a latency regression mid-morning his time: ~30 calls in an hour.
fn tokyo_burst(rng: &mut Rng, sink: &mut Sink) {
    let p = person("snakamura");
    let who = Who::cli(p.user);
    let ua = p.cli_ua();
    let acts = [
        (
            "monitoring.amazonaws.com",
            "GetMetricData",
            P::Metric("AWS/ApplicationELB"),
        ),
        ("monitoring.amazonaws.com", "DescribeAlarms", P::Alarms),
        (
            "logs.amazonaws.com",
            "FilterLogEvents",
            P::Logs("/ecs/prod/api"),
        ),
        (
            "ecs.amazonaws.com",
            "DescribeServices",
            P::Svc("prod", "api"),
        ),
        (
            "elasticloadbalancing.amazonaws.com",
            "DescribeTargetHealth",
            P::None,
        ),
    ];
    let mut t = utc(27, 1, 5);
    for i in 0..30 {
        let (src, name, par) = acts[i % acts.len()];
        let (params, _) = params(par, rng, 27);
        sink.push(ct(t, &who, src, name, VPN_EGRESS, &ua).params(params));
        t += rng.range(60, 110);
    }
}
