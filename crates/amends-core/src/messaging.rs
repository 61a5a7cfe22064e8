//! Messages from messaging apps and social networks (SMS, WhatsApp, Telegram, Messenger,
//! Instagram, or any system through the generic webhook): who wrote, by a phone number or a
//! handle, and what their message opens or continues.

use crate::customer::{CustomerName, NewCustomer, PhoneNumber};
use crate::field::{bounded_text, FieldError};

/// Where a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// A text message (Twilio).
    Sms,
    /// WhatsApp (Twilio or Meta's Cloud API).
    WhatsApp,
    /// Telegram's Bot API.
    Telegram,
    /// Facebook Messenger (Meta).
    Messenger,
    /// Instagram (Meta).
    Instagram,
    /// A Facebook page's posts and comments (Meta).
    Facebook,
    /// The desk's generic signed webhook.
    Webhook,
}

impl Provider {
    /// The stored name, also the prefix of a handle and of a message's external id.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Sms => "sms",
            Provider::WhatsApp => "whatsapp",
            Provider::Telegram => "telegram",
            Provider::Messenger => "messenger",
            Provider::Instagram => "instagram",
            Provider::Facebook => "facebook",
            Provider::Webhook => "webhook",
        }
    }

    /// How a person would name it.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Sms => "SMS",
            Provider::WhatsApp => "WhatsApp",
            Provider::Telegram => "Telegram",
            Provider::Messenger => "Messenger",
            Provider::Instagram => "Instagram",
            Provider::Facebook => "Facebook",
            Provider::Webhook => "Message",
        }
    }
}

/// Who wrote: a phone number (SMS, WhatsApp) or a provider's id for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// A phone number.
    Phone(PhoneNumber),
    /// `provider:id`, such as `telegram:123456`.
    Handle(String),
}

/// The API a reply goes back through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Twilio's Messages API (SMS and WhatsApp through Twilio).
    Twilio,
    /// Telegram's Bot API `sendMessage`.
    Telegram,
    /// Meta's Send API (Messenger and Instagram).
    Meta,
    /// Meta's private reply to a public comment (Facebook and Instagram): the answer goes to
    /// the commenter's inbox, taking the conversation out of public view.
    MetaComment,
    /// WhatsApp's Cloud API.
    WhatsAppCloud,
    /// The desk's own signed webhook, to the address the desk is given.
    Webhook,
}

impl Via {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Twilio => "twilio",
            Via::Telegram => "telegram",
            Via::Meta => "meta",
            Via::MetaComment => "meta_comment",
            Via::WhatsAppCloud => "whatsapp_cloud",
            Via::Webhook => "webhook",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Via> {
        [
            Via::Twilio,
            Via::Telegram,
            Via::Meta,
            Via::MetaComment,
            Via::WhatsAppCloud,
            Via::Webhook,
        ]
        .into_iter()
        .find(|via| via.as_str() == raw)
    }
}

/// How a reply reaches the customer who wrote: through which API, to whom, and from which of
/// the business's numbers or accounts (as the provider named them when the customer wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The API.
    pub via: Via,
    /// The customer there: a number (Twilio's `whatsapp:` form kept), a chat or a user id.
    pub to: String,
    /// The business there, when the API needs it: the number written to, the page or account,
    /// WhatsApp's phone number id.
    pub from: Option<String>,
}

/// A message taken in from a provider, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Where from.
    pub provider: Provider,
    /// Who wrote.
    pub contact: Contact,
    /// The name the provider gives them, when it does.
    pub name: Option<String>,
    /// What they wrote.
    pub text: String,
    /// The provider's id for the message, so a delivery repeated is one message.
    pub id: String,
    /// How a reply reaches them, when the desk can send one.
    pub route: Option<Route>,
    /// Whether they wrote in public (a post or a comment), not in a private message.
    pub public: bool,
}

