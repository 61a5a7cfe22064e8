//! The `[messaging]` table of the configuration: the secrets of the messaging apps and social
//! networks the desk takes messages from and replies through (docs/messaging.md). A provider
//! without its secret is off: its webhook answers 404.

use amends_server::{MessagingSettings, ProviderApis};
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
    /// Twilio's account SID, to reply by SMS and WhatsApp (`AMENDS_TWILIO_ACCOUNT_SID`).
    pub twilio_account_sid: String,
    /// The Telegram bot's token, to reply on Telegram (`AMENDS_TELEGRAM_BOT_TOKEN`).
    pub telegram_bot_token: String,
    /// A Meta access token, to reply on Messenger, Instagram and WhatsApp Cloud
    /// (`AMENDS_META_ACCESS_TOKEN`).
    pub meta_access_token: String,
    /// Where replies to the desk's own webhook's messages are posted, signed.
    pub webhook_reply_url: String,
    /// Twilio's API address (its public one when empty).
    pub twilio_api: String,
    /// Telegram's Bot API address (its public one when empty).
    pub telegram_api: String,
    /// Meta's Graph API address with its version (its public one when empty).
    pub meta_api: String,
}

impl MessagingConfig {
    /// Reads each secret from the environment through `var`, over the file's.
    pub(crate) fn read_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        let fields: [(&str, &mut String); 8] = [
            ("AMENDS_TWILIO_AUTH_TOKEN", &mut self.twilio_auth_token),
            ("AMENDS_TWILIO_ACCOUNT_SID", &mut self.twilio_account_sid),
            ("AMENDS_TELEGRAM_BOT_TOKEN", &mut self.telegram_bot_token),
            ("AMENDS_META_ACCESS_TOKEN", &mut self.meta_access_token),
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
        let apis = ProviderApis::default();
        MessagingSettings {
            twilio_auth_token: set(&self.twilio_auth_token),
            telegram_secret: set(&self.telegram_secret),
            meta_app_secret: set(&self.meta_app_secret),
            meta_verify_token: set(&self.meta_verify_token),
            webhook_secret: set(&self.webhook_secret),
            twilio_account_sid: set(&self.twilio_account_sid),
            telegram_bot_token: set(&self.telegram_bot_token),
            meta_access_token: set(&self.meta_access_token),
            webhook_reply_url: set(&self.webhook_reply_url),
            apis: ProviderApis {
                twilio: set(&self.twilio_api).unwrap_or(apis.twilio),
                telegram: set(&self.telegram_api).unwrap_or(apis.telegram),
                meta: set(&self.meta_api).unwrap_or(apis.meta),
            },
        }
    }
}
