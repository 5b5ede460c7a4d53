//! `--report FILE.html`: one self-contained page with SVG charts (drawn by plotters) of
//! what the run measured — throughput per protocol, ends and cipher; CPU cost per GB;
//! scaling with streams — and the talk's comparison chart filled in from this run.

use std::fmt::Write;

use plotters::prelude::*;
use wirecrypt::fips::policy;
use wirecrypt_xfer::Protocol;

use super::case::{Direction, Row};

/// The page for `rows`, with `machine` (CPU and providers) in its heading.
pub fn html(rows: &[Row], machine: &str, payload_len: usize) -> Result<String, String> {
    let measured: Vec<&Row> = rows.iter().filter(|r| r.error.is_none()).collect();
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>wirecrypt bench</title><style>{STYLE}</style></head><body>\n\
         <h1>wirecrypt bench</h1>\n<p>{}</p>\n<p>Each stream moved {} bytes each way; \
         every number is the median of the timed runs, beside the peers measured in the \
         same run.</p>\n",
        escape(machine),
        payload_len
    );
    for direction in Direction::BOTH {
        let of_dir: Vec<&Row> = measured
            .iter()
            .copied()
            .filter(|r| r.case.direction == direction && r.case.streams == first_streams(rows))
            .collect();
        if of_dir.is_empty() {
            continue;
        }
        let _ = write!(
            page,
            "<h2>Throughput, {direction}</h2>\n<figure class=\"chart\">"
        );
        page.push_str(&bars(&of_dir, "GB/s", |r| r.bytes_per_sec / 1e9)?);
        page.push_str("</figure>\n");
        let _ = write!(
            page,
            "<h2>CPU cost per GB, {direction} (both ends)</h2>\n<figure class=\"chart\">"
        );
        page.push_str(&bars(&of_dir, "CPU seconds per GB", |r| {
            r.cpu_seconds_per_gb.unwrap_or(0.0)
        })?);
        page.push_str("</figure>\n");
    }
    let stream_counts = distinct_streams(rows);
    if stream_counts.len() > 1 {
        page.push_str("<h2>Scaling with parallel streams</h2>\n<figure class=\"chart\">");
        page.push_str(&scaling(&measured, &stream_counts)?);
        page.push_str("</figure>\n");
    }
    page.push_str("<h2>The comparison chart, filled in from this run</h2>\n");
    page.push_str(&comparison(rows));
    page.push_str("<h2>Every case</h2>\n");
    page.push_str(&all_rows(rows));
    page.push_str("</body></html>\n");
    Ok(page)
}

const STYLE: &str = "body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;\
text-align:left}th{background:#eee}figure.chart{margin:0}.no{color:#a00}.yes{color:#070}";

fn first_streams(rows: &[Row]) -> usize {
    rows.iter().map(|r| r.case.streams).min().unwrap_or(1)
}

