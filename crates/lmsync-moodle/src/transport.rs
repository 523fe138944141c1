//! The HTTP exchange behind the client, as a trait: `ureq` (blocking, rustls, certificates
//! verified) in production, a scripted function in tests so no server is needed.

use crate::error::Unavailable;
use crate::params::urlencode;
use crate::response::HttpReply;
use std::time::Duration;

/// Sends one POST and returns the answer, whatever its status.
pub trait Transport: Send + Sync {
    /// `application/x-www-form-urlencoded` POST of `form` to `url`.
    fn post_form(&self, url: &str, form: &[(String, String)], timeout: Duration) -> Result<HttpReply, Unavailable> {
        let body = urlencode(form);
        self.post_body(url, "application/x-www-form-urlencoded", body.as_bytes(), timeout)
    }

    /// POST of a ready-made body with its content type.
    fn post_body(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, Unavailable>;
}

/// The real transport.
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl UreqTransport {
    /// Certificates are verified (rustls with the web PKI roots); there is no switch to turn
    /// that off.
    pub fn new(user_agent: &str, connect_timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(user_agent)
            .timeout_connect(Some(connect_timeout))
            // A redirect would turn the POST into a GET and lose the form.
            .max_redirects(0)
            .build()
            .into();
        Self { agent }
    }
}

impl Transport for UreqTransport {
    fn post_body(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, Unavailable> {
        let request = self.agent.post(url).config().timeout_global(Some(timeout)).build();
        let mut response = request.content_type(content_type).send(body).map_err(unavailable)?;
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = response.body_mut().with_config().limit(256 * 1024 * 1024).read_to_string().map_err(unavailable)?;
        Ok(HttpReply { status, content_type, body })
    }
}

fn unavailable(e: ureq::Error) -> Unavailable {
    let text = e.to_string();
    match e {
        // Nothing was sent: safe to retry any call.
        ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::BadUri(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_) => Unavailable::Connect(text),
        ureq::Error::Timeout(_) => Unavailable::Timeout(text),
        _ => Unavailable::Io(text),
    }
}
