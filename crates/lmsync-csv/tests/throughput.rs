//! Rough throughput check (ignored by default; run with
//! `cargo test --release -p lmsync-csv --test throughput -- --ignored --nocapture`).

use std::time::Instant;

use lmsync_csv::{CsvReader, Dialect};

#[test]
#[ignore = "timing, run in release mode by hand"]
fn a_million_user_rows() {
    let mut input = b"# export\nusername;firstname;lastname;email;country;lang\n".to_vec();
    for k in 0..1_000_000 {
        let row = format!("user{k};Am\u{e9}lie;Dupont;user{k}@example.com;FR;\"fr\"\n");
        input.extend_from_slice(row.as_bytes());
    }
    let start = Instant::now();
    let reader = CsvReader::open(&input[..], &Dialect::default()).unwrap();
    let mut rows = 0u64;
    for record in reader {
        assert!(record.unwrap().fields.is_ok());
        rows += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(rows, 1_000_000);
    println!("{rows} rows, {} MB in {secs:.3} s: {:.2} M rows/s", input.len() / 1_000_000, rows as f64 / secs / 1e6);
}
