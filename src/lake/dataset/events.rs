//! Builders for the three log sources of the sample lake, in the shapes the real products
//! write: AWS CloudTrail records, Okta System Log events, and a VPN gateway's session log.
//!
//! Okta's risk fields (`debugContext.debugData.behaviors`: new country, new device, velocity…)
//! are not chosen by hand: [`Sink::finish`] replays every sign-in in time order and computes
//! them from each person's history, the way Okta does, so the alerts built on them are
//! consistent with the data.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::rng::{Rng, aws_id};
use super::world::{ACCOUNT, Geo, Person, VPN_EGRESS, VPN_GATEWAY, distance_km, geo};

/// Sign-ins faster apart than this (km/h, over more than [`VELOCITY_MIN_KM`]) set Okta's
/// `Velocity` behavior.
const VELOCITY_KMH: f64 = 900.0;
/// Distances below this never count as impossible travel.
const VELOCITY_MIN_KM: f64 = 500.0;

/// RFC 3339 (UTC, seconds) for a time in seconds since the epoch.
pub fn ts(t: i64) -> String {
    jiff::Timestamp::from_second(t).map_or_else(|_| t.to_string(), |x| x.to_string())
}

// ---------------------------------------------------------------------------------------------
// CloudTrail

/// Who made an AWS API call.
#[derive(Clone, Debug)]
pub enum Who {
    /// An IAM user; `key` is the access key (an `AKIA…` CLI key or an `ASIA…` console session).
    User {
        name: String,
        key: String,
    },
    /// A role session.
    Role {
        role: String,
        session: String,
    },
    Root,
    /// GitHub Actions through OIDC (`AssumeRoleWithWebIdentity`).
    Web {
        subject: String,
    },
}

impl Who {
    /// An IAM user with their long-lived CLI access key.
    pub fn cli(user: &str) -> Who {
        Who::User {
            name: user.to_string(),
            key: aws_id("AKIA", user),
        }
    }

    /// An IAM user in a console session (day-scoped temporary key).
    pub fn console(user: &str, day: i64) -> Who {
        Who::User {
            name: user.to_string(),
            key: aws_id("ASIA", &format!("{user}-{day}")),
        }
    }

    pub fn role(role: &str, session: &str) -> Who {
        Who::Role {
            role: role.to_string(),
            session: session.to_string(),
        }
    }

    /// A cache key for [`Who::identity`].
    fn key(&self) -> String {
        match self {
            Who::User { name, key } => format!("u/{name}/{key}"),
            Who::Role { role, session } => format!("r/{role}/{session}"),
            Who::Root => "root".to_string(),
            Who::Web { subject } => format!("w/{subject}"),
        }
    }

    fn identity(&self) -> Value {
        match self {
            Who::User { name, key } => json!({
                "type": "IAMUser",
                "principalId": aws_id("AIDA", name),
                "arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
                "accountId": ACCOUNT,
                "accessKeyId": key,
                "userName": name,
            }),
            Who::Role { role, session } => {
                let role_id = aws_id("AROA", role);
                json!({
                    "type": "AssumedRole",
                    "principalId": format!("{role_id}:{session}"),
                    "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
                    "accountId": ACCOUNT,
                    "accessKeyId": aws_id("ASIA", &format!("{role}-{session}")),
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": role_id,
                            "arn": format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
                            "accountId": ACCOUNT,
                            "userName": role,
                        }
                    }
                })
            }
            Who::Root => json!({
                "type": "Root",
                "principalId": ACCOUNT,
                "arn": format!("arn:aws:iam::{ACCOUNT}:root"),
                "accountId": ACCOUNT,
            }),
            Who::Web { subject } => json!({
                "type": "WebIdentityUser",
                "principalId": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:{subject}"),
                "userName": subject,
                "identityProvider": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"),
            }),
        }
    }
}

/// One CloudTrail record under construction.
pub struct Ct {
    t: i64,
    who: Who,
    source: String,
    name: String,
    region: String,
    ip: String,
    ua: String,
    params: Value,
    response: Value,
    error: Option<(String, String)>,
    extra: Option<Value>,
    data_event: bool,
}

