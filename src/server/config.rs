//! Configuration from environment variables, each with a documented default (see `.env.example`).
//!
//! Read by hand rather than with a deserialising crate: every variable needs its own parser and a
//! start-up error that names it, and secrets must go straight into `secrecy` types.

use std::{net::SocketAddr, time::Duration};

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use url::Url;

use crate::server::audit::AuditKey;

#[derive(Debug, thiserror::Error)]
#[error("configuration {name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

/// Where upstream calls go: the built-in simulator, or P100 itself.
#[derive(Debug, Clone)]
pub enum P100Mode {
    Sandbox,
    Live { base_url: Url, api_key: SecretString },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind_addr: SocketAddr,
    /// The address staff use; decides whether the session cookie is `Secure`.
    pub public_url: Url,
    /// Proxies in front of the app (`TRUSTED_PROXIES`): only from them is `X-Forwarded-For`
    /// believed, so lockouts, rate limits and audit rows see the real client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `sqlite:...` or `postgres://...`; secret, as a PostgreSQL URL may hold a password.
    pub database_url: SecretString,
    pub p100: P100Mode,
    /// The sandbox runs in a production build (`LEPTOS_ENV=PROD`) without `P100_MODE=sandbox`
    /// saying so: perhaps the P100 variables went missing. The log and every page warn.
    pub sandbox_unchosen: bool,
    /// The token P100 puts in every webhook's `Authorization` header.
    pub webhook_secret: Option<SecretString>,
    /// The longest a P100 call may take, answer included.
    pub p100_timeout: Duration,
    /// A send to P100 with no answer recorded this long after it started was cut off (the server
    /// stopped mid-call): it becomes `unknown`. Always longer than a call can take.
    pub send_grace: Duration,
    /// The sandbox also makes demo money at its first start (`SANDBOX_DEMO_DATA=on`: `make run`).
    pub demo_data: bool,
    /// The key the built-in sandbox expects (random at each start unless set).
    pub sandbox_api_key: SecretString,
    /// Keys the audit chain (`AUDIT_KEY`; the published sandbox key in the sandbox without one).
    pub audit_key: crate::server::audit::AuditKey,
    /// Signs and encrypts the session cookie; at least 64 bytes.
    pub session_key: SecretSlice<u8>,
    pub session_idle_timeout: Duration,
    pub session_max_age: Duration,
    /// A second-factor code older than this is asked for again before a sensitive action (step-up).
    pub step_up_window: Duration,
    /// How long a four-eyes request waits for a decision before it expires.
    pub approval_ttl: Duration,
    /// Movements to one destination within this window count together against the threshold.
    pub approval_window: Duration,
    /// A movement still unknown this long after it was sent waits for a person to decide.
    pub unknown_deadline: Duration,
    /// How long received webhook events are kept before the worker prunes them.
    pub webhook_retention: Duration,
    pub log_level: String,
    pub log_format: LogFormat,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `lookup`, so tests can configure an app without touching the
    /// process environment. Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let invalid = |name: &'static str, message: String| ConfigError { name, message };

