//! How the bench reports: a figure per line with its median and every round's figure, and at the end one
//! `ROW` line per row of the table, tab-separated:
//!
//! `ROW\t<what>\t<figure>\t<baseline>\t<ratio>\t<bar>\t<met|not met>`
//!
//! `scripts/bench.sh` collects these lines from every bench it runs and prints them as the summary table.

use crate::stats::median;

/// One row of the summary.
#[derive(Debug, Clone)]
pub struct Row {
    pub what: String,
    pub figure: String,
    pub baseline: String,
    pub ratio: String,
    pub bar: String,
    pub met: bool,
}

impl Row {
    /// The tab-separated `ROW` line (tabs inside a field become spaces).
    pub fn line(&self) -> String {
        let clean = |s: &str| s.replace(['\t', '\n'], " ");
        format!(
            "ROW\t{}\t{}\t{}\t{}\t{}\t{}",
            clean(&self.what),
            clean(&self.figure),
            clean(&self.baseline),
            clean(&self.ratio),
            clean(&self.bar),
            if self.met { "met" } else { "not met" }
        )
    }
}

/// A figure's line: its label, the median of its rounds, then every round.
pub fn figure_line(label: &str, rounds: &[f64], decimals: usize) -> String {
    let each: Vec<String> = rounds.iter().map(|v| format!("{v:.decimals$}")).collect();
    format!(
        "  {label:<34} {:>10.decimals$}   rounds: {}",
        median(rounds),
        each.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_line_has_seven_tab_separated_fields() {
        let row = Row {
            what: "relay".into(),
            figure: "36030 events/s".into(),
            baseline: "raw\tpublish 86758".into(),
            ratio: "0.42x".into(),
            bar: ">= 0.6x".into(),
            met: false,
        };
        let line = row.line();
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 7);
        assert_eq!(fields[0], "ROW");
        assert_eq!(fields[3], "raw publish 86758");
        assert_eq!(fields[6], "not met");
    }
}
