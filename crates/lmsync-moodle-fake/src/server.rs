//! The HTTP side: routes, the REST pipeline of spec §4.1 (decode, reserved fields, access
//! checks of §1.6, validation, transactional run, return cleaning) and injected faults.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{any, post};

use crate::config::Config;
use crate::error::WsError;
use crate::faults::{FATAL_HTML, Fault, MAINTENANCE_HTML, ResetBody};
use crate::functions::{Batch, Ctx, registry};
use crate::log::{Call, Outcome};
use crate::validate::{clean_return, validate_struct};
use crate::wire::{Out, Param, decode, parse_form};
use crate::{Shared, lock, upload};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/webservice/rest/server.php", any(rest))
        .route("/webservice/upload.php", post(upload::upload))
        .with_state(shared)
}

pub(crate) fn respond(status: StatusCode, ctype: &str, body: String) -> Response {
    Response::builder().status(status).header(header::CONTENT_TYPE, ctype).body(Body::from(body)).unwrap_or_default()
}

pub(crate) fn json(out: &Out) -> Response {
    respond(StatusCode::OK, "application/json", out.to_php_json())
}

pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Form fields of the query and the body (query first, so the body wins), each capped at
/// `max_input_vars` like PHP; a body over `post_max_size` is dropped whole.
pub(crate) async fn request_fields(req: Request, cfg: &Config) -> Vec<(String, String)> {
    let mut fields = req.uri().query().map(|q| parse_form(q.as_bytes())).unwrap_or_default();
    fields.truncate(cfg.max_input_vars);
    let ctype = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut body_fields = Vec::new();
    if ctype.starts_with("multipart/form-data") {
        if let Ok(mut mp) = Multipart::from_request(req, &()).await {
            let mut size = 0;
            while let Ok(Some(field)) = mp.next_field().await {
                let name = field.name().unwrap_or("").to_string();
                let text = field.text().await.unwrap_or_default();
                size += text.len();
                body_fields.push((name, text));
            }
            if size > cfg.post_max_size {
                body_fields.clear();
            }
        }
    } else if let Ok(bytes) = axum::body::to_bytes(req.into_body(), usize::MAX).await
        && bytes.len() <= cfg.post_max_size
    {
        body_fields = parse_form(&bytes);
    }
    body_fields.truncate(cfg.max_input_vars);
    fields.extend(body_fields);
    fields
}

fn take_str(tree: &mut Vec<(String, Param)>, key: &str) -> Option<String> {
    let pos = tree.iter().position(|(k, _)| k == key)?;
    match tree.remove(pos).1 {
        Param::Str(s) => Some(s),
        Param::Arr(_) => Some(String::new()),
    }
}

fn take_fault(shared: &Shared, function: &str, leaves: &[&str], exception: bool) -> Option<Fault> {
    let mut rules = lock(&shared.faults);
    let rule = rules
        .iter_mut()
        .find(|r| matches!(r.fault, Fault::Exception(_)) == exception && r.matches(function, leaves))?;
    rule.remaining -= 1;
    Some(rule.fault.clone())
}

const XML_ONLY_JSON: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<EXCEPTION class=\"moodle_exception\">\n<ERRORCODE>xmlnotsupported</ERRORCODE>\n<MESSAGE>The fake Moodle answers JSON only: send moodlewsrestformat=json</MESSAGE>\n</EXCEPTION>\n";

async fn rest(AxState(shared): AxState<Arc<Shared>>, req: Request) -> Response {
    let cfg = lock(&shared.config).clone();
    if !cfg.latency.is_zero() {
        tokio::time::sleep(cfg.latency).await;
    }
    let fields = request_fields(req, &cfg).await;
    let count = fields.len();
    let mut tree = decode(&fields);
    let token = take_str(&mut tree, "wstoken").unwrap_or_default();
    let function = take_str(&mut tree, "wsfunction").unwrap_or_default();
    let format = take_str(&mut tree, "moodlewsrestformat").unwrap_or_default();
    let raw = take_str(&mut tree, "moodlewssettingraw").as_deref() == Some("1");
    tree.retain(|(k, _)| !k.starts_with("moodlewssetting"));
    let mut call = Call {
        function: function.clone(),
        write: false,
        fields: count,
        params: tree.clone(),
        at: SystemTime::now(),
        outcome: Outcome::Fault,
    };
    let leaves: Vec<String> = tree.iter().flat_map(|(_, p)| p.leaves()).map(String::from).collect();
    let leaf_refs: Vec<&str> = leaves.iter().map(String::as_str).collect();
    let fault = take_fault(&shared, &function, &leaf_refs, false);
    let early = match &fault {
        Some(Fault::Maintenance503) => {
            Some(respond(StatusCode::SERVICE_UNAVAILABLE, "text/html", MAINTENANCE_HTML.into()))
        }
        Some(Fault::Html500) => Some(respond(StatusCode::INTERNAL_SERVER_ERROR, "text/html", FATAL_HTML.into())),
        Some(Fault::EmptyBody) => Some(respond(StatusCode::OK, "application/json", String::new())),
        Some(Fault::InvalidJson) => {
            Some(respond(StatusCode::OK, "application/json", "{\"exception\":\"moodle_exc".into()))
        }
        Some(Fault::Timeout) => Some(hang(cfg.hang).await),
        Some(Fault::Reset) => Some(Response::new(Body::new(ResetBody))),
        _ => None,
    };
    if let Some(resp) = early {
        lock(&shared.log).push(call);
        return resp;
    }
    if !cfg.rest_enabled {
        lock(&shared.log).push(call);
        return respond(StatusCode::OK, "application/json", String::new());
    }
    if format != "json" {
        call.outcome = Outcome::Exception("xmlnotsupported".into());
        lock(&shared.log).push(call);
        return respond(StatusCode::OK, "application/xml; charset=utf-8", XML_ONLY_JSON.into());
    }
    let (result, write) = process(&shared, &cfg, &token, &function, &tree, raw, &leaf_refs);
    call.write = write;
    call.outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(e) => Outcome::Exception(e.errorcode.clone()),
    };
    lock(&shared.log).push(call);
    if fault == Some(Fault::CommitThenTimeout) {
        return hang(cfg.hang).await;
    }
    match result {
        Ok(out) => json(&out),
        Err(e) => json(&e.to_rest(cfg.debug)),
    }
}

