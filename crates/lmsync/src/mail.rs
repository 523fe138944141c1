//! SMTP delivery from `[smtp]`: the `Mailer` tools use to send e-mail.

use anyhow::{Context, Result, bail};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use lmsync_core::mail::Mailer;
use lmsync_core::settings::SmtpSettings;
use std::time::Duration;

pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl SmtpMailer {
    /// `None` when no mail server is configured.
    pub fn from_settings(s: &SmtpSettings) -> Result<Option<Self>> {
        if s.host.trim().is_empty() {
            return Ok(None);
        }
        let from: Mailbox =
            s.from.parse().with_context(|| format!("smtp.from = {:?} is not an e-mail address", s.from))?;
        let builder = match s.tls.as_str() {
            "none" => SmtpTransport::builder_dangerous(&s.host),
            "starttls" => SmtpTransport::starttls_relay(&s.host).with_context(|| format!("smtp.host {:?}", s.host))?,
            "tls" => SmtpTransport::relay(&s.host).with_context(|| format!("smtp.host {:?}", s.host))?,
            other => bail!("smtp.tls = {other:?}: use \"none\", \"starttls\" or \"tls\""),
        };
        let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(30)));
        if !s.username.is_empty() {
            builder = builder.credentials(Credentials::new(s.username.clone(), s.password.clone()));
        }
        Ok(Some(SmtpMailer { transport: builder.build(), from }))
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("bad recipient {to:?}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport.send(&message).map(|_| ()).map_err(|e| format!("the mail server refused: {e}"))
    }
}