impl Incoming {
    /// Checks what a provider sent: a phone number or a handle (`handle` is the provider's id
    /// for the person, made `provider:id`), text within the message limit, an id.
    pub fn parse(
        provider: Provider,
        phone: Option<&str>,
        handle: Option<&str>,
        name: Option<&str>,
        text: &str,
        id: &str,
    ) -> Result<Incoming, FieldError> {
        let contact = match (phone, handle) {
            (Some(phone), _) => Contact::Phone(PhoneNumber::parse("from", phone)?),
            (None, Some(handle)) => {
                let handle = bounded_text("from", handle, 100, false)?;
                Contact::Handle(format!("{}:{handle}", provider.as_str()))
            }
            (None, None) => return Err(FieldError::new("from", "must name who wrote")),
        };
        Ok(Incoming {
            provider,
            contact,
            name: name
                .and_then(|n| CustomerName::parse("name", n).ok())
                .map(|n| n.as_str().to_owned()),
            text: crate::message::parse_body("text", text)?,
            id: bounded_text("id", id, 200, false)?,
            route: None,
            public: false,
        })
    }

    /// The message, written in public (a post or a comment).
    pub fn in_public(mut self) -> Incoming {
        self.public = true;
        self
    }

    /// The message, answered through `via` to `to` from `from`.
    pub fn replied_by(mut self, via: Via, to: &str, from: Option<&str>) -> Incoming {
        self.route = Some(Route {
            via,
            to: to.to_owned(),
            from: from.map(str::to_owned),
        });
        self
    }

    /// The message's external id: provider and id, unique among messages from messaging apps.
    pub fn external_id(&self) -> String {
        format!("{}:{}", self.provider.as_str(), self.id)
    }

    /// The customer who wrote, as first filed: their name (else their number or handle) and
    /// the number or handle they are found by next time.
    pub fn customer(&self) -> NewCustomer {
        let known_as = match &self.contact {
            Contact::Phone(phone) => phone.as_str().to_owned(),
            Contact::Handle(handle) => handle.clone(),
        };
        let name = self
            .name
            .as_deref()
            .and_then(|n| CustomerName::parse("name", n).ok())
            .or_else(|| CustomerName::parse("name", &known_as).ok())
            .unwrap_or_else(|| unreachable!("a number or handle is a name"));
        let mut customer = NewCustomer::named(name);
        match &self.contact {
            Contact::Phone(phone) => customer.phones = vec![phone.clone()],
            Contact::Handle(handle) => customer.social_handles = vec![handle.clone()],
        }
        customer
    }

    /// The subject of a case this message opens: the provider (and whether in public) and
    /// its first words.
    pub fn subject(&self) -> String {
        let label = self.provider.label();
        let place = if self.public {
            format!("{label} (public):")
        } else {
            format!("{label}:")
        };
        crate::chat::subject_of(&self.text).replacen("Chat:", &place, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_known_by_its_sender_and_its_providers_id() {
        let sms = Incoming::parse(
            Provider::Sms,
            Some("+44 7700 900123"),
            None,
            None,
            "Hi",
            "SM1",
        )
        .unwrap();
        assert_eq!(sms.external_id(), "sms:SM1");
        assert_eq!(sms.customer().phones[0].as_str(), "+447700900123");
        assert_eq!(sms.customer().name.as_str(), "+447700900123");
        let telegram = Incoming::parse(
            Provider::Telegram,
            None,
            Some("42"),
            Some("Ann"),
            "Where is my order?",
            "42:7",
        )
        .unwrap();
        assert_eq!(
            telegram.customer().social_handles,
            vec!["telegram:42".to_owned()]
        );
        assert_eq!(telegram.subject(), "Telegram: Where is my order?");
        assert!(Incoming::parse(Provider::Sms, None, None, None, "Hi", "x").is_err());
        assert!(Incoming::parse(Provider::Sms, Some("+1 555"), None, None, " ", "x").is_err());
    }
}
