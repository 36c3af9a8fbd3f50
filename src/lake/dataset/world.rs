//! The fictional company behind the sample lake: Larkspur Analytics, its people, offices,
//! networks and AWS account. Everything here is static data; the activity is generated from it.
//!
//! Addresses come from the documentation ranges (RFC 5737: 192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24) and the AWS account is AWS's documentation account, so nothing in the lake
//! points at a real network or company.

/// The AWS account every CloudTrail event belongs to.
pub const ACCOUNT: &str = "111122223333";
/// The company's email domain.
pub const DOMAIN: &str = "larkspur.example";
/// Seconds since the epoch of day 0 (2026-10-21T00:00:00Z, a Wednesday).
pub const START: i64 = 1_792_540_800;
/// Days of data.
pub const DAYS: i64 = 30;
pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;
pub const MINUTE: i64 = 60;

/// The San Francisco office's NAT address.
pub const OFFICE_SF: &str = "203.0.113.10";
/// The London office's NAT address.
pub const OFFICE_LONDON: &str = "203.0.113.40";
/// The corporate VPN's egress (a full-tunnel gateway in us-east-1, geolocated to Ashburn).
pub const VPN_EGRESS: &str = "203.0.113.80";
/// The VPN gateway's name.
pub const VPN_GATEWAY: &str = "vpn-use1.larkspur.example";
/// The backup host inside the VPC.
pub const BACKUP_HOST: &str = "10.20.4.15";
/// The ETL host inside the VPC.
pub const ETL_HOST: &str = "10.20.8.31";

pub fn day_start(day: i64) -> i64 {
    START + day * DAY
}

/// 0 = Monday … 6 = Sunday.
pub fn weekday(day: i64) -> i64 {
    (2 + day).rem_euclid(7)
}

pub fn is_weekend(day: i64) -> bool {
    weekday(day) >= 5
}

/// A UTC time from a day and a local time of day in a timezone.
pub fn local(day: i64, tz_min: i32, hour: i64, minute: i64) -> i64 {
    day_start(day) + hour * HOUR + minute * MINUTE - tz_min as i64 * MINUTE
}

/// A UTC time of a day.
pub fn utc(day: i64, hour: i64, minute: i64) -> i64 {
    day_start(day) + hour * HOUR + minute * MINUTE
}

pub struct City {
    pub key: &'static str,
    pub city: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub lat: f64,
    pub lon: f64,
}

#[rustfmt::skip]
pub const CITIES: &[City] = &[
    City { key: "sf", city: "San Francisco", state: "California", country: "United States", lat: 37.7749, lon: -122.4194 },
    City { key: "seattle", city: "Seattle", state: "Washington", country: "United States", lat: 47.6062, lon: -122.3321 },
    City { key: "denver", city: "Denver", state: "Colorado", country: "United States", lat: 39.7392, lon: -104.9903 },
    City { key: "austin", city: "Austin", state: "Texas", country: "United States", lat: 30.2672, lon: -97.7431 },
    City { key: "chicago", city: "Chicago", state: "Illinois", country: "United States", lat: 41.8781, lon: -87.6298 },
    City { key: "newyork", city: "New York", state: "New York", country: "United States", lat: 40.7128, lon: -74.0060 },
    City { key: "boston", city: "Boston", state: "Massachusetts", country: "United States", lat: 42.3601, lon: -71.0589 },
    City { key: "ashburn", city: "Ashburn", state: "Virginia", country: "United States", lat: 39.0438, lon: -77.4874 },
    City { key: "newark", city: "Newark", state: "New Jersey", country: "United States", lat: 40.7357, lon: -74.1724 },
    City { key: "london", city: "London", state: "England", country: "United Kingdom", lat: 51.5074, lon: -0.1278 },
    City { key: "dublin", city: "Dublin", state: "Leinster", country: "Ireland", lat: 53.3498, lon: -6.2603 },
    City { key: "berlin", city: "Berlin", state: "Berlin", country: "Germany", lat: 52.5200, lon: 13.4050 },
    City { key: "madrid", city: "Madrid", state: "Madrid", country: "Spain", lat: 40.4168, lon: -3.7038 },
    City { key: "milan", city: "Milan", state: "Lombardy", country: "Italy", lat: 45.4642, lon: 9.1900 },
    City { key: "lisbon", city: "Lisbon", state: "Lisbon", country: "Portugal", lat: 38.7223, lon: -9.1393 },
    City { key: "amsterdam", city: "Amsterdam", state: "North Holland", country: "Netherlands", lat: 52.3676, lon: 4.9041 },
    City { key: "toronto", city: "Toronto", state: "Ontario", country: "Canada", lat: 43.6532, lon: -79.3832 },
    City { key: "bangalore", city: "Bengaluru", state: "Karnataka", country: "India", lat: 12.9716, lon: 77.5946 },
    City { key: "tokyo", city: "Tokyo", state: "Tokyo", country: "Japan", lat: 35.6762, lon: 139.6503 },
];

