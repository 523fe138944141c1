//! Moodle's external_api parameter validation and return cleaning (spec §1.3, §4.3):
//! descriptions of values, single structures and lists; the same error texts.

use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::WsError;
use crate::wire::{Out, Param};

/// A `PARAM_*` cleaning type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Int,
    Bool,
    Float,
    Raw,
    RawTrimmed,
    Text,
    NoTags,
    Alpha,
    AlphaNum,
    AlphaNumExt,
    AlphaExt,
    Username,
    Auth,
    Lang,
    Theme,
    Timezone,
    Plugin,
    SafeDir,
    Sequence,
    Url,
    /// PARAM_COMPONENT: `frankenstyle_name`.
    Component,
}

impl Type {
    /// The PHP constant's value, as quoted in error messages.
    pub fn php_name(self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Bool => "bool",
            Type::Float => "float",
            Type::Raw => "raw",
            Type::RawTrimmed => "raw_trimmed",
            Type::Text => "text",
            Type::NoTags => "notags",
            Type::Alpha => "alpha",
            Type::AlphaNum => "alphanum",
            Type::AlphaNumExt => "alphanumext",
            Type::AlphaExt => "alphaext",
            Type::Username => "username",
            Type::Auth => "auth",
            Type::Lang => "lang",
            Type::Theme => "theme",
            Type::Timezone => "timezone",
            Type::Plugin => "plugin",
            Type::SafeDir => "safedir",
            Type::Sequence => "sequence",
            Type::Url => "url",
            Type::Component => "component",
        }
    }
}

/// Whether a key must be present.
#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    Required,
    Optional,
    Default(Value),
}

