//! OpenSSL as a peer, through its own benchmark: `openssl speed -evp <name> -bytes N
//! -seconds S`, run as a subprocess and parsed.
//!
//! Flags added to what a person would type: `-mr` (machine-readable output). Without
//! `-elapsed`, OpenSSL divides by its own CPU time, so (like the engine's median of ~1 ms
//! batches) time another process takes from it does not count against it.
//! AEADs use `-aead`, OpenSSL's TLS-like sequence (per message: set the IV, 13 bytes of
//! AAD, the payload, the tag), the same shape as the engine's seal; open is
//! `-aead -decrypt`, which decrypts in place and checks a fake tag — the same work as a
//! real open, except that the check fails. `openssl speed` has no HMAC verify.

use std::io::ErrorKind;
use std::process::{Command, Stdio};

use wirecrypt::Algorithm;

use super::measure::Measurement;
use super::op::Op;

/// The program run.
pub const PROGRAM: &str = "openssl";

/// A finished `openssl speed` run.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// What it measured.
    pub measurement: Measurement,
    /// The command line, for the record.
    pub command: String,
}

/// The `openssl speed` selection arguments for `op` of `alg`, or why there are none.
pub fn args_for(alg: Algorithm, op: Op) -> Result<Vec<&'static str>, &'static str> {
    let id = alg.id();
    match (alg, op) {
        (Algorithm::Aead(_), Op::Seal) => Ok(vec!["-evp", id, "-aead"]),
        (Algorithm::Aead(_), Op::Open) => Ok(vec!["-evp", id, "-aead", "-decrypt"]),
        (Algorithm::Cipher(_), Op::Encrypt) => Ok(vec!["-evp", id]),
        (Algorithm::Mac(_), Op::Sign) => {
            let digest = id.strip_prefix("hmac-").unwrap_or(id);
            Ok(vec!["-hmac", digest])
        }
        (Algorithm::Mac(_), Op::Verify) => Err("openssl speed has no HMAC verify"),
        (Algorithm::Hash(_), Op::Digest) => Ok(vec!["-evp", id]),
        _ => Err("no such operation"),
    }
}

/// `openssl speed` takes whole seconds, at least one: `seconds` rounded up.
pub fn whole_seconds(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 1.0 {
        seconds.ceil() as u64
    } else {
        1
    }
}