pub fn city(key: &str) -> &'static City {
    CITIES.iter().find(|c| c.key == key).unwrap_or(&CITIES[0])
}

/// What an address looks like to a geolocation service.
pub struct Net {
    pub ip: &'static str,
    pub city: &'static str,
    pub as_number: u32,
    pub as_org: &'static str,
    pub isp: &'static str,
    pub proxy: bool,
}

/// Addresses other than people's homes.
#[rustfmt::skip]
pub const NETS: &[Net] = &[
    Net { ip: OFFICE_SF, city: "sf", as_number: 64500, as_org: "Example Business Fiber", isp: "Example Business Fiber", proxy: false },
    Net { ip: OFFICE_LONDON, city: "london", as_number: 64501, as_org: "Example Business Broadband UK", isp: "Example Business Broadband UK", proxy: false },
    Net { ip: VPN_EGRESS, city: "ashburn", as_number: 64502, as_org: "Example Cloud Hosting", isp: "Example Cloud Hosting", proxy: false },
    Net { ip: "192.0.2.20", city: "sf", as_number: 64510, as_org: "Example Airport Wireless", isp: "Example Airport Wireless", proxy: false },
    Net { ip: "192.0.2.31", city: "lisbon", as_number: 64511, as_org: "Example Hotels Lisboa", isp: "Example Telecom Portugal", proxy: false },
    Net { ip: "192.0.2.77", city: "newark", as_number: 64512, as_org: "Example Cable Co", isp: "Example Cable Co", proxy: false },
    Net { ip: "192.0.2.90", city: "toronto", as_number: 64513, as_org: "Example Telecom Canada", isp: "Example Telecom Canada", proxy: false },
    Net { ip: "192.0.2.211", city: "amsterdam", as_number: 64514, as_org: "Example VPS Hosting B.V.", isp: "Example VPS Hosting B.V.", proxy: true },
];

/// How a person passes MFA.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// Okta Verify push.
    Push,
    /// A FIDO2/WebAuthn authenticator (phishing-resistant).
    WebAuthn,
    /// A TOTP code.
    Totp,
}

impl Factor {
    pub fn okta_name(self) -> &'static str {
        match self {
            Factor::Push => "OKTA_VERIFY_PUSH",
            Factor::WebAuthn => "FIDO_WEBAUTHN",
            Factor::Totp => "GOOGLE_OTP",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Mac,
    Windows,
    Linux,
}

/// What a person does in AWS on a working day.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Aws {
    None,
    Platform,
    Sre,
    Backend,
    Frontend,
    DataAnalyst,
    DataScientist,
    DataEngineer,
    MlEngineer,
    Finance,
    ItAdmin,
    Security,
    SalesEng,
    Qa,
    Exec,
    Pm,
}

pub struct Person {
    pub user: &'static str,
    pub name: &'static str,
    pub city: &'static str,
    /// UTC offset in minutes (November: standard time everywhere).
    pub tz_min: i32,
    pub home_ip: &'static str,
    pub office_ip: Option<&'static str>,
    /// Office weekdays, bit 0 = Monday.
    pub office_days: u8,
    /// Uses the full-tunnel VPN when not in an office.
    pub vpn: bool,
    pub factor: Factor,
    pub os: Os,
    pub aws: Aws,
    /// Okta apps used on a normal day.
    pub apps: &'static [&'static str],
    /// Local start of a working day, in minutes after midnight.
    pub start_min: i64,
    /// First and last day with routine activity.
    pub active: (i64, i64),
}

const MON_FRI: u8 = 0b1_1111;
const MON_THU: u8 = 0b0_1111;
const TUE_THU: u8 = 0b0_1110;