/// API names that only read.
fn read_only(name: &str) -> bool {
    [
        "Get",
        "List",
        "Describe",
        "Lookup",
        "Head",
        "BatchGet",
        "Search",
        "Filter",
        "AssumeRole",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

pub fn ct(t: i64, who: &Who, source: &str, name: &str, ip: &str, ua: &str) -> Ct {
    Ct {
        t,
        who: who.clone(),
        source: source.to_string(),
        name: name.to_string(),
        region: "us-east-1".to_string(),
        ip: ip.to_string(),
        ua: ua.to_string(),
        params: Value::Null,
        response: Value::Null,
        error: None,
        extra: None,
        data_event: source == "s3.amazonaws.com"
            && [
                "GetObject",
                "PutObject",
                "ListObjects",
                "DeleteObject",
                "HeadObject",
            ]
            .contains(&name),
    }
}

impl Ct {
    pub fn params(mut self, v: Value) -> Ct {
        self.params = v;
        self
    }

    pub fn response(mut self, v: Value) -> Ct {
        self.response = v;
        self
    }

    pub fn region(mut self, r: &str) -> Ct {
        self.region = r.to_string();
        self
    }

    pub fn error(mut self, code: &str, message: &str) -> Ct {
        self.error = Some((code.to_string(), message.to_string()));
        self
    }

    pub fn extra(mut self, v: Value) -> Ct {
        self.extra = Some(v);
        self
    }

    fn into_value(self, rng: &mut Rng, identities: &mut HashMap<String, Value>) -> Value {
        let mut m = Map::new();
        m.insert("timestamp".into(), json!(ts(self.t)));
        m.insert("eventVersion".into(), json!("1.09"));
        let key = self.who.key();
        let identity = match identities.get(&key) {
            Some(v) => v.clone(),
            None => {
                let v = self.who.identity();
                identities.insert(key, v.clone());
                v
            }
        };
        m.insert("userIdentity".into(), identity);
        m.insert("eventSource".into(), json!(self.source));
        m.insert("eventName".into(), json!(self.name));
        m.insert("awsRegion".into(), json!(self.region));
        m.insert("sourceIPAddress".into(), json!(self.ip));
        m.insert("userAgent".into(), json!(self.ua));
        if let Some((code, message)) = &self.error {
            m.insert("errorCode".into(), json!(code));
            m.insert("errorMessage".into(), json!(message));
        }
        m.insert("requestParameters".into(), self.params);
        m.insert(
            "responseElements".into(),
            if self.error.is_some() {
                Value::Null
            } else {
                self.response
            },
        );
        if let Some(x) = self.extra {
            m.insert("additionalEventData".into(), x);
        }
        m.insert("eventID".into(), json!(rng.uuid()));
        let console = self.name == "ConsoleLogin";
        m.insert("readOnly".into(), json!(!console && read_only(&self.name)));
        m.insert(
            "eventType".into(),
            json!(if console {
                "AwsConsoleSignIn"
            } else {
                "AwsApiCall"
            }),
        );
        m.insert("managementEvent".into(), json!(!self.data_event));
        m.insert("recipientAccountId".into(), json!(ACCOUNT));
        m.insert(
            "eventCategory".into(),
            json!(if self.data_event {
                "Data"
            } else {
                "Management"
            }),
        );
        Value::Object(m)
    }
}

// ---------------------------------------------------------------------------------------------
// Okta

/// Who acted, as Okta names them.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: String,
    pub alternate_id: String,
    pub display_name: String,
    pub kind: &'static str,
    /// The person's user name, for risk history.
    pub user: Option<String>,
}

impl Actor {
    pub fn person(p: &Person) -> Actor {
        Actor {
            id: p.okta_id(),
            alternate_id: p.email(),
            display_name: p.name.to_string(),
            kind: "User",
            user: Some(p.user.to_string()),
        }
    }

    pub fn okta_system() -> Actor {
        Actor {
            id: "0oa1systemokta000000".into(),
            alternate_id: "system@okta.com".into(),
            display_name: "Okta System".into(),
            kind: "SystemPrincipal",
            user: None,
        }
    }

    fn value(&self) -> Value {
        json!({
            "id": self.id,
            "type": self.kind,
            "alternateId": self.alternate_id,
            "displayName": self.display_name,
        })
    }
}

/// The browser or program that talked to Okta.
#[derive(Clone, Debug)]
pub struct Client {
    pub ua: String,
    pub os: String,
    pub browser: String,
    pub device: &'static str,
    pub fingerprint: String,
}

impl Client {
    /// A person's corporate laptop.
    pub fn laptop(p: &Person) -> Client {
        Client {
            ua: p.browser_ua().to_string(),
            os: p.os_name().to_string(),
            browser: p.browser_name().to_string(),
            device: "Computer",
            fingerprint: p.fingerprint(),
        }
    }
}

/// One Okta System Log event under construction.
pub struct Okta {
    pub t: i64,
    pub event_type: &'static str,
    pub display: &'static str,
    pub actor: Actor,
    pub ip: String,
    pub client: Client,
    pub result: &'static str,
    pub reason: Option<&'static str>,
    pub targets: Vec<Value>,
    pub factor: Option<&'static str>,
    pub severity: &'static str,
    pub session: String,
}

impl Okta {
    /// A successful event by a person on their laptop.
    pub fn new(
        t: i64,
        event_type: &'static str,
        display: &'static str,
        p: &Person,
        ip: &str,
        session: &str,
    ) -> Okta {
        Okta {
            t,
            event_type,
            display,
            actor: Actor::person(p),
            ip: ip.to_string(),
            client: Client::laptop(p),
            result: "SUCCESS",
            reason: None,
            targets: Vec::new(),
            factor: None,
            severity: "INFO",
            session: session.to_string(),
        }
    }

    pub fn failure(mut self, result: &'static str, reason: &'static str) -> Okta {
        self.result = result;
        self.reason = Some(reason);
        self.severity = "WARN";
        self
    }

    pub fn client(mut self, c: &Client) -> Okta {
        self.client = c.clone();
        self
    }

    pub fn factor(mut self, f: &'static str) -> Okta {
        self.factor = Some(f);
        self
    }

    pub fn target(mut self, v: Value) -> Okta {
        self.targets.push(v);
        self
    }

    pub fn actor(mut self, a: Actor) -> Okta {
        self.actor = a;
        self
    }

    fn into_value(self, rng: &mut Rng, risk: Option<(String, String)>) -> Value {
        let g: Geo = geo(&self.ip);
        let mut debug = Map::new();
        debug.insert("deviceFingerprint".into(), json!(self.client.fingerprint));
        debug.insert(
            "requestUri".into(),
            json!(match self.event_type {
                "user.session.start" => "/api/v1/authn",
                "user.authentication.auth_via_mfa" | "system.push.send_factor_verify_push" =>
                    "/api/v1/authn/factors/verify",
                "user.authentication.sso" => "/app/sso/saml",
                _ => "/api/v1/users",
            }),
        );
        if let Some(f) = self.factor {
            debug.insert("factor".into(), json!(f));
        }
        if let Some((behaviors, risk)) = risk {
            debug.insert("behaviors".into(), json!(behaviors));
            debug.insert("risk".into(), json!(risk));
        }
        let mut outcome = Map::new();
        outcome.insert("result".into(), json!(self.result));
        if let Some(r) = self.reason {
            outcome.insert("reason".into(), json!(r));
        }
        json!({
            "timestamp": ts(self.t),
            "uuid": rng.uuid(),
            "eventType": self.event_type,
            "displayMessage": self.display,
            "severity": self.severity,
            "actor": self.actor.value(),
            "client": {
                "ipAddress": self.ip,
                "device": self.client.device,
                "userAgent": {
                    "rawUserAgent": self.client.ua,
                    "os": self.client.os,
                    "browser": self.client.browser,
                },
                "geographicalContext": {
                    "city": g.city.city,
                    "state": g.city.state,
                    "country": g.city.country,
                    "geolocation": {"lat": g.city.lat, "lon": g.city.lon},
                },
            },
            "outcome": Value::Object(outcome),
            "target": self.targets,
            "authenticationContext": {
                "authenticationStep": 0,
                "externalSessionId": self.session,
            },
            "securityContext": {
                "asNumber": g.as_number,
                "asOrg": g.as_org,
                "isp": g.isp,
                "isProxy": g.proxy,
            },
            "debugContext": {"debugData": Value::Object(debug)},
        })
    }
}

/// An Okta app as a `target` entry.
pub fn app_target(app: &str) -> Value {
    json!({
        "id": format!("0oa{}", &aws_id("", app)[..17].to_ascii_lowercase()),
        "type": "AppInstance",
        "alternateId": app,
        "displayName": app,
    })
}

/// A user as a `target` entry.
pub fn user_target(p: &Person) -> Value {
    json!({
        "id": p.okta_id(),
        "type": "User",
        "alternateId": p.email(),
        "displayName": p.name,
    })
}

// ---------------------------------------------------------------------------------------------
// VPN

/// The VPN client a session came from.
pub struct VpnClient<'a> {
    pub hostname: &'a str,
    pub os: &'a str,
    pub version: &'a str,
}

