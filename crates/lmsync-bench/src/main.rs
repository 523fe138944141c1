//! Benchmark helpers (see bench/users.sh and BENCHMARKS.md): `lmsync-bench users N` writes an
//! N-line user command file to standard output (deterministic: the same N gives the same
//! file); `lmsync-bench read FILE` times the CSV engine alone on a file.
//! `lmsync-bench enrols USERS COURSES` writes a USERS × COURSES-line enrolment file (bench/enrols.sh).
//! `lmsync-bench cohort-members N` and `cohort-bindings COURSES` write cohort files (bench/cohorts.sh).
//! `lmsync-bench pictures N FILE` writes a zip of N JPEG pictures (bench/pictures.sh).
//! `lmsync-bench moodle-setup` and `moodle-naive` prepare a Moodle site and time a
//! one-call-per-line client against it (bench/moodle.sh).

mod moodle;

use clap::{Parser, Subcommand};
use std::io::{self, BufWriter, Write};

#[derive(Parser)]
#[command(about = "Generates command files for lmsync benchmarks.")]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// A user file: username, idnumber, names, e-mail, city, country, lang (and a password).
    Users {
        rows: u64,
        /// Add a password column (bcrypt hashing dominates such runs).
        #[arg(long)]
        passwords: bool,
        /// Change the city of every n-th account (to time update runs); 0 = none.
        #[arg(long, default_value_t = 0)]
        touch_every: u64,
    },
    /// A course file: shortname, fullname, idnumber, a category path (faculty/department) and
    /// four topics; with --template every course is made from that template course.
    Courses {
        rows: u64,
        #[arg(long)]
        template: Option<String>,
    },
    /// An enrolment file (`cmd;cid;uid;rolename;enrol`): every user of `lmsync-bench users USERS`
    /// (idnumber `ID0000000`…) added as a manual student to every course of `lmsync-bench courses
    /// COURSES` (shortname `C000000`…), user by user (each user's courses together).
    Enrols {
        users: u64,
        courses: u64,
        /// Course by course instead (each course's users together).
        #[arg(long)]
        by_course: bool,
    },
    /// A cohorts members file (`cmd;cidnumber;cname;userid`): the first N users of
    /// `lmsync-bench users` (idnumber `ID0000000`…) added to the cohort `idnumber`.
    CohortMembers {
        members: u64,
        #[arg(long, default_value = "BENCH")]
        idnumber: String,
        /// `free` (one line emptying the cohort) instead of adding members.
        #[arg(long)]
        free: bool,
    },
    /// A cohort bindings file (`cohort;course;role`): the cohort `idnumber` bound as student to
    /// every course of `lmsync-bench courses COURSES`.
    CohortBindings {
        courses: u64,
        #[arg(long, default_value = "BENCH")]
        idnumber: String,
    },
    /// A zip of N pictures named after the users of `lmsync-bench users` (`user0000000.jpg`…):
    /// JPEGs of WIDTH×HEIGHT pixels, each different.
    Pictures {
        rows: u64,
        output: std::path::PathBuf,
        #[arg(long, default_value_t = 640)]
        width: u32,
        #[arg(long, default_value_t = 480)]
        height: u32,
    },
    /// Read a command file with the CSV engine (default dialect) and print rows/s.
    Read { file: std::path::PathBuf },
    /// Create the courses of `lmsync-bench courses COURSES` (C000000…) on a Moodle site.
    MoodleSetup { url: String, token: String, courses: u64 },
    /// Apply a users file then an enrolment file to a Moodle site one call per step of each
    /// line (what a naive integration does), the first LIMIT lines of each; print lines/s.
    MoodleNaive {
        url: String,
        token: String,
        users: std::path::PathBuf,
        enrols: std::path::PathBuf,
        #[arg(long, default_value_t = usize::MAX)]
        limit: usize,
    },
}

const FIRST: &[&str] =
    &["Anna", "Louis", "Chloé", "Hugo", "Inès", "Jules", "Léa", "Noah", "Zoé", "Adam", "Emma", "Gabriel"];
const LAST: &[&str] =
    &["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"];
const CITIES: &[&str] = &["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Rennes", "Grenoble"];