        let bind_addr = match get("BIND_ADDR") {
            Some(v) => v
                .parse()
                .map_err(|e| invalid("BIND_ADDR", format!("{e} (expected host:port)")))?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let public_url = match get("PUBLIC_URL") {
            Some(v) => parse_url("PUBLIC_URL", &v)?,
            None => Url::parse(&format!("http://{bind_addr}")).expect("a socket address makes a URL"),
        };
        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    item.parse::<ipnet::IpNet>()
                        .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| invalid("TRUSTED_PROXIES", format!("{item:?} is neither an address nor a CIDR")))
                })
                .collect::<Result<_, _>>()?,
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/backoffice.db".to_owned());
        if crate::server::db::Backend::of_url(&database_url).is_none() {
            return Err(invalid("DATABASE_URL", "must start with sqlite: or postgres:".into()));
        }

        let p100 = match (get("P100_BASE_URL"), get("P100_API_KEY")) {
            (None, None) => P100Mode::Sandbox,
            (Some(url), Some(key)) => P100Mode::Live {
                base_url: parse_url("P100_BASE_URL", &url)?,
                api_key: SecretString::from(key),
            },
            (Some(_), None) => {
                return Err(invalid(
                    "P100_API_KEY",
                    "must be set with P100_BASE_URL (leave both unset for the sandbox)".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "P100_BASE_URL",
                    "must be set with P100_API_KEY (leave both unset for the sandbox)".into(),
                ));
            }
        };
        let sandbox = matches!(p100, P100Mode::Sandbox);
        let sandbox_chosen = match get("P100_MODE").as_deref() {
            None => false,
            Some("sandbox") if sandbox => true,
            Some("sandbox") => {
                return Err(invalid(
                    "P100_MODE",
                    "is sandbox, but P100_BASE_URL and P100_API_KEY are set: choose one".into(),
                ));
            }
            Some(other) => {
                return Err(invalid(
                    "P100_MODE",
                    format!("is {other:?}: the only value is sandbox (the P100 variables choose live)"),
                ));
            }
        };
        let production = get("LEPTOS_ENV").is_some_and(|e| e.eq_ignore_ascii_case("prod"));
        // Staff sign in and approve money here: outside the sandbox the app is reached over TLS
        // (cookies `Secure`, HSTS). A test behind loopback may say otherwise, out loud.
        if !sandbox && public_url.scheme() != "https" && get("ALLOW_INSECURE_HTTP").as_deref() != Some("1") {
            return Err(invalid(
                "PUBLIC_URL",
                format!(
                    "is {public_url}: outside the sandbox it must be https:// (ALLOW_INSECURE_HTTP=1 allows http for a local test)"
                ),
            ));
        }

        let session_key = match get("SESSION_KEY") {
            Some(v) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(v.as_bytes())
                    .map_err(|_| invalid("SESSION_KEY", "is not valid base64".into()))?;
                if bytes.len() < 64 {
                    return Err(invalid(
                        "SESSION_KEY",
                        format!("decodes to {} bytes; at least 64 are needed", bytes.len()),
                    ));
                }
                SecretSlice::from(bytes)
            }
            // A random key per start is fine for a local sandbox: sessions simply end on restart.
            None if sandbox => SecretSlice::from(rand::random::<[u8; 64]>().to_vec()),
            None => {
                return Err(invalid(
                    "SESSION_KEY",
                    "is required outside sandbox mode (64+ random bytes, base64)".into(),
                ));
            }
        };

        let audit_key = match get("AUDIT_KEY") {
            Some(v) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(v.as_bytes())
                    .map_err(|_| invalid("AUDIT_KEY", "is not valid base64".into()))?;
                if bytes.len() < 32 || AuditKey::is_published(&bytes) {
                    return Err(invalid(
                        "AUDIT_KEY",
                        "must be 32+ random bytes of its own (base64), not the sandbox's".into(),
                    ));
                }
                AuditKey::secret(bytes)
            }
            None if sandbox => AuditKey::sandbox(),
            None => {
                return Err(invalid(
                    "AUDIT_KEY",
                    "is required outside sandbox mode (32+ random bytes, base64; keep a copy away from the database: audit verify needs it)".into(),
                ));
            }
        };

        let webhook_secret = match get("P100_WEBHOOK_SECRET") {
            Some(secret) => Some(SecretString::from(secret)),
            // The sandbox sends its webhooks with a token made up at each start.
            None if sandbox => Some(SecretString::from(hex::encode(rand::random::<[u8; 32]>()))),
            None => {
                return Err(invalid(
                    "P100_WEBHOOK_SECRET",
                    "is required with P100_API_KEY (the webhook security token)".into(),
                ));
            }
        };

        let log_level = get("LOG_LEVEL").unwrap_or_else(|| "info".to_owned());
        tracing_subscriber::EnvFilter::try_new(&log_level).map_err(|e| invalid("LOG_LEVEL", e.to_string()))?;
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid("LOG_FORMAT", format!("{other:?} is neither text nor json")));
            }
        };

        let p100_timeout = parse_duration(&get, "P100_TIMEOUT", "20s")?;
        let send_grace = send_grace(&get, p100_timeout)?;
        let demo_data = match get("SANDBOX_DEMO_DATA").as_deref() {
            None | Some("off") => false,
            Some("on") if sandbox => true,
            Some("on") => {
                return Err(invalid("SANDBOX_DEMO_DATA", "is for the sandbox only".into()));
            }
            Some(other) => {
                return Err(invalid("SANDBOX_DEMO_DATA", format!("{other:?} is neither on nor off")));
            }
        };

        Ok(Config {
            bind_addr,
            public_url,
            trusted_proxies,
            database_url: SecretString::from(database_url),
            p100,
            sandbox_unchosen: sandbox && production && !sandbox_chosen,
            webhook_secret,
            p100_timeout,
            send_grace,
            demo_data,
            sandbox_api_key: SecretString::from(
                get("SANDBOX_API_KEY").unwrap_or_else(|| hex::encode(rand::random::<[u8; 24]>())),
            ),
            audit_key,
            session_key,
            session_idle_timeout: parse_duration(&get, "SESSION_IDLE_TIMEOUT", "30m")?,
            session_max_age: parse_duration(&get, "SESSION_MAX_AGE", "12h")?,
            step_up_window: parse_duration(&get, "STEP_UP_WINDOW", "5m")?,
            approval_ttl: parse_duration(&get, "APPROVAL_TTL", "24h")?,
            unknown_deadline: parse_duration(&get, "UNKNOWN_DEADLINE", "24h")?,
            webhook_retention: parse_duration(&get, "WEBHOOK_RETENTION", "400d")?,
            approval_window: parse_duration(&get, "APPROVAL_WINDOW", "24h")?,
            log_level,
            log_format,
        })
    }

    pub fn sandbox(&self) -> bool {
        matches!(self.p100, P100Mode::Sandbox)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    pub fn session_cookie_key(&self) -> tower_sessions::cookie::Key {
        tower_sessions::cookie::Key::from(self.session_key.expose_secret())
    }
}