/// An external description: value, single structure or list.
#[derive(Debug, Clone, PartialEq)]
pub enum Desc {
    Value(Type, Presence),
    Single(Vec<(&'static str, Desc)>, Presence),
    Multiple(Box<Desc>, Presence),
}

/// A required scalar of type `t`.
pub fn v(t: Type) -> Desc {
    Desc::Value(t, Presence::Required)
}

/// A required single structure.
pub fn s(keys: Vec<(&'static str, Desc)>) -> Desc {
    Desc::Single(keys, Presence::Required)
}

/// A required list of `item`.
pub fn list(item: Desc) -> Desc {
    Desc::Multiple(Box::new(item), Presence::Required)
}

impl Desc {
    fn with_presence(self, p: Presence) -> Desc {
        match self {
            Desc::Value(t, _) => Desc::Value(t, p),
            Desc::Single(k, _) => Desc::Single(k, p),
            Desc::Multiple(i, _) => Desc::Multiple(i, p),
        }
    }
    pub fn opt(self) -> Desc {
        self.with_presence(Presence::Optional)
    }
    pub fn def(self, value: impl Into<Value>) -> Desc {
        self.with_presence(Presence::Default(value.into()))
    }
    fn presence(&self) -> &Presence {
        match self {
            Desc::Value(_, p) | Desc::Single(_, p) | Desc::Multiple(_, p) => p,
        }
    }
}

fn has_tag(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || b"/!?".contains(&w[1])))
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    s.chars().all(f)
}

fn canonical_int(s: &str) -> Option<i64> {
    let n: i64 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

/// Cleans one REST string; `None` when the cleaned value differs from the input.
pub fn clean_scalar(t: Type, s: &str, site: &Config) -> Option<Value> {
    let ok = match t {
        Type::Int => return canonical_int(s).map(Value::from),
        Type::Bool => {
            return match s {
                "0" => Some(Value::Bool(false)),
                "1" => Some(Value::Bool(true)),
                _ => None,
            };
        }
        Type::Float => return s.parse::<f64>().ok().map(Value::from),
        Type::Raw | Type::Url => true,
        Type::RawTrimmed => s.trim() == s,
        Type::Text | Type::NoTags => !has_tag(s),
        Type::Alpha => all(s, |c| c.is_ascii_alphabetic()),
        Type::AlphaNum => all(s, |c| c.is_ascii_alphanumeric()),
        Type::AlphaNumExt => all(s, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        Type::AlphaExt => all(s, |c| c.is_ascii_alphabetic() || c == '_' || c == '-'),
        Type::SafeDir => all(s, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        Type::Sequence => all(s, |c| c.is_ascii_digit() || c == ','),
        Type::Username => {
            let lowered = s.trim().to_lowercase();
            lowered == s
                && (site.extendedusernamechars
                    || all(s, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._@".contains(c)))
        }
        Type::Auth => s.is_empty() || site.auths.iter().any(|a| a == s),
        Type::Lang => s.is_empty() || site.langs.iter().any(|a| a == s),
        Type::Theme => s.is_empty() || site.themes.iter().any(|a| a == s),
        Type::Timezone => s == "99" || s.parse::<chrono_tz::Tz>().is_ok(),
        Type::Component => all(s, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        Type::Plugin => {
            s.is_empty()
                || (s.starts_with(|c: char| c.is_ascii_lowercase())
                    && all(s, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !s.ends_with('_')
                    && !s.contains("__"))
        }
    };
    ok.then(|| Value::String(s.to_string()))
}

fn php_print(p: &Param) -> String {
    match p {
        Param::Str(s) => s.clone(),
        Param::Arr(_) => "Array".into(),
    }
}

fn wrap(key: &str, inner: WsError) -> WsError {
    let d = inner.debuginfo.unwrap_or_default();
    WsError::invalid_param(format!("{key} => Invalid parameter value detected: {d}"))
}

/// Validates a struct's fields against `keys`, applying defaults.
pub fn validate_struct(
    keys: &[(&'static str, Desc)],
    items: &[(String, Param)],
    site: &Config,
) -> Result<Value, WsError> {
    let mut out = Map::new();
    for (key, desc) in keys {
        match items.iter().find(|(k, _)| k == key) {
            None => match desc.presence() {
                Presence::Required => {
                    return Err(WsError::invalid_param(format!("Missing required key in single structure: {key}")));
                }
                Presence::Optional => {}
                Presence::Default(d) => {
                    out.insert(key.to_string(), d.clone());
                }
            },
            Some((_, p)) => {
                let value = validate(desc, p, site).map_err(|e| wrap(key, e))?;
                out.insert(key.to_string(), value);
            }
        }
    }
    let unexpected: Vec<&str> =
        items.iter().filter(|(k, _)| !keys.iter().any(|(d, _)| d == k)).map(|(k, _)| k.as_str()).collect();
    if !unexpected.is_empty() {
        return Err(WsError::invalid_param(format!(
            "Unexpected keys ({}) detected in parameter array.",
            unexpected.join(", ")
        )));
    }
    Ok(Value::Object(out))
}

/// Validates one parameter against its description.
pub fn validate(desc: &Desc, p: &Param, site: &Config) -> Result<Value, WsError> {
    match (desc, p) {
        (Desc::Value(_, _), Param::Arr(_)) => {
            Err(WsError::invalid_param("Scalar type expected, array or object received."))
        }
        (Desc::Value(t, _), Param::Str(s)) => clean_scalar(*t, s, site).ok_or_else(|| {
            WsError::invalid_param(format!(
                "Invalid external api parameter: the value is \"{s}\", the server was expecting \"{}\" type",
                t.php_name()
            ))
        }),
        (Desc::Single(_, _) | Desc::Multiple(_, _), Param::Str(_)) => {
            Err(WsError::invalid_param(format!("Only arrays accepted. The bad value is: '{}'", php_print(p))))
        }
        (Desc::Single(keys, _), Param::Arr(items)) => validate_struct(keys, items, site),
        (Desc::Multiple(item, _), Param::Arr(items)) => {
            items.iter().map(|(_, p)| validate(item, p, site)).collect::<Result<Vec<_>, _>>().map(Value::Array)
        }
    }
}

fn response_error(inner: String) -> WsError {
    WsError::invalid_response(inner)
}

fn clean_out_scalar(t: Type, v: &Value) -> Result<Out, WsError> {
    let bad = || {
        let shown = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        response_error(format!(
            "Invalid external api response: the value is \"{shown}\", the server was expecting \"{}\" type",
            t.php_name()
        ))
    };
    match (t, v) {
        (_, Value::Null) => Ok(Out::Null),
        (Type::Int, Value::Number(n)) => n.as_i64().map(Out::Int).ok_or_else(bad),
        (Type::Int, Value::String(s)) => canonical_int(s).map(Out::Int).ok_or_else(bad),
        (Type::Int, Value::Bool(b)) => Ok(Out::Int(*b as i64)),
        (Type::Bool, Value::Bool(b)) => Ok(Out::Bool(*b)),
        (Type::Bool, Value::Number(n)) => Ok(Out::Bool(n.as_i64() != Some(0))),
        (Type::Float, Value::Number(n)) => Ok(Out::Float(n.as_f64().unwrap_or(0.0))),
        (_, Value::Array(_) | Value::Object(_)) => Err(bad()),
        (_, Value::Number(n)) => Ok(Out::Str(n.to_string())),
        (_, Value::Bool(b)) => Ok(Out::Str(if *b { "1".into() } else { String::new() })),
        (Type::AlphaNum, Value::String(s)) if !all(s, |c| c.is_ascii_alphanumeric()) => Err(bad()),
        (_, Value::String(s)) => Ok(Out::Str(s.clone())),
    }
}

/// Cleans a return value against its description (Moodle's `clean_returnvalue`).
pub fn clean_return(desc: &Desc, v: &Value) -> Result<Out, WsError> {
    match desc {
        Desc::Value(t, _) => clean_out_scalar(*t, v),
        Desc::Multiple(item, _) => match v {
            Value::Array(items) => {
                items.iter().map(|i| clean_return(item, i)).collect::<Result<Vec<_>, _>>().map(Out::List)
            }
            _ => Err(response_error("Only arrays accepted.".into())),
        },
        Desc::Single(keys, _) => {
            let Value::Object(map) = v else {
                return Err(response_error("Only arrays accepted.".into()));
            };
            let mut out = Vec::new();
            for (key, d) in keys {
                match map.get(*key) {
                    None | Some(Value::Null) => match d.presence() {
                        Presence::Required => {
                            return Err(response_error(format!(
                                "Error in response - Missing following required key in a single structure: {key}"
                            )));
                        }
                        Presence::Optional => {}
                        Presence::Default(def) => out.push((key.to_string(), clean_return(d, def)?)),
                    },
                    Some(val) => {
                        let cleaned = clean_return(d, val).map_err(|e| {
                            response_error(format!(
                                "{key} => Invalid response value detected: {}",
                                e.debuginfo.unwrap_or_default()
                            ))
                        })?;
                        out.push((key.to_string(), cleaned));
                    }
                }
            }
            Ok(Out::Obj(out))
        }
    }
}