/// A VPN session: connect now, disconnect at `end`.
pub fn vpn_session(
    sink: &mut Sink,
    rng: &mut Rng,
    p: &Person,
    start: i64,
    end: i64,
    ip: &str,
    client: &VpnClient<'_>,
) {
    let g = geo(ip);
    let session = rng.hex(16);
    let assigned = format!("10.8.{}.{}", rng.range(0, 16), rng.range(2, 250));
    let base = |t: i64, kind: &str| {
        let mut v = json!({
            "timestamp": ts(t),
            "event_type": kind,
            "user": p.user,
            "user_email": p.email(),
            "src_ip": ip,
            "src_country": g.city.country,
            "src_city": g.city.city,
            "gateway": VPN_GATEWAY,
            "egress_ip": VPN_EGRESS,
            "assigned_ip": assigned,
            "session_id": session,
            "auth_method": "okta-saml",
            "client": {"hostname": client.hostname, "os": client.os, "version": client.version},
        });
        if kind == "disconnect"
            && let Some(m) = v.as_object_mut()
        {
            m.insert("duration_s".into(), json!(end - start));
            m.insert("reason".into(), json!("user-initiated"));
        }
        v
    };
    sink.vpn.push((start, base(start, "connect")));
    let mut off = base(end, "disconnect");
    if let Some(m) = off.as_object_mut() {
        m.insert("bytes_in".into(), json!(rng.range(20_000_000, 900_000_000)));
        m.insert("bytes_out".into(), json!(rng.range(5_000_000, 120_000_000)));
    }
    sink.vpn.push((end, off));
}

