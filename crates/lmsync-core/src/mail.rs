//! Outgoing e-mail as tools see it: a `Mailer` sends one message. The binary provides the SMTP
//! implementation from `[smtp]`; tests provide their own.

/// Sends one plain-text message; the error says why it could not be sent.
pub trait Mailer {
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}
