//! The `[chat]` table of the configuration: the chat on the business's website.

use std::time::Duration;

use amends_core::hours::OpeningHours;
use amends_server::ChatSettings;
use serde::Deserialize;

/// How the website chat behaves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ChatConfig {
    /// What the widget says first.
    pub greeting: String,
    /// The answer time promised to a visitor, minutes.
    pub answer_within_minutes: u32,
    /// Sites whose pages may hold the widget, like "https://shop.example"; empty for any.
    pub allowed_origins: Vec<String>,
    /// An agent counts as at work when they used the console this many minutes ago or less.
    pub at_work_minutes: u64,
    /// Chat connections held at once by one server.
    pub max_connections: usize,
    /// Open chats an agent holds at once.
    pub capacity: i64,
    /// Whether the assistant greets visitors and collects their details before a person.
    pub assistant: bool,
    /// When the desk answers live, like "Mon-Fri 09:00-17:30, Sat 10:00-14:00"; empty: always.
    pub hours: String,
    /// The time zone of the hours, an IANA name like "Europe/London".
    pub time_zone: String,
}

impl Default for ChatConfig {
    fn default() -> Self {
        let settings = ChatSettings::default();
        ChatConfig {
            greeting: settings.greeting,
            answer_within_minutes: settings.answer_within_minutes,
            allowed_origins: settings.allowed_origins,
            at_work_minutes: settings.at_work_within.as_secs() / 60,
            max_connections: settings.max_sockets,
            capacity: settings.capacity,
            assistant: settings.assistant,
            hours: String::new(),
            time_zone: "UTC".to_owned(),
        }
    }
}

impl ChatConfig {
    /// The server's settings.
    pub(crate) fn settings(&self) -> anyhow::Result<ChatSettings> {
        for origin in &self.allowed_origins {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            if host.is_none_or(|host| host.is_empty() || host.contains('/')) {
                anyhow::bail!(
                    "chat.allowed_origins: {origin:?} must be a site's origin, like https://shop.example"
                );
            }
        }
        Ok(ChatSettings {
            greeting: self.greeting.clone(),
            answer_within_minutes: self.answer_within_minutes,
            allowed_origins: self.allowed_origins.clone(),
            at_work_within: Duration::from_secs(self.at_work_minutes.max(1) * 60),
            max_sockets: self.max_connections.max(1),
            capacity: self.capacity.max(1),
            assistant: self.assistant,
            hours: OpeningHours::parse("chat.hours", &self.hours, &self.time_zone)
                .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?,
            ..ChatSettings::default()
        })
    }

    /// Reads `AMENDS_CHAT_ALLOWED_ORIGINS` (space or comma separated).
    pub(crate) fn read_env(&mut self, value: Option<String>) {
        if let Some(value) = value {
            self.allowed_origins = value
                .split([' ', ','])
                .filter(|o| !o.trim().is_empty())
                .map(|o| o.trim().to_owned())
                .collect();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ChatConfig;

    #[test]
    fn origins_are_sites_not_pages() {
        let mut config = ChatConfig::default();
        config.read_env(Some(
            "https://shop.example, http://localhost:3000".to_owned(),
        ));
        assert_eq!(config.settings().unwrap().allowed_origins.len(), 2);
        for bad in [
            "shop.example",
            "https://shop.example/",
            "https://x/help",
            "http://",
        ] {
            config.allowed_origins = vec![bad.to_owned()];
            assert!(config.settings().is_err(), "{bad}");
        }
    }
}
