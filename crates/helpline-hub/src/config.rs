//! Every option of the hub, declared once with its default, its environment variable and
//! what it does. Sources, later ones winning: defaults, the config file (TOML), the
//! environment.

use crate::error::{HubError, Result};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;

macro_rules! options {
    ($( $(#[doc = $doc:literal])+ $name:ident: $ty:ty = $default:expr, env $env:literal; )*) => {
        #[derive(Debug, Clone, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Config {
            $( $(#[doc = $doc])+ pub $name: $ty, )*
        }

        impl Default for Config {
            fn default() -> Self {
                Self { $( $name: $default, )* }
            }
        }

        impl Config {
            fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
                $(
                    if let Some(value) = var($env) {
                        self.$name = value.parse().map_err(|e| {
                            HubError::Invalid(format!("{}={value:?} is not valid: {e}", $env))
                        })?;
                    }
                )*
                Ok(())
            }

            /// Name, environment variable, default and description of every option.
            pub fn describe() -> Vec<(&'static str, &'static str, String, String)> {
                let defaults = Config::default();
                vec![$(
                    (stringify!($name), $env, format!("{:?}", defaults.$name), concat!($($doc, "\n"),+).lines().map(str::trim).collect::<Vec<_>>().join(" ").trim().to_owned()),
                )*]
            }
        }
    };
}

options! {
    /// Address and port the hub listens on.
    listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 7878)), env "HELPLINE_HUB_LISTEN";
    /// Where the data lives: a SQLite file path, or a `postgres://` URL.
    database: String = "helpline-hub.db".to_owned(), env "HELPLINE_HUB_DATABASE";
    /// How long a login token stays valid, in days.
    token_ttl_days: f64 = 30.0, env "HELPLINE_HUB_TOKEN_TTL_DAYS";
    /// Desktops receive open tickets and those touched within this many days; older
    /// resolved tickets are evicted from their cache.
    ticket_window_days: f64 = 90.0, env "HELPLINE_HUB_TICKET_WINDOW_DAYS";
    /// Largest request body accepted, in bytes.
    max_body_bytes: u64 = 4 * 1024 * 1024, env "HELPLINE_HUB_MAX_BODY_BYTES";
    /// Most mutations one push may carry.
    max_push_mutations: u32 = 1000, env "HELPLINE_HUB_MAX_PUSH_MUTATIONS";
    /// How many change-log versions one pull page covers.
    pull_page_versions: u64 = 20_000, env "HELPLINE_HUB_PULL_PAGE_VERSIONS";
    /// Connections to PostgreSQL per hub process.
    postgres_pool_size: usize = 16, env "HELPLINE_HUB_POSTGRES_POOL_SIZE";
    /// PostgreSQL schema holding the hub's tables (created if missing; lowercase letters,
    /// digits and '_'). Empty: the URL's search_path or the server's default ("public").
    /// Hubs sharing a database must use the same schema.
    postgres_schema: String = String::new(), env "HELPLINE_HUB_POSTGRES_SCHEMA";
    /// Region for phone numbers without a country code in CTI events (ISO 3166 code), so
    /// "030 1234567" reads as +49 30 1234567.
    phone_region: String = "DE".to_owned(), env "HELPLINE_HUB_PHONE_REGION";
    /// Most CTI requests (`POST /v1/cti/{token}`) in progress at once; beyond, the phone
    /// system gets 429 with Retry-After, so a flood cannot crowd out the agents.
    cti_max_concurrent: usize = 64, env "HELPLINE_HUB_CTI_MAX_CONCURRENT";
    /// Key that seals mailbox passwords (32 bytes, base64; `helpline-hub mailbox key` makes
    /// one). Keep it out of the database: in the config file or the environment. Without it
    /// no mailbox can be added.
    mail_key: String = String::new(), env "HELPLINE_HUB_MAIL_KEY";
    /// Whether this hub process fetches the mailboxes and sends mail. With several hub
    /// processes on one PostgreSQL database, exactly one should.
    mail_enabled: bool = true, env "HELPLINE_HUB_MAIL_ENABLED";
    /// Largest file a desktop may upload, in bytes (it goes in chunks within
    /// `max_body_bytes`).
    attachment_max_bytes: u64 = 20 * 1024 * 1024, env "HELPLINE_HUB_ATTACHMENT_MAX_BYTES";
    /// Largest mail taken in, in bytes; a larger one is quarantined with its headers.
    mail_max_bytes: u64 = 25 * 1024 * 1024, env "HELPLINE_HUB_MAIL_MAX_BYTES";
    /// Seconds between looks at a mailbox whose server has no IDLE.
    mail_poll_seconds: u64 = 60, env "HELPLINE_HUB_MAIL_POLL_SECONDS";
    /// Seconds one IDLE lasts before it is renewed (servers end it after 30 minutes).
    mail_idle_seconds: u64 = 25 * 60, env "HELPLINE_HUB_MAIL_IDLE_SECONDS";
    /// For tests only: the hub aborts at this point of the mail path ("after_commit" of a
    /// fetch; "before_send", "after_send", "after_record" of a send). Empty: never.
    mail_fault: String = String::new(), env "HELPLINE_HUB_MAIL_FAULT";
    /// Log filter (tracing's EnvFilter syntax), e.g. "info" or "helpline_hub=debug".
    log_filter: String = "info".to_owned(), env "HELPLINE_HUB_LOG";
    /// "text" for people, "json" for log collectors.
    log_format: String = "text".to_owned(), env "HELPLINE_HUB_LOG_FORMAT";
}

