//! `lmsync export users`: the current accounts as CSV or JSON, streamed (one account in memory
//! at a time), deleted accounts included with `deleted=1`.

use anyhow::{Context, Result, bail};
use lmsync_model::User;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::app::App;
use crate::cli::{ExportArgs, ExportWhat, Format};

/// Account columns of the export, before the custom profile fields.
const USER_COLUMNS: &[&str] = &[
    "id",
    "username",
    "idnumber",
    "email",
    "firstname",
    "lastname",
    "auth",
    "suspended",
    "deleted",
    "city",
    "country",
    "lang",
    "timezone",
    "institution",
    "department",
    "phone1",
    "phone2",
    "address",
    "url",
    "description",
    "maildisplay",
    "maildigest",
    "mailformat",
    "autosubscribe",
    "trackforums",
    "timecreated",
    "timemodified",
];

fn values(u: &User) -> Vec<serde_json::Value> {
    use serde_json::Value as V;
    let b = |x: bool| V::from(i64::from(x));
    vec![
        V::from(u.id),
        V::from(u.username.clone()),
        V::from(u.idnumber.clone()),
        V::from(u.email.clone()),
        V::from(u.firstname.clone()),
        V::from(u.lastname.clone()),
        V::from(u.auth.clone()),
        b(u.suspended),
        b(u.deleted),
        V::from(u.city.clone()),
        V::from(u.country.clone()),
        V::from(u.lang.clone()),
        V::from(u.timezone.clone()),
        V::from(u.institution.clone()),
        V::from(u.department.clone()),
        V::from(u.phone1.clone()),
        V::from(u.phone2.clone()),
        V::from(u.address.clone()),
        V::from(u.url.clone()),
        V::from(u.description.clone()),
        V::from(u.maildisplay),
        V::from(u.maildigest),
        V::from(u.mailformat),
        V::from(u.autosubscribe),
        V::from(u.trackforums),
        V::from(u.timecreated),
        V::from(u.timemodified),
    ]
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A text value made safe for a spreadsheet (CSV formula injection): one starting with a
/// character that starts a formula gets a leading `'`, which spreadsheets show as text.
fn inert(v: String) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v }
}

/// The CSV cells of a row: text neutralised unless `--raw` (numbers are left as they are).
fn csv_cell(v: &serde_json::Value, raw: bool) -> String {
    match v {
        serde_json::Value::String(s) if !raw => inert(s.clone()),
        other => cell(other),
    }
}

