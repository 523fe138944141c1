//! The registry of implemented external functions: each declares its parameters, return
//! description, read/write kind and batch semantics, and a handler over the state.

use serde_json::Value;

use crate::config::Config;
use crate::error::WsError;
use crate::state::State;
use crate::validate::Desc;

mod categories;
mod cohorts;
mod courses;
mod enrol;
mod groups;
mod meta;
mod sections;
mod site;
mod users;

/// What a handler sees of the site.
pub struct Ctx<'a> {
    pub st: &'a mut State,
    pub cfg: &'a Config,
    /// The token user.
    pub userid: i64,
    /// `moodlewssettingraw=1`: names exactly as stored.
    pub raw: bool,
    /// Unix time of the call.
    pub now: i64,
    /// Base URL of the fake (for picture URLs).
    pub wwwroot: &'a str,
    /// Short name of the token's service.
    pub service: &'a str,
}

pub type Handler = fn(&mut Ctx, &Value) -> Result<Value, WsError>;

/// How a failing call treats the items processed before the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// One transaction: an exception rolls everything back.
    Atomic,
    /// No transaction (or per-item ones): what was done stays.
    NoTransaction,
}

/// One external function.
pub struct Function {
    pub name: &'static str,
    pub write: bool,
    pub batch: Batch,
    pub params: Vec<(&'static str, Desc)>,
    /// `None` = the function returns nothing (answer `null`).
    pub returns: Option<Desc>,
    pub handler: Handler,
    /// Capability the token user needs (refused when listed in `Config::denied_capabilities`).
    pub capability: Option<&'static str>,
    /// Whether the capability is checked before parameter validation (as create_users does).
    pub capability_first: bool,
}

impl Function {
    pub fn read(name: &'static str, params: Vec<(&'static str, Desc)>, returns: Desc, handler: Handler) -> Self {
        Function {
            name,
            write: false,
            batch: Batch::NoTransaction,
            params,
            returns: Some(returns),
            handler,
            capability: None,
            capability_first: false,
        }
    }
    pub fn write(
        name: &'static str,
        params: Vec<(&'static str, Desc)>,
        returns: Option<Desc>,
        handler: Handler,
    ) -> Self {
        Function {
            name,
            write: true,
            batch: Batch::Atomic,
            params,
            returns,
            handler,
            capability: None,
            capability_first: false,
        }
    }
    /// Requires a capability (checked after parameter validation).
    pub fn cap(mut self, capability: &'static str) -> Self {
        self.capability = Some(capability);
        self
    }
    /// Checks the capability before parameter validation.
    pub fn cap_first(mut self) -> Self {
        self.capability_first = true;
        self
    }
    /// Marks a write function as not transactional (per-item or none).
    pub fn no_transaction(mut self) -> Self {
        self.batch = Batch::NoTransaction;
        self
    }
}

/// Every function this site offers (its release decides some of them).
pub fn registry(cfg: &Config) -> Vec<Function> {
    let mut all = site::functions(cfg);
    all.extend(users::functions(cfg));
    all.extend(enrol::functions(cfg));
    all.extend(categories::functions(cfg));
    all.extend(courses::functions(cfg));
    all.extend(cohorts::functions(cfg));
    all.extend(groups::functions(cfg));
    all.extend(meta::functions(cfg));
    all.extend(sections::functions(cfg));
    all
}

/// Field access helpers over validated parameters.
pub(crate) fn int(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

pub(crate) fn opt_int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(crate) fn opt_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Copies the string keys present in `p` into their fields.
pub(crate) fn copy_strs<const N: usize>(p: &Value, fields: [(&str, &mut String); N]) {
    for (key, field) in fields {
        if let Some(val) = opt_str(p, key) {
            *field = val.into();
        }
    }
}

pub(crate) fn boolean(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

pub(crate) fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], |a| a.as_slice())
}

/// `format_string` of a name unless the call asked for raw values.
pub(crate) fn fmt_name(ctx: &Ctx, s: &str) -> String {
    if ctx.raw {
        return s.to_string();
    }
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The `{warnings: [...]}` description.
pub(crate) fn warnings_desc() -> Desc {
    use crate::validate::{Type::*, list, s, v};
    list(s(vec![("item", v(Text).opt()), ("itemid", v(Int).opt()), ("warningcode", v(AlphaNum)), ("message", v(Text))]))
        .opt()
}

pub(crate) fn warning(item: &str, itemid: i64, code: &str, message: &str) -> Value {
    serde_json::json!({"item": item, "itemid": itemid, "warningcode": code, "message": message})
}
