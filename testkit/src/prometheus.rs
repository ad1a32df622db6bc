//! The Prometheus text exposition format, read strictly: what `/metrics` serves must parse here.
use std::collections::HashMap;

/// Checks the Prometheus text format line by line (`# HELP`/`# TYPE` or `name{labels} value`);
/// returns sample (name with labels) → value.
pub fn parse(text: &str) -> HashMap<String, f64> {
    let is_name = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut typed = std::collections::HashSet::new();
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect(line);
            assert!(is_name(name) && ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "{line}");
            typed.insert(name.to_owned());
            continue;
        }
        if line.starts_with('#') {
            assert!(line.starts_with("# HELP "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect(line);
        let name = series.split('{').next().unwrap();
        assert!(is_name(name), "{line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let inner = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')).expect(line);
            for pair in inner.split("\",").filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once("=\"").expect(line);
                assert!(is_name(k) && !v.trim_end_matches('"').contains('"'), "{line}");
            }
        }
        let family = ["_bucket", "_sum", "_count"].iter().fold(name, |n, s| n.strip_suffix(s).unwrap_or(n));
        assert!(typed.contains(name) || typed.contains(family), "no TYPE before {line}");
        let v = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("not a number: {line}")),
        };
        samples.insert(series.to_owned(), v);
    }
    samples
}