#[rustfmt::skip]
pub const PEOPLE: &[Person] = &[
    Person { user: "jchen", name: "Jamie Chen", city: "sf", tz_min: -480, home_ip: "198.51.100.11", office_ip: Some(OFFICE_SF), office_days: TUE_THU, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::Platform, apps: &["Slack", "Google Workspace", "GitHub", "PagerDuty", "AWS Console"], start_min: 8 * 60 + 30, active: (0, 29) }, // Platform Engineer
    Person { user: "asmith", name: "Alice Smith", city: "sf", tz_min: -480, home_ip: "198.51.100.12", office_ip: Some(OFFICE_SF), office_days: MON_THU, vpn: false, factor: Factor::WebAuthn, os: Os::Mac, aws: Aws::Pm, apps: &["Slack", "Google Workspace", "Jira", "Figma"], start_min: 8 * 60 + 45, active: (0, 29) }, // Product Manager
    Person { user: "rkowalski", name: "Robert Kowalski", city: "chicago", tz_min: -360, home_ip: "198.51.100.23", office_ip: None, office_days: 0, vpn: false, factor: Factor::Push, os: Os::Windows, aws: Aws::DataAnalyst, apps: &["Slack", "Google Workspace", "Tableau", "AWS Console"], start_min: 8 * 60 + 30, active: (0, 29) }, // Data Analyst
    Person { user: "lnguyen", name: "Linh Nguyen", city: "austin", tz_min: -360, home_ip: "198.51.100.41", office_ip: None, office_days: 0, vpn: false, factor: Factor::Push, os: Os::Mac, aws: Aws::Finance, apps: &["Slack", "Google Workspace", "Workday", "NetSuite"], start_min: 8 * 60, active: (0, 29) }, // Finance Manager
    Person { user: "bwilson", name: "Ben Wilson", city: "denver", tz_min: -420, home_ip: "198.51.100.45", office_ip: None, office_days: 0, vpn: true, factor: Factor::Totp, os: Os::Linux, aws: Aws::Platform, apps: &["Slack", "GitHub", "AWS Console"], start_min: 9 * 60, active: (0, 2) }, // DevOps Contractor (contract ended 2026-10-23)
    Person { user: "kmorales", name: "Karen Morales", city: "sf", tz_min: -480, home_ip: "198.51.100.16", office_ip: Some(OFFICE_SF), office_days: MON_FRI, vpn: false, factor: Factor::WebAuthn, os: Os::Mac, aws: Aws::ItAdmin, apps: &["Slack", "Google Workspace", "Okta Admin Console", "Jamf", "AWS Console"], start_min: 8 * 60, active: (0, 29) }, // IT Administrator
    Person { user: "mrossi", name: "Marco Rossi", city: "milan", tz_min: 60, home_ip: "198.51.100.52", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::Backend, apps: &["Slack", "Google Workspace", "GitHub", "AWS Console"], start_min: 9 * 60, active: (0, 29) }, // Backend Engineer
    Person { user: "aahmed", name: "Amir Ahmed", city: "london", tz_min: 0, home_ip: "198.51.100.33", office_ip: Some(OFFICE_LONDON), office_days: MON_THU, vpn: true, factor: Factor::WebAuthn, os: Os::Linux, aws: Aws::Security, apps: &["Slack", "Google Workspace", "GitHub", "PagerDuty", "AWS Console"], start_min: 9 * 60, active: (0, 29) }, // Security Engineer
    Person { user: "pyoung", name: "Peter Young", city: "newyork", tz_min: -300, home_ip: "198.51.100.70", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::Sre, apps: &["Slack", "Google Workspace", "GitHub", "PagerDuty", "AWS Console"], start_min: 9 * 60, active: (0, 29) }, // Site Reliability Engineer (on call)
    Person { user: "snakamura", name: "Sora Nakamura", city: "tokyo", tz_min: 540, home_ip: "198.51.100.75", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::Sre, apps: &["Slack", "Google Workspace", "GitHub", "PagerDuty", "AWS Console"], start_min: 9 * 60 + 30, active: (0, 29) }, // Site Reliability Engineer (on call)
    Person { user: "ivanova", name: "Irina Ivanova", city: "berlin", tz_min: 60, home_ip: "198.51.100.81", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Linux, aws: Aws::DataScientist, apps: &["Slack", "Google Workspace", "GitHub", "AWS Console"], start_min: 9 * 60, active: (0, 29) }, // Data Scientist
    Person { user: "hmueller", name: "Hanna Müller", city: "berlin", tz_min: 60, home_ip: "198.51.100.82", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::Backend, apps: &["Slack", "Google Workspace", "GitHub", "AWS Console"], start_min: 8 * 60 + 30, active: (0, 29) }, // Backend Engineer
    Person { user: "fkhan", name: "Farah Khan", city: "newyork", tz_min: -300, home_ip: "198.51.100.64", office_ip: None, office_days: 0, vpn: false, factor: Factor::Push, os: Os::Mac, aws: Aws::None, apps: &["Slack", "Google Workspace", "Salesforce", "Gong"], start_min: 8 * 60 + 30, active: (0, 29) }, // Account Executive
    Person { user: "gclark", name: "Grace Clark", city: "sf", tz_min: -480, home_ip: "198.51.100.61", office_ip: Some(OFFICE_SF), office_days: TUE_THU, vpn: false, factor: Factor::Push, os: Os::Mac, aws: Aws::None, apps: &["Slack", "Google Workspace", "HubSpot", "Figma"], start_min: 9 * 60, active: (0, 29) }, // Marketing Manager
    Person { user: "dlee", name: "Daniel Lee", city: "seattle", tz_min: -480, home_ip: "198.51.100.19", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::Frontend, apps: &["Slack", "Google Workspace", "GitHub", "Figma", "AWS Console"], start_min: 9 * 60 + 15, active: (0, 29) }, // Frontend Engineer
    Person { user: "ewright", name: "Emma Wright", city: "newyork", tz_min: -300, home_ip: "198.51.100.66", office_ip: None, office_days: 0, vpn: false, factor: Factor::Push, os: Os::Windows, aws: Aws::None, apps: &["Slack", "Google Workspace", "Workday", "Greenhouse"], start_min: 8 * 60 + 45, active: (0, 29) }, // People Operations Manager
    Person { user: "owhite", name: "Olivia White", city: "boston", tz_min: -300, home_ip: "198.51.100.57", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::None, apps: &["Slack", "Google Workspace", "Zendesk", "Larkspur Admin"], start_min: 8 * 60, active: (0, 29) }, // Support Lead
    Person { user: "tgarcia", name: "Tomás García", city: "madrid", tz_min: 60, home_ip: "198.51.100.91", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Linux, aws: Aws::DataEngineer, apps: &["Slack", "Google Workspace", "GitHub", "AWS Console"], start_min: 9 * 60, active: (0, 29) }, // Data Engineer
    Person { user: "nkumar", name: "Neha Kumar", city: "bangalore", tz_min: 330, home_ip: "198.51.100.95", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Linux, aws: Aws::Backend, apps: &["Slack", "Google Workspace", "GitHub", "AWS Console"], start_min: 10 * 60, active: (0, 29) }, // Backend Engineer
    Person { user: "cbrown", name: "Chris Brown", city: "sf", tz_min: -480, home_ip: "198.51.100.14", office_ip: Some(OFFICE_SF), office_days: MON_THU, vpn: false, factor: Factor::WebAuthn, os: Os::Mac, aws: Aws::Exec, apps: &["Slack", "Google Workspace", "GitHub", "AWS Console"], start_min: 8 * 60, active: (0, 29) }, // CTO
    Person { user: "mjohnson", name: "Mia Johnson", city: "austin", tz_min: -360, home_ip: "198.51.100.42", office_ip: None, office_days: 0, vpn: true, factor: Factor::Push, os: Os::Windows, aws: Aws::Qa, apps: &["Slack", "Google Workspace", "GitHub", "Jira", "AWS Console"], start_min: 8 * 60 + 30, active: (0, 29) }, // QA Engineer
    Person { user: "rpatel", name: "Raj Patel", city: "sf", tz_min: -480, home_ip: "198.51.100.17", office_ip: Some(OFFICE_SF), office_days: TUE_THU, vpn: true, factor: Factor::Push, os: Os::Mac, aws: Aws::MlEngineer, apps: &["Slack", "Google Workspace", "GitHub", "AWS Console"], start_min: 9 * 60 + 30, active: (0, 29) }, // ML Engineer
    Person { user: "sobrien", name: "Sean O'Brien", city: "dublin", tz_min: 0, home_ip: "198.51.100.88", office_ip: None, office_days: 0, vpn: false, factor: Factor::Push, os: Os::Windows, aws: Aws::SalesEng, apps: &["Slack", "Google Workspace", "Salesforce", "AWS Console"], start_min: 9 * 60, active: (0, 29) }, // Sales Engineer
    Person { user: "yzhang", name: "Yan Zhang", city: "sf", tz_min: -480, home_ip: "198.51.100.18", office_ip: Some(OFFICE_SF), office_days: TUE_THU, vpn: false, factor: Factor::Push, os: Os::Mac, aws: Aws::None, apps: &["Slack", "Google Workspace", "Figma", "Jira"], start_min: 9 * 60 + 30, active: (0, 29) }, // Product Designer
    Person { user: "lmartin", name: "Lucas Martin", city: "london", tz_min: 0, home_ip: "198.51.100.35", office_ip: Some(OFFICE_LONDON), office_days: MON_FRI, vpn: false, factor: Factor::Push, os: Os::Windows, aws: Aws::Finance, apps: &["Slack", "Google Workspace", "Workday", "NetSuite"], start_min: 8 * 60 + 30, active: (0, 29) }, // Finance Analyst
    Person { user: "nfoster", name: "Nora Foster", city: "sf", tz_min: -480, home_ip: "198.51.100.13", office_ip: Some(OFFICE_SF), office_days: MON_FRI, vpn: false, factor: Factor::Push, os: Os::Mac, aws: Aws::None, apps: &["Slack", "Google Workspace", "GitHub"], start_min: 9 * 60, active: (27, 29) }, // Platform Engineer (new hire)
];

