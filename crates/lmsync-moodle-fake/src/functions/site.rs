//! `core_webservice_get_site_info` (spec §1.9): the health check, with the token's function
//! list and the configured release/version.

use serde_json::{Value, json};

use super::{Ctx, Function, registry};
use crate::config::Config;
use crate::error::WsError;
use crate::validate::{Type::*, list, s, v};

pub fn functions(_cfg: &Config) -> Vec<Function> {
    vec![Function::read(
        "core_webservice_get_site_info",
        vec![("serviceshortnames", list(v(AlphaNumExt)).def(json!([])))],
        s(vec![
            ("sitename", v(Raw)),
            ("username", v(Raw)),
            ("firstname", v(Text)),
            ("lastname", v(Text)),
            ("fullname", v(Text)),
            ("lang", v(Lang)),
            ("userid", v(Int)),
            ("siteurl", v(Raw)),
            ("userpictureurl", v(Url)),
            ("functions", list(s(vec![("name", v(Raw)), ("version", v(Text))]))),
            ("downloadfiles", v(Int)),
            ("uploadfiles", v(Int)),
            ("release", v(Text)),
            ("version", v(Text)),
            ("mobilecssurl", v(Url)),
            ("advancedfeatures", list(s(vec![("name", v(AlphaNumExt)), ("value", v(Int))]))),
            ("usercanmanageownfiles", v(Bool)),
            ("userquota", v(Int)),
            ("usermaxuploadfilesize", v(Int)),
            ("userhomepage", v(Int)),
            ("siteid", v(Int)),
            ("sitecalendartype", v(Plugin)),
            ("usercalendartype", v(Plugin)),
            ("userissiteadmin", v(Bool)),
            ("theme", v(Plugin)),
            ("limitconcurrentlogins", v(Int)),
            ("policyagreed", v(Int)),
        ]),
        site_info,
    )]
}

fn site_info(ctx: &mut Ctx, _p: &Value) -> Result<Value, WsError> {
    let cfg = ctx.cfg;
    let service = cfg.services.iter().find(|s| s.shortname == ctx.service);
    let names: Vec<String> = match service.and_then(|s| s.functions.clone()) {
        Some(set) => set.into_iter().collect(),
        None => registry(cfg).iter().map(|f| f.name.to_string()).collect(),
    };
    let functions: Vec<Value> = names.iter().map(|n| json!({"name": n, "version": cfg.version})).collect();
    let user = ctx.st.users.get(&ctx.userid).cloned().unwrap_or_default();
    Ok(json!({
        "sitename": cfg.sitename,
        "username": user.username,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "fullname": format!("{} {}", user.firstname, user.lastname),
        "lang": user.lang,
        "userid": user.id,
        "siteurl": ctx.wwwroot,
        "userpictureurl": format!("{}/theme/image.php/boost/core/1/u/f1", ctx.wwwroot),
        "functions": functions,
        "downloadfiles": 0,
        "uploadfiles": service.is_some_and(|s| s.uploadfiles) as i64,
        "release": cfg.release,
        "version": cfg.version,
        "mobilecssurl": "",
        "advancedfeatures": [{"name": "usetags", "value": 1}],
        "usercanmanageownfiles": true,
        "userquota": 104857600,
        "usermaxuploadfilesize": -1,
        "userhomepage": 1,
        "siteid": 1,
        "sitecalendartype": "gregorian",
        "usercalendartype": "gregorian",
        "userissiteadmin": ctx.st.admins.contains(&ctx.userid),
        "theme": "boost",
        "limitconcurrentlogins": 0,
        "policyagreed": 1,
    }))
}
