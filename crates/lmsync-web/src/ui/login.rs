//! Logging in and out: the login form carries a CSRF token also set as a cookie (there is no
//! session yet), failures are throttled per account, success opens a session.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use lmsync_core::access::{Role, new_token};
use serde::Deserialize;

use super::session::{COOKIE, cookie};
use super::{Console, CsrfForm, Page, call, filters, require_form, secure, session_of, t};

const LOGIN_CSRF: &str = "lmsync_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    error: Option<&'a str>,
}

/// The login form with a fresh CSRF token, in its cookie too.
fn form_page(headers: &HeaderMap, status: StatusCode, error: Option<&str>) -> Page {
    let (csrf, _) = new_token();
    let mut response = super::html(LoginPage { csrf: &csrf, error })?;
    *response.status_mut() = status;
    let cookie = format!("{LOGIN_CSRF}={csrf}; HttpOnly; SameSite=Strict; Path=/login{}", secure(headers));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub async fn login_page(headers: HeaderMap) -> Page {
    form_page(&headers, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

pub async fn login(State(c): State<Console>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Page {
    let expected = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(|h| cookie(h, LOGIN_CSRF));
    if expected != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return form_page(&headers, StatusCode::FORBIDDEN, Some(t("login.expired")));
    }
    if !c.sessions.may_try(&form.username) {
        return form_page(&headers, StatusCode::TOO_MANY_REQUESTS, Some(t("login.throttled")));
    }
    let (username, password) = (form.username.clone(), form.password.clone());
    match call(&c, move |s| s.login(&username, &password)).await {
        Ok(Some(role)) => {
            c.sessions.succeeded(&form.username);
            let id = c.sessions.open(&form.username, role);
            let mut r = Redirect::to("/").into_response();
            let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{}", secure(&headers));
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Ok(None) => {
            c.sessions.failed(&form.username);
            form_page(&headers, StatusCode::UNAUTHORIZED, Some(t("login.wrong")))
        }
        Err(_) => form_page(&headers, StatusCode::INTERNAL_SERVER_ERROR, Some(t("login.store_unreadable"))),
    }
}

pub async fn logout(State(c): State<Console>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Page {
    require_form(&c, &headers, Role::Viewer, &form.csrf)?;
    if let Some((id, _)) = session_of(&c, &headers) {
        c.sessions.close(&id);
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/")) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}
