//! E-mailing generated passwords to their users (`users.send_passwords`), after their account
//! is committed, and the tally the report shows.

use crate::mail::Mailer;

/// A password generated for a line, waiting for its line to be applied.
pub(super) struct Generated {
    pub username: String,
    pub email: String,
    pub fullname: String,
    pub password: String,
}

/// Delivery of generated passwords by e-mail (`users.send_passwords`).
pub struct PasswordMail {
    pub mailer: Box<dyn Mailer>,
    pub site_name: String,
    sent: u64,
    failed: u64,
    no_address: u64,
    first_error: Option<String>,
}

impl PasswordMail {
    pub fn new(mailer: Box<dyn Mailer>, site_name: String) -> Self {
        PasswordMail { mailer, site_name, sent: 0, failed: 0, no_address: 0, first_error: None }
    }

    pub(super) fn send(&mut self, g: &Generated) {
        if g.email.is_empty() {
            self.no_address += 1;
            return;
        }
        let subject = format!("Your account on {}", self.site_name);
        let body = format!(
            "Hello {},\n\nAn account has been created for you on {}.\n\nUsername: {}\nPassword: {}\n\nYou will be asked to choose a new password when you first log in.\n",
            g.fullname, self.site_name, g.username, g.password
        );
        match self.mailer.send(&g.email, &subject, &body) {
            Ok(()) => self.sent += 1,
            Err(e) => {
                self.failed += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    pub(super) fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!("{} generated passwords e-mailed to their users", self.sent)];
        if self.no_address > 0 {
            notes.push(format!("{} accounts with a generated password have no e-mail address: hand them their password from the passwords file", self.no_address));
        }
        if self.failed > 0 {
            notes.push(format!(
                "{} password e-mails could not be sent ({}): hand these passwords from the passwords file",
                self.failed,
                self.first_error.as_deref().unwrap_or("unknown error")
            ));
        }
        notes
    }
}
