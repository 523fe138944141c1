//! `lmsync profile-fields list|add`: custom user profile fields, which the users tool fills
//! from `profile_field_<shortname>` columns.

use anyhow::Result;
use lmsync_model::ProfileFieldType;
use lmsync_sqlite::NewProfileField;

use crate::app::App;
use crate::cli::ProfileFieldsCommand;

pub fn profile_fields(app: &App, cmd: ProfileFieldsCommand) -> Result<i32> {
    let store = app.store()?;
    match cmd {
        ProfileFieldsCommand::List => {
            for f in store.profile_fields()? {
                let options = if f.options.is_empty() { String::new() } else { format!(" [{}]", f.options.join(", ")) };
                println!(
                    "{}\t{}\t{}{}{}",
                    f.shortname,
                    f.datatype.as_str(),
                    f.name,
                    if f.locked { " (locked)" } else { "" },
                    options
                );
            }
        }
        ProfileFieldsCommand::Add { shortname, name, datatype, options, locked } => {
            let datatype = ProfileFieldType::parse(&datatype).unwrap_or(ProfileFieldType::Text);
            let name = name.unwrap_or_else(|| shortname.clone());
            store.add_profile_field(&NewProfileField {
                shortname: shortname.clone(),
                name,
                datatype,
                options,
                locked,
            })?;
            println!("profile field {shortname} added; files may now use the column profile_field_{shortname}");
        }
    }
    Ok(0)
}