// ---------------------------------------------------------------------------------------------
// The sink

/// Everything generated so far, per source.
#[derive(Default)]
pub struct Sink {
    pub cloudtrail: Vec<(i64, Value)>,
    pub okta: Vec<Okta>,
    pub vpn: Vec<(i64, Value)>,
    rng: Option<Rng>,
    /// `userIdentity` objects already built (most events repeat a few principals).
    identities: HashMap<String, Value>,
}

/// Events with their time (seconds since the epoch), in time order.
pub type Timed = Vec<(i64, Value)>;

/// The finished sources.
pub struct Finished {
    pub cloudtrail: Timed,
    pub okta: Timed,
    pub vpn: Timed,
}

/// What Okta remembers about a person's sign-ins.
#[derive(Default)]
struct History {
    countries: HashSet<String>,
    states: HashSet<String>,
    cities: HashSet<String>,
    devices: HashSet<String>,
    ips: HashSet<String>,
    last: Option<(i64, &'static super::world::City)>,
}

impl Sink {
    pub fn new(seed: u64) -> Sink {
        Sink {
            rng: Some(Rng::derive(seed, &[0xC7])),
            ..Sink::default()
        }
    }

    fn ids(&mut self) -> &mut Rng {
        self.rng.get_or_insert_with(|| Rng::new(0xC7))
    }