fn parse_url(name: &'static str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|e| ConfigError {
        name,
        message: format!("{e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError {
            name,
            message: "must start with http:// or https://".into(),
        });
    }
    Ok(url)
}

/// `SEND_GRACE`, by default three times `P100_TIMEOUT` and at least two minutes. A grace no longer
/// than a call can take (its timeout plus the connect timeout) would sweep a send still waiting for
/// P100's answer as cut off, so it is refused.
fn send_grace(get: &impl Fn(&str) -> Option<String>, p100_timeout: Duration) -> Result<Duration, ConfigError> {
    let longest_call = p100_timeout + crate::p100::Settings::default().connect_timeout;
    if get("SEND_GRACE").is_none() {
        return Ok((p100_timeout * 3).max(Duration::from_secs(120)));
    }
    let grace = parse_duration(get, "SEND_GRACE", "")?;
    if grace <= longest_call {
        return Err(ConfigError {
            name: "SEND_GRACE",
            message: format!(
                "({}) must be longer than P100_TIMEOUT ({}) plus the {} connect timeout: a send still waiting \
                 for P100 would be taken for one cut off",
                humantime::format_duration(grace),
                humantime::format_duration(p100_timeout),
                humantime::format_duration(crate::p100::Settings::default().connect_timeout),
            ),
        });
    }
    Ok(grace)
}

fn parse_duration(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<Duration, ConfigError> {
    let text = get(name).unwrap_or_else(|| default.to_owned());
    match humantime::parse_duration(&text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(ConfigError {
            name,
            message: "must be longer than zero".into(),
        }),
        Err(e) => Err(ConfigError {
            name,
            message: format!("{e} (examples: 30m, 12h, 90s)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_sandbox() {
        let c = config(&[]).unwrap();
        assert!(c.sandbox());
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url.expose_secret(), "sqlite://data/backoffice.db");
        assert_eq!(c.session_idle_timeout, Duration::from_secs(30 * 60));
        assert_eq!(c.session_max_age, Duration::from_secs(12 * 3600));
        assert!(!c.secure_cookies());
    }

    #[test]
    fn the_send_grace_is_always_longer_than_a_call() {
        assert_eq!(config(&[]).unwrap().send_grace, Duration::from_secs(120));
        let slow = config(&[("P100_TIMEOUT", "90s")]).unwrap();
        assert_eq!(slow.send_grace, Duration::from_secs(270));
        let err = config(&[("P100_TIMEOUT", "60s"), ("SEND_GRACE", "60s")]).unwrap_err();
        assert_eq!(err.name, "SEND_GRACE");
        assert!(err.message.contains("P100_TIMEOUT (1m)"), "{}", err.message);
        assert_eq!(
            config(&[("SEND_GRACE", "26s")]).unwrap().send_grace,
            Duration::from_secs(26)
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (vars, name) in [
            (vec![("BIND_ADDR", "nowhere")], "BIND_ADDR"),
            (vec![("P100_API_KEY", "k")], "P100_BASE_URL"),
            (
                vec![("P100_BASE_URL", "https://partner-api-stage.p100.io")],
                "P100_API_KEY",
            ),
            (vec![("SESSION_KEY", "c2hvcnQ=")], "SESSION_KEY"),
            (vec![("SESSION_IDLE_TIMEOUT", "soon")], "SESSION_IDLE_TIMEOUT"),
            (vec![("LOG_FORMAT", "xml")], "LOG_FORMAT"),
            (vec![("PUBLIC_URL", "ftp://x")], "PUBLIC_URL"),
            (vec![("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
        ] {
            let err = config(&vars).unwrap_err();
            assert_eq!(err.name, name);
        }
    }

    #[test]
    fn live_mode_needs_a_session_key_and_never_prints_secrets() {
        let live = [
            ("P100_BASE_URL", "https://partner-api-stage.p100.io"),
            ("P100_API_KEY", "sk-very-secret"),
            ("P100_WEBHOOK_SECRET", "wh-very-secret"),
        ];
        assert_eq!(
            config(&live).unwrap_err().name,
            "PUBLIC_URL",
            "http by default: refused"
        );
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        let mut vars = live.to_vec();
        vars.push(("PUBLIC_URL", "http://backoffice.example.com"));
        assert_eq!(config(&vars).unwrap_err().name, "PUBLIC_URL");
        vars.push(("ALLOW_INSECURE_HTTP", "1"));
        assert_eq!(config(&vars).unwrap_err().name, "SESSION_KEY");
        vars.pop();
        vars.pop();
        vars.push(("SESSION_KEY", &key));
        vars.push(("PUBLIC_URL", "https://backoffice.example.com"));
        assert_eq!(config(&vars).unwrap_err().name, "AUDIT_KEY");
        let audit_key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        vars.push(("AUDIT_KEY", &audit_key));
        let c = config(&vars).unwrap();
        assert!(!c.sandbox() && c.secure_cookies());
        let printed = format!("{c:?}");
        assert!(!printed.contains("sk-very-secret") && !printed.contains(&key) && !printed.contains("wh-very-secret"));
        assert!(printed.contains("AuditKey(..)") && !printed.contains("[9, 9"));
    }
}