impl Config {
    /// Defaults, then `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| HubError::Invalid(format!("cannot read config file {}: {e}", path.display())))?;
                toml::from_str(&text).map_err(|e| HubError::Invalid(format!("config file {}: {e}", path.display())))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(HubError::Invalid(format!(
                "log_format must be \"text\" or \"json\", not {:?}",
                self.log_format
            )));
        }
        if self.pull_page_versions == 0
            || self.max_push_mutations == 0
            || !positive(self.ticket_window_days)
            || !positive(self.token_ttl_days)
        {
            return Err(HubError::Invalid(
                "pull_page_versions and max_push_mutations must be at least 1, ticket_window_days and token_ttl_days above 0".into(),
            ));
        }
        Ok(())
    }

    pub fn is_postgres(&self) -> bool {
        self.database.starts_with("postgres://") || self.database.starts_with("postgresql://")
    }

    /// The configured PostgreSQL schema, if any.
    pub fn postgres_schema(&self) -> Option<&str> {
        Some(self.postgres_schema.as_str()).filter(|s| !s.is_empty())
    }
}

/// Above zero, and a number (NaN is refused too).
fn positive(x: f64) -> bool {
    x.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_and_defaults() {
        let mut c: Config = toml::from_str("listen = \"127.0.0.1:9000\"\nticket_window_days = 30").expect("valid TOML");
        assert_eq!(c.ticket_window_days, 30.0);
        assert_eq!(c.token_ttl_days, 30.0);
        c.apply_env(|name| (name == "HELPLINE_HUB_LISTEN").then(|| "127.0.0.1:0".to_owned())).expect("valid address");
        assert_eq!(c.listen.port(), 0);
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_name() {
        let mut c = Config::default();
        let err = c
            .apply_env(|name| (name == "HELPLINE_HUB_TOKEN_TTL_DAYS").then(|| "soon".to_owned()))
            .expect_err("not a number");
        assert!(err.to_string().contains("HELPLINE_HUB_TOKEN_TTL_DAYS"), "{err}");
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err(), "unknown keys are refused");
    }

    #[test]
    fn every_option_is_described() {
        assert!(Config::describe().iter().all(|(_, env, _, doc)| env.starts_with("HELPLINE_HUB_") && !doc.is_empty()));
    }
}
