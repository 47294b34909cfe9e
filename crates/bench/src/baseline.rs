//! The headline numbers of an earlier run (`docs/bench-baseline.tsv`), and each run's
//! comparison against them: a number that moved shows up in the run that moved it,
//! not in a later reading of the docs.
//!
//! The file is tab-separated — table, write path, subscribers, rows/s, p50 µs, p99 µs,
//! commit→receive p99 µs (`-` when none) — with `#` comments saying where the numbers
//! come from. `TIDEPOOL_BENCH_BASELINE` names another file;
//! `TIDEPOOL_BENCH_SAVE_BASELINE=1` writes this run's rows into it (rows this run did
//! not measure are kept).

use std::collections::BTreeMap;
use std::path::Path;

/// How far a number may move before the comparison calls it slower or faster: the
/// 2-core VM moves the same code by a few percent from day to day.
pub const TOLERANCE: f64 = 0.15;

/// One row of a table: what the comparison reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numbers {
    pub rows_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub receive_p99_us: Option<f64>,
}

/// (table, write path, subscribers) → numbers.
pub type Key = (String, String, String);

#[derive(Debug, Default)]
pub struct Baseline {
    pub comments: Vec<String>,
    pub rows: BTreeMap<Key, Numbers>,
}

impl Baseline {
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let mut baseline = Baseline::default();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') {
                baseline.comments.push(line.to_string());
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [table, path, subscribers, rate, p50, p99, receive] = fields[..] else {
                return Err(format!("line {}: expected 7 tab-separated fields", n + 1));
            };
            let number = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| format!("line {}: {s:?} is not a number", n + 1))
            };
            baseline.rows.insert(
                (table.into(), path.into(), subscribers.into()),
                Numbers {
                    rows_per_s: number(rate)?,
                    p50_us: number(p50)?,
                    p99_us: number(p99)?,
                    receive_p99_us: if receive == "-" { None } else { Some(number(receive)?) },
                },
            );
        }
        Ok(baseline)
    }

    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Baseline::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn render(&self) -> String {
        let mut out: String = self.comments.iter().map(|c| format!("{c}\n")).collect();
        for ((table, path, subscribers), n) in &self.rows {
            let receive = n.receive_p99_us.map_or("-".to_string(), |r| format!("{r:.0}"));
            out += &format!(
                "{table}\t{path}\t{subscribers}\t{:.0}\t{:.1}\t{:.1}\t{receive}\n",
                n.rows_per_s, n.p50_us, n.p99_us
            );
        }
        out
    }
}

/// `now` against `then`: the change of the slower-is-worse latency, and a verdict.
pub fn verdict(now: &Numbers, then: &Numbers, paced: bool) -> (String, &'static str) {
    let p50 = now.p50_us / then.p50_us - 1.0;
    // At a steady rate the throughput is fixed: the delivery tail is what moves.
    let (worse, better) = match (paced, now.receive_p99_us, then.receive_p99_us) {
        (true, Some(now_r), Some(then_r)) => {
            let r = now_r / then_r - 1.0;
            (p50.max(r), p50.min(r))
        }
        _ => {
            let rate = then.rows_per_s / now.rows_per_s - 1.0;
            (p50.max(rate), p50.min(rate))
        }
    };
    let word = if worse > TOLERANCE {
        "SLOWER"
    } else if better < -TOLERANCE && worse < 0.0 {
        "faster"
    } else {
        "within 15%"
    };
    (format!("{:+.0}%", p50 * 100.0), word)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# from docs/benchmarks.md, 2026-11-27\n\
        throughput\tengine SQL INSERT (1 row)\t0\t3762\t253.1\t367.6\t-\n\
        latency\tengine typed insert (1 row)\t5\t10000\t5.0\t9.0\t420\n";

    #[test]
    fn a_baseline_reads_back_what_it_writes() {
        let baseline = Baseline::parse(FILE).unwrap();
        assert_eq!(baseline.rows.len(), 2);
        assert_eq!(Baseline::parse(&baseline.render()).unwrap().rows, baseline.rows);
        assert!(Baseline::parse("throughput\tx\t0\tfast\t1\t2\t-\n")
            .unwrap_err()
            .contains("not a number"));
        assert!(Baseline::parse("throughput\tx\n")
            .unwrap_err()
            .contains("7 tab-separated"));
    }

    #[test]
    fn a_number_outside_the_tolerance_is_called_slower_or_faster() {
        let then = Numbers {
            rows_per_s: 3762.0,
            p50_us: 253.1,
            p99_us: 367.6,
            receive_p99_us: None,
        };
        let slower = Numbers {
            rows_per_s: 1700.0,
            p50_us: 581.0,
            ..then
        };
        assert_eq!(verdict(&slower, &then, false), ("+130%".into(), "SLOWER"));
        assert_eq!(verdict(&then, &then, false).1, "within 15%");
        let faster = Numbers {
            rows_per_s: 8000.0,
            p50_us: 120.0,
            ..then
        };
        assert_eq!(verdict(&faster, &then, false).1, "faster");
        // Paced: the commit→receive tail counts, throughput does not.
        let paced_then = Numbers {
            receive_p99_us: Some(400.0),
            ..then
        };
        let late = Numbers {
            receive_p99_us: Some(900.0),
            ..paced_then
        };
        assert_eq!(verdict(&late, &paced_then, true).1, "SLOWER");
    }
}
