//! The `ls -l`-style line SFTP v3 servers send with each READDIR entry (OpenSSH's client
//! prints it for `ls -l`). Owner and group are numeric: names would describe the host,
//! not the served tree.

use crate::root::Metadata;

/// `-rw-r--r--    1 1000     1000         1234 Dec  5 01:20 name`, as OpenSSH's
/// `ls_file` lays it out; times in UTC.
pub fn longname(name: &[u8], m: &Metadata, now: i64) -> Vec<u8> {
    let mut out = format!(
        "{} {:>4} {:<8} {:<8} {:>8} {} ",
        mode_string(m.mode),
        m.nlink,
        m.uid,
        m.gid,
        m.size,
        date(m.mtime, now)
    )
    .into_bytes();
    out.extend_from_slice(name);
    out
}

/// `drwxr-xr-x` and friends, with setuid/setgid/sticky letters.
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    let special = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
    for (i, (bit, with_x, without_x)) in special.into_iter().enumerate() {
        let shift = 6 - 3 * i as u32;
        let p = (mode >> shift) & 7;
        s.push(if p & 4 != 0 { 'r' } else { '-' });
        s.push(if p & 2 != 0 { 'w' } else { '-' });
        s.push(match (p & 1 != 0, mode & bit != 0) {
            (true, true) => with_x,
            (false, true) => without_x,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// `Mon DD HH:MM` within six months of `now`, else `Mon DD  YYYY` (as ls does).
fn date(t: i64, now: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    let month = MONTHS[(m - 1) as usize];
    if (now - t).abs() < 182 * 86_400 {
        format!("{month} {d:>2} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{month} {d:>2}  {y}")
    }
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_modes_read_like_ls() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        // 2026-12-05 01:20 UTC, seen the same day and two years later.
        let t = 1_796_433_600;
        assert_eq!(date(t, t + 60), "Dec  5 01:20");
        assert_eq!(date(t, t + 2 * 365 * 86_400), "Dec  5  2026");
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o104754), "-rwsr-xr--");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        let m = Metadata {
            size: 1234,
            uid: 1000,
            gid: 100,
            mode: 0o100600,
            nlink: 1,
            atime: t,
            mtime: t,
        };
        assert_eq!(
            String::from_utf8(longname(b"f.txt", &m, t)).unwrap(),
            "-rw-------    1 1000     100          1234 Dec  5 01:20 f.txt"
        );
    }
}