pub fn export(app: &App, args: ExportArgs) -> Result<i32> {
    let store = app.store()?;
    let table = match args.what {
        ExportWhat::Users => None,
        ExportWhat::Categories => Some("categories"),
        ExportWhat::Courses => Some("courses"),
        ExportWhat::Sections => Some("sections"),
        ExportWhat::CourseLinks => Some("course-links"),
        ExportWhat::Enrolments => Some("enrolments"),
        ExportWhat::Pictures => Some("pictures"),
        ExportWhat::Groups => Some("groups"),
        ExportWhat::Groupings => Some("groupings"),
        ExportWhat::GroupMembers => Some("group-members"),
        ExportWhat::Cohorts => Some("cohorts"),
        ExportWhat::CohortMembers => Some("cohort-members"),
        ExportWhat::CohortBindings => Some("cohort-bindings"),
    };
    let fields: Vec<String> = store.profile_fields()?.into_iter().map(|f| f.shortname).collect();
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    if let Some((columns, sql)) = table.and_then(lmsync_sqlite::export_query) {
        return export_table(&store, &args, app, columns, &sql, out);
    }
    let mut header: Vec<String> = USER_COLUMNS.iter().map(|s| s.to_string()).collect();
    header.extend(fields.iter().map(|f| format!("profile_field_{f}")));
    match args.format {
        Format::Csv => {
            let delimiter = delimiter(&args, app)?;
            let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(&mut out);
            w.write_record(&header)?;
            store.each_user(|u| {
                let mut row: Vec<String> = values(u).iter().map(|v| csv_cell(v, args.raw)).collect();
                row.extend(fields.iter().map(|f| {
                    let v = u.profile.get(f).cloned().unwrap_or_default();
                    if args.raw { v } else { inert(v) }
                }));
                w.write_record(&row).map_err(|e| lmsync_sqlite::StoreError::Invalid(e.to_string()))
            })?;
            w.flush()?;
        }
        Format::Json => {
            out.write_all(b"[")?;
            let mut first = true;
            let mut failure = None;
            store
                .each_user(|u| {
                    let mut obj = serde_json::Map::new();
                    for (name, v) in USER_COLUMNS.iter().zip(values(u)) {
                        obj.insert(name.to_string(), v);
                    }
                    for f in &fields {
                        obj.insert(format!("profile_field_{f}"), u.profile.get(f).cloned().unwrap_or_default().into());
                    }
                    let sep: &[u8] = if first { b"\n" } else { b",\n" };
                    first = false;
                    if let Err(e) =
                        out.write_all(sep).and_then(|_| serde_json::to_writer(&mut out, &obj).map_err(io::Error::other))
                    {
                        failure = Some(e);
                        return Err(lmsync_sqlite::StoreError::Invalid("write failed".into()));
                    }
                    Ok(())
                })
                .map_err(|e| failure.take().map_or_else(|| anyhow::anyhow!(e), anyhow::Error::from))?;
            out.write_all(b"\n]\n")?;
        }
    }
    out.flush()?;
    Ok(0)
}

fn delimiter(args: &ExportArgs, app: &App) -> Result<u8> {
    Ok(match args.delimiter.as_deref().unwrap_or(app.settings.csv.delimiter.as_str()) {
        "tab" | "\t" => b'\t',
        "auto" => b';',
        d if d.len() == 1 => d.as_bytes()[0],
        d => bail!("--delimiter {d:?}: use one character or \"tab\""),
    })
}

/// Exports one of the course tables (categories, courses, sections, course links).
fn export_table(
    store: &lmsync_sqlite::SqliteStore,
    args: &ExportArgs,
    app: &App,
    columns: &[&str],
    sql: &str,
    out: BufWriter<Box<dyn Write>>,
) -> Result<i32> {
    let mut out = out;
    match args.format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new().delimiter(delimiter(args, app)?).from_writer(&mut out);
            w.write_record(columns)?;
            store.each_row(sql, |row| {
                w.write_record(row.iter().map(|v| csv_cell(v, args.raw)))
                    .map_err(|e| lmsync_sqlite::StoreError::Invalid(e.to_string()))
            })?;
            w.flush()?;
        }
        Format::Json => {
            out.write_all(b"[")?;
            let mut first = true;
            store.each_row(sql, |row| {
                let obj: serde_json::Map<String, serde_json::Value> =
                    columns.iter().map(|c| c.to_string()).zip(row.iter().cloned()).collect();
                let sep: &[u8] = if first { b"\n" } else { b",\n" };
                first = false;
                out.write_all(sep)
                    .and_then(|_| serde_json::to_writer(&mut out, &obj).map_err(io::Error::other))
                    .map_err(|e| lmsync_sqlite::StoreError::Invalid(e.to_string()))
            })?;
            out.write_all(b"\n]\n")?;
        }
    }
    out.flush()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_made_inert() {
        assert_eq!(inert("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        for v in ["+1", "-dash", "@SUM(A1)", "\tx"] {
            assert!(inert(v.into()).starts_with('\''), "{v}");
        }
        assert_eq!(inert("Doe".into()), "Doe");
        assert_eq!(csv_cell(&serde_json::json!(-5), false), "-5", "numbers are numbers");
        assert_eq!(csv_cell(&serde_json::json!("-dash"), true), "-dash", "--raw keeps values");
    }
}
