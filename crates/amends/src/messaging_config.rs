//! The `[messaging]` table of the configuration: the secrets of the messaging apps and social
//! networks the desk takes messages from (docs/messaging.md). A provider without its secret is
//! off: its webhook answers 404.

use amends_server::MessagingSettings;
use serde::Deserialize;

/// The providers' secrets; each also from the environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct MessagingConfig {
    /// Twilio's auth token (`AMENDS_TWILIO_AUTH_TOKEN`).
    pub twilio_auth_token: String,
    /// The secret token given to Telegram's setWebhook (`AMENDS_TELEGRAM_SECRET`).
    pub telegram_secret: String,
    /// The Meta app's secret (`AMENDS_META_APP_SECRET`).
    pub meta_app_secret: String,
    /// The Meta webhook's verify token (`AMENDS_META_VERIFY_TOKEN`).
    pub meta_verify_token: String,
    /// The desk's own webhook's secret (`AMENDS_WEBHOOK_SECRET`).
    pub webhook_secret: String,
}

impl MessagingConfig {
    /// Reads each secret from the environment through `var`, over the file's.
    pub(crate) fn read_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        let fields: [(&str, &mut String); 5] = [
            ("AMENDS_TWILIO_AUTH_TOKEN", &mut self.twilio_auth_token),
            ("AMENDS_TELEGRAM_SECRET", &mut self.telegram_secret),
            ("AMENDS_META_APP_SECRET", &mut self.meta_app_secret),
            ("AMENDS_META_VERIFY_TOKEN", &mut self.meta_verify_token),
            ("AMENDS_WEBHOOK_SECRET", &mut self.webhook_secret),
        ];
        for (name, field) in fields {
            if let Some(value) = var(name) {
                *field = value;
            }
        }
    }

    /// The server's settings: an empty secret is none.
    pub(crate) fn settings(&self) -> MessagingSettings {
        let set = |s: &String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        MessagingSettings {
            twilio_auth_token: set(&self.twilio_auth_token),
            telegram_secret: set(&self.telegram_secret),
            meta_app_secret: set(&self.meta_app_secret),
            meta_verify_token: set(&self.meta_verify_token),
            webhook_secret: set(&self.webhook_secret),
        }
    }
}