async fn hang(d: Duration) -> Response {
    tokio::time::sleep(d).await;
    respond(StatusCode::GATEWAY_TIMEOUT, "text/html", "<html><body>504 Gateway Time-out</body></html>".into())
}

/// Checks of spec §1.6 rows 1–5 for a token; returns the token user.
pub(crate) fn check_token(shared: &Shared, cfg: &Config, token: &str) -> Result<(i64, String), WsError> {
    let Some(t) = cfg.tokens.iter().find(|t| t.token == token) else {
        return Err(WsError::moodle("invalidtoken", "Invalid token - token not found"));
    };
    if t.validuntil.is_some_and(|v| v < now()) {
        lock(&shared.config).tokens.retain(|x| x.token != token);
        return Err(WsError::access("Invalid token - token expired - check validuntil time for the token"));
    }
    let st = lock(&shared.state);
    let user = st.users.get(&t.userid).cloned().unwrap_or_default();
    let refused = |code: &str, what: &str| {
        WsError::moodle(code, format!("Refused web service access for {what} username: {}", user.username))
    };
    if user.deleted {
        return Err(refused("wsaccessuserdeleted", "deleted"));
    }
    if !user.confirmed {
        return Err(refused("wsaccessuserunconfirmed", "unconfirmed"));
    }
    if user.suspended {
        return Err(refused("wsaccessusersuspended", "suspended"));
    }
    if user.auth == "nologin" {
        return Err(refused("wsaccessusernologin", "nologin authentication"));
    }
    if cfg.maintenance {
        return Err(WsError::moodle(
            "sitemaintenance",
            "The site is undergoing maintenance and is currently not available",
        ));
    }
    if !t.can_use_rest {
        return Err(WsError::access(
            "You are not allowed to use the rest protocol (missing capability: webservice/rest:use)",
        ));
    }
    Ok((t.userid, t.service.clone()))
}

fn not_allowed(function: &str) -> WsError {
    WsError::access(format!(
        "Access to the function {function}() is not allowed. There could be multiple reasons for this: 1. The service linked to the user token does not contain the function. 2. The service is user-restricted and the user is not listed. 3. The service is IP-restricted and the user IP is not listed. 4. The service is time-restricted and the time has expired. 5. The token is time-restricted and the time has expired. 6. The user has a missing capability. 7. The service is disabled. 8. The function is called with username/password (no user token is sent) and none of the services has the function to allow the user. These settings can be set in Administration > Site administration > Server > Web services > External services > Users settings."
    ))
}

fn process(
    shared: &Shared,
    cfg: &Config,
    token: &str,
    function: &str,
    tree: &[(String, Param)],
    raw: bool,
    leaves: &[&str],
) -> (Result<Out, WsError>, bool) {
    let (userid, service) = match check_token(shared, cfg, token) {
        Ok(v) => v,
        Err(e) => return (Err(e), false),
    };
    if function.is_empty() {
        return (Err(WsError::invalid_param("Missing function name")), false);
    }
    let functions = registry(cfg);
    let Some(f) = functions.iter().find(|f| f.name == function) else {
        return (Err(WsError::missing_record("external_functions")), false);
    };
    let allowed = cfg
        .services
        .iter()
        .find(|s| s.shortname == service)
        .is_some_and(|s| s.enabled && s.functions.as_ref().is_none_or(|set| set.contains(function)));
    if !allowed {
        return (Err(not_allowed(function)), f.write);
    }
    let denied = f.capability.filter(|c| cfg.denied_capabilities.contains(*c)).map(|c| {
        WsError::new(
            "required_capability_exception",
            "nopermissions",
            format!("Sorry, but you do not currently have permissions to do that ({c})."),
        )
    });
    if let (Some(e), true) = (&denied, f.capability_first) {
        return (Err(e.clone()), f.write);
    }
    let params = match validate_struct(&f.params, tree, cfg) {
        Ok(p) => p,
        Err(e) => return (Err(e), f.write),
    };
    if let Some(e) = denied {
        return (Err(e), f.write);
    }
    if let Some(Fault::Exception(e)) = take_fault(shared, function, leaves, true) {
        return (Err(e), f.write);
    }
    let mut st = lock(&shared.state);
    let snapshot = (f.batch == Batch::Atomic).then(|| st.clone());
    let mut ctx = Ctx { st: &mut st, cfg, userid, raw, now: now(), wwwroot: &shared.wwwroot, service: &service };
    let result = (f.handler)(&mut ctx, &params);
    let value = match result {
        Ok(v) => {
            if f.write {
                st.sync_meta();
            }
            v
        }
        Err(e) => {
            if let Some(snap) = snapshot {
                *st = snap;
            }
            return (Err(e), f.write);
        }
    };
    let out = match &f.returns {
        None => Ok(Out::Null),
        Some(desc) => clean_return(desc, &value),
    };
    (out, f.write)
}
