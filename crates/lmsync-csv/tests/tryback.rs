//! A tryback must be byte-faithful: header bytes and failed records exactly as read, so the
//! file can be fixed and fed back with the same settings.

use lmsync_csv::{CsvReader, Dialect, EncodingSetting, Record, TrybackWriter};

fn read_all(input: &[u8], dialect: &Dialect) -> (Vec<u8>, Vec<Record>) {
    let mut reader = CsvReader::open(input, dialect).unwrap();
    let records = reader.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (reader.header().raw.clone(), records)
}

#[test]
fn crlf_windows_1252_multi_line_records_come_back_unchanged() {
    let input: &[u8] = b"# export\r\n\r\nusername;firstname;note\r\n\
        ok1;Ren\xe9;fine\r\n\
        bad1;Am\xe9lie;\"two\r\nlines; \"\"quoted\"\"\"\r\n\
        ok2;Zo\xe9;x\r\n\
        bad2;too;many;fields\r\n\
        # comment between\r\n\
        bad3;Fran\xe7ois;\"last\"";
    let dialect = Dialect { encoding: EncodingSetting::Windows1252, ..Dialect::default() };
    let (header_raw, records) = read_all(input, &dialect);
    assert_eq!(header_raw, b"# export\r\n\r\nusername;firstname;note\r\n");
    let failed: Vec<&Record> = records.iter().filter(|r| r.raw.starts_with(b"bad")).collect();
    assert_eq!(failed.iter().map(|r| (r.line, r.end_line)).collect::<Vec<_>>(), [(5, 6), (8, 8), (10, 10)]);

    // Write them in a different order too: the unterminated last line gets a CRLF.
    let dir = tempfile::tempdir().unwrap();
    for order in [[0, 1, 2], [2, 0, 1]] {
        let path = dir.path().join(format!("users_tryback_{}.csv", order[0]));
        let mut writer = TrybackWriter::create(&path, &header_raw).unwrap();
        let mut want = header_raw.clone();
        for (k, &i) in order.iter().enumerate() {
            writer.write_record(&failed[i].raw).unwrap();
            want.extend_from_slice(&failed[i].raw);
            if i == 2 && k + 1 < order.len() {
                want.extend_from_slice(b"\r\n");
            }
        }
        assert_eq!(writer.finish().unwrap(), 3);
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written, want);

        let (again_header, again) = read_all(&written, &dialect);
        assert_eq!(again_header, header_raw);
        let want_fields: Vec<_> = order.iter().map(|&i| failed[i].fields.clone().map_err(|e| e.code())).collect();
        let got_fields: Vec<_> = again.iter().map(|r| r.fields.clone().map_err(|e| e.code())).collect();
        assert_eq!(got_fields, want_fields);
    }
    assert_eq!(failed[0].fields.as_ref().unwrap(), &["bad1", "Amélie", "two\r\nlines; \"quoted\""]);
}

#[test]
fn unterminated_quote_line_round_trips_alone() {
    let input = b"a;b\n1;\"open\n2;3\n";
    let (header_raw, records) = read_all(input, &Dialect::default());
    assert_eq!(records[0].raw, b"1;\"open\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let mut writer = TrybackWriter::create(&path, &header_raw).unwrap();
    writer.write_record(&records[0].raw).unwrap();
    writer.finish().unwrap();
    let (_, again) = read_all(&std::fs::read(&path).unwrap(), &Dialect::default());
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].fields.as_ref().unwrap_err().code(), "csv.unterminated_quote");
}