fn distinct_streams(rows: &[Row]) -> Vec<usize> {
    let mut v: Vec<usize> = rows.iter().map(|r| r.case.streams).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The label of a row in a chart.
fn label(r: &Row) -> String {
    let c = &r.case;
    let tls = c.tls_version.map_or(String::new(), |v| format!(" {v}"));
    format!(
        "{}{tls} {} ({}, {})",
        c.protocol,
        c.who(),
        c.cipher,
        c.provider
    )
}

/// A horizontal bar chart: one bar per row, `value` of each.
fn bars(rows: &[&Row], unit: &str, value: impl Fn(&Row) -> f64) -> Result<String, String> {
    let values: Vec<f64> = rows.iter().map(|r| value(r)).collect();
    let max = values.iter().copied().fold(0.0f64, f64::max).max(1e-9) * 1.15;
    let height = 60 + 28 * rows.len() as u32;
    let labels: Vec<String> = rows.iter().map(|r| label(r)).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let n = rows.len() as u32;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(380)
            .build_cartesian_2d(0f64..max, (0u32..n).into_segmented())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(unit)
            .y_labels(rows.len())
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(err)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let color = if rows[i].case.peer.is_some() {
                    RGBColor(150, 150, 150)
                } else {
                    RGBColor(31, 119, 180)
                };
                let i = i as u32;
                Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (v, SegmentValue::Exact(i + 1)),
                    ],
                    color.filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                Text::new(
                    format!("{v:.2}"),
                    (v, SegmentValue::CenterOf(i as u32)),
                    ("sans-serif", 13).into_font(),
                )
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Throughput against the number of streams, one line per case family.
fn scaling(rows: &[&Row], streams: &[usize]) -> Result<String, String> {
    let mut families: Vec<String> = Vec::new();
    for r in rows {
        let f = format!("{} {}", label(r), r.case.direction);
        if !families.contains(&f) {
            families.push(f);
        }
    }
    let max_rate = rows
        .iter()
        .map(|r| r.bytes_per_sec / 1e9)
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let max_streams = *streams.last().unwrap_or(&1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(1f64..max_streams, 0f64..max_rate)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("streams")
            .y_desc("GB/s")
            .draw()
            .map_err(err)?;
        for (k, family) in families.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let mut points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| format!("{} {}", label(r), r.case.direction) == *family)
                .map(|r| (r.case.streams as f64, r.bytes_per_sec / 1e9))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?
                .label(family.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn err(e: impl std::fmt::Display) -> String {
    format!("drawing the report: {e}")
}

/// The talk's comparison chart, each cell from what this run did.
fn comparison(rows: &[Row]) -> String {
    let ours = |p: Protocol| -> Option<&Row> {
        rows.iter()
            .find(|r| r.case.protocol == p && r.case.peer.is_none() && r.error.is_none())
    };
    let cell = |ok: bool, text: String| {
        format!(
            "<td class=\"{}\">{}</td>",
            if ok { "yes" } else { "no" },
            escape(&text)
        )
    };
    let hw = |r: Option<&Row>| match r {
        Some(r) if r.case.provider != "rustcrypto" && r.case.provider != "none" => cell(
            true,
            format!("YES: {} serves {}", r.case.provider, r.case.cipher),
        ),
        Some(r) => cell(false, format!("NO: {} (software)", r.case.provider)),
        None => "<td>not measured</td>".into(),
    };
    let fips = |r: Option<&Row>, approved: &dyn Fn(&str) -> policy::Verdict| match r {
        Some(r) => {
            let v = approved(&r.case.cipher);
            cell(
                v.status.is_approved(),
                format!(
                    "{}: {} ({})",
                    if v.status.is_approved() { "YES" } else { "NO" },
                    r.case.cipher,
                    v.rule
                ),
            )
        }
        None => "<td>not measured</td>".into(),
    };
    let ftps_suite = |c: &str| {
        policy::tls_suite(match c {
            "aes-128-gcm" => "TLS_AES_128_GCM_SHA256",
            "chacha20-poly1305" => "TLS_CHACHA20_POLY1305_SHA256",
            _ => "TLS_AES_256_GCM_SHA384",
        })
    };
    let sftp_cipher = |c: &str| policy::ssh_cipher(c.split('+').next().unwrap_or(c));
    let (ftp, ftps, sftp) = (
        ours(Protocol::Ftp),
        ours(Protocol::Ftps),
        ours(Protocol::Sftp),
    );
    let seen = |r: Option<&Row>, yes: &str| match r {
        Some(_) => cell(true, yes.into()),
        None => "<td>not measured</td>".into(),
    };
    let mut t = String::from(
        "<table><tr><th></th><th>FTP (RFC 959)</th><th>FTPS (RFC 959 + RFC 4217)</th><th>SFTP</th></tr>\n",
    );
    let mut row = |name: &str, cells: [String; 3]| {
        let _ = writeln!(
            t,
            "<tr><th>{name}</th>{}{}{}</tr>",
            cells[0], cells[1], cells[2]
        );
    };
    row(
        "User ID and password protection",
        [
            match ftp {
                Some(_) => cell(false, "NO: USER/PASS in clear".into()),
                None => "<td>not measured</td>".into(),
            },
            seen(
                ftps,
                "YES: AUTH TLS before USER/PASS (required by the server)",
            ),
            seen(sftp, "YES: inside the SSH transport"),
        ],
    );
    row(
        "Data protection (during file transfer)",
        [
            match ftp {
                Some(_) => cell(false, "NO".into()),
                None => "<td>not measured</td>".into(),
            },
            match ftps {
                Some(r) => cell(true, format!("YES: PROT P, {}", r.case.cipher)),
                None => "<td>not measured</td>".into(),
            },
            match sftp {
                Some(r) => cell(true, format!("YES: {}", r.case.cipher)),
                None => "<td>not measured</td>".into(),
            },
        ],
    );
    row(
        "Hardware encryption actually used",
        ["<td>n/a</td>".into(), hw(ftps), hw(sftp)],
    );
    let fact = |r: Option<&Row>, ok: bool, text: &str| match r {
        Some(_) => cell(ok, text.into()),
        None => "<td>not measured</td>".into(),
    };
    row(
        "Partner authentication via locally stored public keys",
        [
            "<td>n/a</td>".into(),
            fact(ftps, false, "NO"),
            fact(sftp, true, "YES: known_hosts"),
        ],
    );
    row(
        "Partner authentication via X.509 certificates",
        [
            "<td>n/a</td>".into(),
            fact(ftps, true, "YES: the server's certificate"),
            fact(sftp, false, "NO"),
        ],
    );
    row(
        "FIPS mode possible with what ran",
        [
            "<td>n/a</td>".into(),
            fips(ftps, &ftps_suite),
            fips(sftp, &sftp_cipher),
        ],
    );
    t.push_str("</table>\n");
    t
}

fn all_rows(rows: &[Row]) -> String {
    let mut t = String::from(
        "<table><tr><th>protocol</th><th>ends</th><th>cipher</th><th>provider</th><th>direction</th>\
         <th>streams</th><th>GB/s</th><th>x ftp</th><th>CPU s/GB</th><th>verified</th></tr>\n",
    );
    for r in rows {
        let c = &r.case;
        let _ = writeln!(
            t,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.protocol,
            c.tls_version.map_or(String::new(), |v| format!(" {v}")),
            escape(c.who()),
            escape(&c.cipher),
            escape(&c.provider),
            c.direction,
            c.streams,
            match &r.error {
                Some(e) => format!("not measured: {}", escape(e)),
                None => format!("{:.3}", r.bytes_per_sec / 1e9),
            },
            r.ratio_to_ftp.map_or("-".into(), |x| format!("{x:.2}")),
            r.cpu_seconds_per_gb
                .map_or("-".into(), |x| format!("{x:.2}")),
            if r.error.is_some() {
                "-"
            } else if r.verified {
                "yes"
            } else {
                "NO"
            },
        );
    }
    t.push_str("</table>\n");
    t
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