/// The installed OpenSSL's version line, or why it cannot be run.
pub fn version() -> Result<String, String> {
    let output = Command::new(PROGRAM)
        .arg("version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(&e))?;
    if !output.status.success() {
        return Err(format!(
            "`{PROGRAM} version` failed ({}): {}",
            output.status,
            first_line(&String::from_utf8_lossy(&output.stderr))
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn spawn_error(e: &std::io::Error) -> String {
    if e.kind() == ErrorKind::NotFound {
        format!(
            "`{PROGRAM}` is not installed (not found on PATH); install OpenSSL to compare with it"
        )
    } else {
        format!("cannot run `{PROGRAM}`: {e}")
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

/// Runs `openssl speed` for `op` of `alg` on `size`-byte buffers for
/// [`whole_seconds`]`(seconds)` and parses the result.
pub fn measure(alg: Algorithm, op: Op, size: usize, seconds: f64) -> Result<Run, String> {
    let selection = args_for(alg, op).map_err(str::to_owned)?;
    if size == 0 {
        return Err("openssl speed needs -bytes of at least 1".to_owned());
    }
    let seconds = whole_seconds(seconds).to_string();
    let size_arg = size.to_string();
    let mut args = vec!["speed", "-mr", "-seconds", &seconds, "-bytes", &size_arg];
    args.extend(selection);
    let command = format!("{PROGRAM} {}", args.join(" "));
    let output = Command::new(PROGRAM)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(&e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "`{command}` failed ({}): {}",
            output.status,
            first_line(&stderr)
        ));
    }
    let measurement =
        parse_mr(&format!("{stdout}\n{stderr}"), size).map_err(|e| format!("`{command}`: {e}"))?;
    Ok(Run {
        measurement,
        command,
    })
}

/// Parses the machine-readable (`-mr`) output of one `openssl speed -bytes size` run:
/// the `+R:<count>:<name>:<seconds>` line gives the calls and the time.
pub fn parse_mr(output: &str, size: usize) -> Result<Measurement, String> {
    if let Some(sizes) = output.lines().find_map(|l| l.strip_prefix("+H:")) {
        let listed: Vec<&str> = sizes.split(':').map(str::trim).collect();
        if listed != [size.to_string().as_str()] {
            return Err(format!(
                "openssl measured sizes {listed:?}, expected only {size}"
            ));
        }
    }
    let line = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("+R:"))
        .ok_or_else(|| format!("no `+R:` result line in the output: {}", first_line(output)))?;
    let count = line.split(':').next().unwrap_or("");
    // The name may itself contain ':' only in theory; the time is always the last field.
    let time = line.rsplit(':').next().unwrap_or("");
    let iterations: u64 = count
        .trim()
        .parse()
        .map_err(|_| format!("bad call count {count:?} in `+R:{line}`"))?;
    let seconds: f64 = time
        .trim()
        .parse()
        .map_err(|_| format!("bad time {time:?} in `+R:{line}`"))?;
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!(
            "openssl reported a time of {seconds} s in `+R:{line}`"
        ));
    }
    Ok(Measurement {
        iterations,
        seconds,
        bytes_per_iter: size,
        // `openssl speed` reports only its totals.
        batch_rate: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl speed -mr -seconds 1 -bytes 16384 -evp aes-256-gcm -aead 2>&1`,
    /// OpenSSL 3.0.19 on the development machine (`+DT`/`+R` come on stderr).
    const SAMPLE: &str = "\
+DT:AES-256-GCM:1:16384
+R:84909:AES-256-GCM:1.000000
+H:16384
+F:25:AES-256-GCM:1391149056.00
";

    #[test]
    fn parses_a_captured_run() {
        let m = parse_mr(SAMPLE, 16384).unwrap();
        assert_eq!(m.iterations, 84909);
        assert_eq!(m.seconds, 1.0);
        assert_eq!(m.bytes_per_iter, 16384);
        assert!((m.bytes_per_sec() - 1_391_149_056.0).abs() < 1.0);
    }

    #[test]
    fn parses_hmac_names_and_fractional_times() {
        let text = "+DT:hmac(sha256):1:64\n+R:2298971:hmac(sha256):1.010000\n+H:64\n";
        let m = parse_mr(text, 64).unwrap();
        assert_eq!(m.iterations, 2298971);
        assert_eq!(m.seconds, 1.01);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        assert!(parse_mr("", 64).unwrap_err().contains("+R:"));
        assert!(
            parse_mr("+R:abc:X:1.0\n", 64)
                .unwrap_err()
                .contains("count")
        );
        assert!(parse_mr("+R:10:X:zero\n", 64).unwrap_err().contains("time"));
        assert!(
            parse_mr("+R:10:X:0.000000\n", 64)
                .unwrap_err()
                .contains("0 s")
        );
        let other_size = SAMPLE.replace("+H:16384", "+H:64");
        assert!(parse_mr(&other_size, 16384).unwrap_err().contains("sizes"));
    }

    #[test]
    fn builds_the_selection() {
        let alg = |s: &str| s.parse::<Algorithm>().unwrap();
        assert_eq!(
            args_for(alg("chacha20-poly1305"), Op::Open).unwrap(),
            ["-evp", "chacha20-poly1305", "-aead", "-decrypt"]
        );
        assert_eq!(
            args_for(alg("hmac-sha512"), Op::Sign).unwrap(),
            ["-hmac", "sha512"]
        );
        assert_eq!(
            args_for(alg("hmac-sha1"), Op::Sign).unwrap(),
            ["-hmac", "sha1"]
        );
        assert!(args_for(alg("hmac-sha256"), Op::Verify).is_err());
        assert_eq!(
            args_for(alg("aes-192-ctr"), Op::Encrypt).unwrap(),
            ["-evp", "aes-192-ctr"]
        );
        assert_eq!(
            args_for(alg("sha384"), Op::Digest).unwrap(),
            ["-evp", "sha384"]
        );
    }

    #[test]
    fn seconds_are_whole_and_at_least_one() {
        assert_eq!(whole_seconds(0.5), 1);
        assert_eq!(whole_seconds(1.0), 1);
        assert_eq!(whole_seconds(1.2), 2);
        assert_eq!(whole_seconds(3.0), 3);
        assert_eq!(whole_seconds(f64::NAN), 1);
    }

    #[test]
    fn size_zero_is_refused_before_running() {
        let err = measure("sha256".parse().unwrap(), Op::Digest, 0, 1.0).unwrap_err();
        assert!(err.contains("at least 1"), "{err}");
    }
}
