//! The client over real HTTP, against a tiny scripted responder on a local port: the form on
//! the wire, Moodle's exception answer, a retry after a 503, and no token in any error.

use lmsync_moodle::{ClientOptions, MoodleClient, Param, Params, RetryPolicy, WsError};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

const TOKEN: &str = "5e3c1f0a9b8d7c6e5f4a3b2c1d0e9f8a";

/// One request as received.
struct Request {
    head: String,
    body: Vec<u8>,
}

/// Serves `answers` (status, content type, body) in order, one per connection, and hands each
/// request over the channel.
fn responder(answers: Vec<(u16, &'static str, String)>) -> (String, mpsc::Receiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (status, content_type, body) in answers {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            let mut req_body = vec![0; length];
            reader.read_exact(&mut req_body).unwrap();
            let _ = tx.send(Request { head, body: req_body });
            let mut stream = reader.into_inner();
            let answer = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).unwrap();
        }
    });
    (url, rx)
}

fn options() -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy { attempts: 3, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(20) },
        ..ClientOptions::default()
    }
}

fn json(body: &str) -> (u16, &'static str, String) {
    (200, "application/json", body.to_string())
}

#[test]
fn the_form_goes_on_the_wire_url_encoded_with_brackets() {
    let (url, rx) = responder(vec![json(r#"[{"id":7,"username":"jö"}]"#)]);
    let client = MoodleClient::new(&url, TOKEN, options()).unwrap();
    let users = Param::list([Param::obj([("username", Param::from("jö")), ("suspended", Param::from(true))])]);
    let out = client.call("core_user_create_users", &Params::new().with("users", users)).unwrap();
    assert_eq!(out[0]["id"], 7);
    let req = rx.recv().unwrap();
    assert!(req.head.starts_with("POST /webservice/rest/server.php HTTP/1.1"), "{}", req.head);
    let head = req.head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/x-www-form-urlencoded"), "{head}");
    assert!(head.contains("user-agent: lmsync/"), "{head}");
    let body = String::from_utf8(req.body).unwrap();
    assert_eq!(
        body,
        format!(
            "wstoken={TOKEN}&wsfunction=core_user_create_users&moodlewsrestformat=json&users%5B0%5D%5Busername%5D=j%C3%B6&users%5B0%5D%5Bsuspended%5D=1"
        )
    );
}

#[test]
fn moodle_exceptions_are_parsed_from_the_wire() {
    let (url, _rx) = responder(vec![json(
        r#"{"exception":"invalid_parameter_exception","errorcode":"invalidparameter","message":"Invalid parameter value detected","debuginfo":"Username already exists: jdoe"}"#,
    )]);
    let client = MoodleClient::new(&url, TOKEN, options()).unwrap();
    let err = client.call("core_user_create_users", &Params::new()).unwrap_err();
    let WsError::InvalidParameter { exception, .. } = &err else { panic!("{err:?}") };
    assert_eq!(exception.debuginfo.as_deref(), Some("Username already exists: jdoe"));
}

#[test]
fn a_503_is_retried_then_succeeds() {
    let (url, rx) = responder(vec![
        (503, "text/html", "<html><body>Site is being upgraded</body></html>".into()),
        json(r#"{"release":"4.4","version":"2024042200","functions":[]}"#),
    ]);
    let client = MoodleClient::new(&url, TOKEN, options()).unwrap();
    let info = client.site_info().unwrap();
    assert!(info.at_least(4, 4));
    assert_eq!(rx.try_iter().count(), 2);
}

#[test]
fn the_token_is_in_no_error_message() {
    // A server error page that echoes the request.
    let echo = format!("<html>Fatal error: wstoken={TOKEN}</html>");
    let (url, _rx) =
        responder(vec![(500, "text/html", echo.clone()), (500, "text/html", echo.clone()), (500, "text/html", echo)]);
    let client = MoodleClient::new(&url, TOKEN, options()).unwrap();
    let err = client.call("core_cohort_get_cohorts", &Params::new()).unwrap_err();
    assert!(err.is_unavailable());
    let text = format!("{err} {err:?} {client:?}");
    assert!(!text.contains(TOKEN), "{text}");

    // A site that is not listening.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = MoodleClient::new(&format!("http://127.0.0.1:{port}"), TOKEN, options()).unwrap();
    let err = client.call("core_cohort_get_cohorts", &Params::new()).unwrap_err();
    assert!(err.is_unavailable() && !format!("{err} {err:?}").contains(TOKEN), "{err}");
}