pub fn person(user: &str) -> &'static Person {
    PEOPLE.iter().find(|p| p.user == user).unwrap_or(&PEOPLE[0])
}

impl Person {
    pub fn email(&self) -> String {
        format!("{}@{DOMAIN}", self.user)
    }

    pub fn okta_id(&self) -> String {
        format!(
            "00u{}",
            &super::rng::aws_id("", self.user)[..17].to_ascii_lowercase()
        )
    }

    /// The corporate laptop's Okta device fingerprint.
    pub fn fingerprint(&self) -> String {
        let f = super::rng::fnv;
        format!(
            "{:016x}{:016x}",
            f(&format!("{}-laptop", self.user)),
            f(&format!("{}-fp", self.user))
        )
    }

    pub fn hostname(&self) -> String {
        let model = match self.os {
            Os::Mac => "MBP",
            Os::Windows => "XPS",
            Os::Linux => "TP",
        };
        format!("LT-{}-{model}", self.user.to_ascii_uppercase())
    }

    pub fn browser_ua(&self) -> &'static str {
        match self.os {
            Os::Mac => {
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
            }
            Os::Windows => {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
            }
            Os::Linux => {
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
            }
        }
    }

    pub fn os_name(&self) -> &'static str {
        match self.os {
            Os::Mac => "Mac OS X",
            Os::Windows => "Windows 10",
            Os::Linux => "Linux",
        }
    }

    pub fn browser_name(&self) -> &'static str {
        match self.os {
            Os::Mac => "CHROME",
            Os::Windows => "EDGE_CHROMIUM",
            Os::Linux => "FIREFOX",
        }
    }

    /// The AWS CLI's user agent on this person's laptop.
    pub fn cli_ua(&self) -> String {
        let os = match self.os {
            Os::Mac => "os/macos#24.1.0 md/arch#arm64",
            Os::Windows => "os/windows#10 md/arch#amd64",
            Os::Linux => "os/linux#6.8.0-48-generic md/arch#x86_64",
        };
        format!(
            "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 {os} lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe"
        )
    }

    /// The geolocation key of where this person lives.
    pub fn home_city(&self) -> &'static City {
        city(self.city)
    }
}