fn main() -> anyhow::Result<()> {
    match Cli::parse().what {
        What::Users { rows, passwords, touch_every } => users(rows, passwords, touch_every),
        What::Read { file } => read(&file),
        What::Courses { rows, template } => courses(rows, template.as_deref()),
        What::Enrols { users, courses, by_course } => enrols(users, courses, by_course),
        What::CohortMembers { members, idnumber, free } => cohort_members(members, &idnumber, free),
        What::CohortBindings { courses, idnumber } => cohort_bindings(courses, &idnumber),
        What::Pictures { rows, output, width, height } => pictures(rows, &output, width, height),
        What::MoodleSetup { url, token, courses } => moodle::setup(&url, &token, courses),
        What::MoodleNaive { url, token, users, enrols, limit } => moodle::naive(&url, &token, &users, &enrols, limit),
    }
}

fn pictures(rows: u64, output: &std::path::Path, width: u32, height: u32) -> anyhow::Result<()> {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(output)?);
    // JPEGs are already compressed: stored as they are, as senders usually do.
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..rows {
        let shade = (i % 251) as u8;
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([shade, (x * 255 / width.max(1)) as u8, ((y + i as u32) % 256) as u8])
        });
        let mut jpeg = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut jpeg, image::ImageFormat::Jpeg)?;
        zip.start_file(format!("user{i:07}.jpg"), options)?;
        zip.write_all(jpeg.get_ref())?;
    }
    zip.finish()?;
    Ok(())
}

fn cohort_members(members: u64, idnumber: &str, free: bool) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    writeln!(out, "cmd;cidnumber;cname;userid")?;
    if free {
        writeln!(out, "free;{idnumber};Cohort {idnumber};")?;
    }
    for i in (0..members).take_while(|_| !free) {
        writeln!(out, "add;{idnumber};Cohort {idnumber};ID{i:07}")?;
    }
    out.flush()?;
    Ok(())
}

fn cohort_bindings(courses: u64, idnumber: &str) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    writeln!(out, "cohort;course;role")?;
    for i in 0..courses {
        writeln!(out, "{idnumber};C{i:06};student")?;
    }
    out.flush()?;
    Ok(())
}

fn read(path: &std::path::Path) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let reader = lmsync_csv::CsvReader::open(file, &lmsync_csv::Dialect::default())?;
    let (mut rows, mut failed) = (0u64, 0u64);
    for record in reader {
        rows += 1;
        failed += u64::from(record?.fields.is_err());
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{rows} records ({failed} failed) in {secs:.2} s: {:.0} rows/s", rows as f64 / secs);
    Ok(())
}

fn users(rows: u64, passwords: bool, touch_every: u64) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    write!(out, "username;idnumber;firstname;lastname;email;city;country;lang")?;
    writeln!(out, "{}", if passwords { ";password" } else { "" })?;
    for i in 0..rows {
        let first = FIRST[(i % FIRST.len() as u64) as usize];
        let last = LAST[(i / 7 % LAST.len() as u64) as usize];
        let touched = touch_every > 0 && i % touch_every == 0;
        let city = if touched { "Besançon" } else { CITIES[(i / 3 % CITIES.len() as u64) as usize] };
        write!(out, "user{i:07};ID{i:07};{first};{last};user{i:07}@example.edu;{city};FR;fr")?;
        if passwords {
            write!(out, ";Pw-{i:07}!x")?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

fn courses(rows: u64, template: Option<&str>) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    write!(out, "shortname;fullname;idnumber;category;topic1;topic2;topic3;topic4")?;
    writeln!(out, "{}", if template.is_some() { ";template" } else { "" })?;
    for i in 0..rows {
        let faculty = ["Sciences", "Lettres", "Droit", "Médecine"][(i % 4) as usize];
        let dept = i / 4 % 25;
        write!(
            out,
            "C{i:06};Course {i} — {faculty};CID{i:06};{faculty}/Dept {dept:02};Intro|Welcome;Week 2;Week 3;Exam|Final exam"
        )?;
        if let Some(t) = template {
            write!(out, ";{t}")?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

fn enrols(users: u64, courses: u64, by_course: bool) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    writeln!(out, "cmd;cid;uid;rolename;enrol")?;
    let (outer, inner) = if by_course { (courses, users) } else { (users, courses) };
    for o in 0..outer {
        for i in 0..inner {
            let (u, c) = if by_course { (i, o) } else { (o, i) };
            writeln!(out, "add;C{c:06};ID{u:07};student;manual")?;
        }
    }
    out.flush()?;
    Ok(())
}
