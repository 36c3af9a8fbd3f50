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
use super::profiles::{ECS, INCIDENT, ROLE_HABITS, params, profile};
use super::rng::Rng;
use super::services;
use super::world::{
    ACCOUNT, Aws, DAYS, Factor, HOUR, MINUTE, Os, PEOPLE, Person, VPN_EGRESS, is_weekend, local,
    weekday,
};

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

    pub fn quiet(&self, t: i64) -> bool {
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
        services::backup_night(&mut Rng::derive(seed, &[3, day as u64]), sink, day);
        services::etl_day(&mut Rng::derive(seed, &[4, day as u64]), sink, day);
        services::ci_day(&mut Rng::derive(seed, &[5, day as u64]), sink, day, plan);
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
