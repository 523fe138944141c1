//! Function parameters as a tree, and their PHP bracket-notation form encoding (spec §1.3):
//! Moodle's REST server only understands form fields, never a JSON body.

/// One parameter value: a scalar, a list ("multiple structure") or a structure.
///
/// Every scalar travels as a string; booleans as `0`/`1` (Moodle's `BOOL` refuses `true`).
/// An empty list or structure cannot be expressed in form encoding and is omitted.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Param>),
    /// Keys in the order they are sent.
    Struct(Vec<(String, Param)>),
}

/// The top-level parameters of one call: a structure without the outer brackets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub Vec<(String, Param)>);

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter (builder style).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Param>) -> Self {
        self.0.push((key.into(), value.into()));
        self
    }

    /// The form fields of these parameters, in order.
    pub fn encode(&self) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(self.field_count());
        for (key, value) in &self.0 {
            encode_into(key.clone(), value, &mut out);
        }
        out
    }

    /// How many form fields `encode` produces, without building them.
    pub fn field_count(&self) -> usize {
        self.0.iter().map(|(_, v)| v.field_count()).sum()
    }
}

impl Param {
    /// A structure from `(key, value)` pairs.
    pub fn obj<K: Into<String>, V: Into<Param>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Param::Struct(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// A list from values.
    pub fn list<V: Into<Param>>(items: impl IntoIterator<Item = V>) -> Self {
        Param::List(items.into_iter().map(Into::into).collect())
    }

    /// How many leaf form fields this value becomes.
    pub fn field_count(&self) -> usize {
        match self {
            Param::Str(_) | Param::Int(_) | Param::Bool(_) => 1,
            Param::List(items) => items.iter().map(Param::field_count).sum(),
            Param::Struct(pairs) => pairs.iter().map(|(_, v)| v.field_count()).sum(),
        }
    }

    /// The wire text of a scalar (`None` for lists and structures).
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Param::Str(s) => Some(s.clone()),
            Param::Int(i) => Some(i.to_string()),
            Param::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
            Param::List(_) | Param::Struct(_) => None,
        }
    }
}

fn encode_into(name: String, value: &Param, out: &mut Vec<(String, String)>) {
    match value {
        Param::List(items) => {
            for (i, item) in items.iter().enumerate() {
                encode_into(format!("{name}[{i}]"), item, out);
            }
        }
        Param::Struct(pairs) => {
            for (key, item) in pairs {
                encode_into(format!("{name}[{key}]"), item, out);
            }
        }
        scalar => {
            if let Some(text) = scalar.scalar_text() {
                out.push((name, text));
            }
        }
    }
}

/// The complete form of one REST call: reserved fields first (§1.2), then the parameters.
/// `raw` asks for names and texts exactly as stored (`moodlewssettingraw=1`, `fileurl=0`).
pub fn request_form(token: &str, function: &str, params: &Params, raw: bool) -> Vec<(String, String)> {
    let mut form = vec![
        ("wstoken".to_string(), token.to_string()),
        ("wsfunction".to_string(), function.to_string()),
        ("moodlewsrestformat".to_string(), "json".to_string()),
    ];
    if raw {
        form.push(("moodlewssettingraw".to_string(), "1".to_string()));
        form.push(("moodlewssettingfileurl".to_string(), "0".to_string()));
    }
    form.extend(params.encode());
    form
}

/// How many reserved fields `request_form` adds at most (for field budgets).
pub const RESERVED_FIELDS: usize = 5;

/// The `application/x-www-form-urlencoded` body of a form.
pub fn urlencode(form: &[(String, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        ser.append_pair(k, v);
    }
    ser.finish()
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Str(v.to_string())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Str(v)
    }
}
impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}
impl From<Vec<Param>> for Param {
    fn from(v: Vec<Param>) -> Self {
        Param::List(v)
    }
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