    pub fn push(&mut self, c: Ct) {
        let t = c.t;
        let mut rng = self.ids().clone();
        let v = c.into_value(&mut rng, &mut self.identities);
        self.rng = Some(rng);
        self.cloudtrail.push((t, v));
    }

    pub fn okta(&mut self, e: Okta) {
        self.okta.push(e);
    }

    /// The events of each source in time order, with Okta's risk behaviors computed from each
    /// person's history (seeded with where they normally are).
    pub fn finish(mut self, people: &[Person]) -> Finished {
        let mut rng = self.ids().clone();
        let mut okta = std::mem::take(&mut self.okta);
        okta.sort_by_key(|e| e.t);
        let mut hist: HashMap<String, History> = HashMap::new();
        for p in people {
            let h = hist.entry(p.user.to_string()).or_default();
            let mut usual = vec![p.home_ip];
            usual.extend(p.office_ip);
            if p.vpn {
                usual.push(VPN_EGRESS);
            }
            for ip in usual {
                let g = geo(ip);
                h.countries.insert(g.city.country.to_string());
                h.states.insert(g.city.state.to_string());
                h.cities.insert(g.city.city.to_string());
                h.ips.insert(ip.to_string());
            }
            h.devices.insert(p.fingerprint());
        }
        let mut out = Vec::with_capacity(okta.len());
        for e in okta {
            let risk = match (&e.actor.user, e.event_type) {
                (Some(user), "user.session.start") => {
                    let h = hist.entry(user.clone()).or_default();
                    let g = geo(&e.ip);
                    let new_country = !h.countries.contains(g.city.country);
                    let new_state = !h.states.contains(g.city.state);
                    let new_city = !h.cities.contains(g.city.city);
                    let new_device = !h.devices.contains(&e.client.fingerprint);
                    let new_ip = !h.ips.contains(&e.ip);
                    let velocity = h.last.is_some_and(|(t0, c0)| {
                        let km = distance_km(c0, g.city);
                        let hours = ((e.t - t0) as f64 / 3600.0).max(0.01);
                        km > VELOCITY_MIN_KM && km / hours > VELOCITY_KMH
                    });
                    if e.result == "SUCCESS" {
                        h.countries.insert(g.city.country.to_string());
                        h.states.insert(g.city.state.to_string());
                        h.cities.insert(g.city.city.to_string());
                        h.devices.insert(e.client.fingerprint.clone());
                        h.ips.insert(e.ip.clone());
                        h.last = Some((e.t, g.city));
                    }
                    let pn = |b: bool| if b { "POSITIVE" } else { "NEGATIVE" };
                    let behaviors = format!(
                        "{{New Geo-Location={}, New Device={}, New IP={}, New State={}, New Country={}, Velocity={}, New City={}}}",
                        pn(new_city || new_country),
                        pn(new_device),
                        pn(new_ip),
                        pn(new_state),
                        pn(new_country),
                        pn(velocity),
                        pn(new_city)
                    );
                    let mut reasons = Vec::new();
                    if new_device {
                        reasons.push("Anomalous Device");
                    }
                    if new_country || new_city {
                        reasons.push("Anomalous Location");
                    }
                    if velocity {
                        reasons.push("Impossible Travel");
                    }
                    let level = if new_device && (new_country || velocity) {
                        "HIGH"
                    } else if new_device || new_country || velocity {
                        "MEDIUM"
                    } else {
                        "LOW"
                    };
                    let risk = if reasons.is_empty() {
                        format!("{{level={level}}}")
                    } else {
                        format!("{{reasons={}, level={level}}}", reasons.join(", "))
                    };
                    Some((behaviors, risk))
                }
                _ => None,
            };
            let t = e.t;
            out.push((t, e.into_value(&mut rng, risk)));
        }
        self.cloudtrail.sort_by_key(|x| x.0);
        self.vpn.sort_by_key(|x| x.0);
        Finished {
            cloudtrail: self.cloudtrail,
            okta: out,
            vpn: self.vpn,
        }
    }
}