/// Where an address is, as Okta and the VPN see it.
pub struct Geo {
    pub city: &'static City,
    pub as_number: u32,
    pub as_org: &'static str,
    pub isp: &'static str,
    pub proxy: bool,
}

pub fn geo(ip: &str) -> Geo {
    if let Some(n) = NETS.iter().find(|n| n.ip == ip) {
        return Geo {
            city: city(n.city),
            as_number: n.as_number,
            as_org: n.as_org,
            isp: n.isp,
            proxy: n.proxy,
        };
    }
    if let Some(p) = PEOPLE.iter().find(|p| p.home_ip == ip) {
        let isp = match p.home_city().country {
            "United States" => "Example Residential Broadband",
            "United Kingdom" | "Ireland" => "Example Home Broadband Europe",
            "Japan" => "Example Hikari Fiber",
            "India" => "Example Fibernet India",
            _ => "Example Telecom Europe",
        };
        return Geo {
            city: p.home_city(),
            as_number: 64600 + (super::rng::fnv(isp) % 300) as u32,
            as_org: isp,
            isp,
            proxy: false,
        };
    }
    Geo {
        city: city("ashburn"),
        as_number: 64999,
        as_org: "Example Hosting",
        isp: "Example Hosting",
        proxy: false,
    }
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: &City, b: &City) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.lat.to_radians(),
        a.lon.to_radians(),
        b.lat.to_radians(),
        b.lon.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}
