//! Wallet top-up settings, read from the environment like the rest of the configuration.
//!
//! `TOPUP_METHODS` unset or empty switches top-ups off: a shop that has not set them up sees no
//! change. A method switched on without what it needs is refused with the variable's name.
use crate::config::ConfigError;
use crate::domain::Dinars;
use crate::domain::topup::{AmountLimits, CheckSchedule, FeeMode, OCPAY_MAX, OCPAY_MIN, TopupMethod};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopupConfig {
    /// The methods offered, in the order the buttons show them (online first). Empty: no top-ups.
    pub methods: Vec<TopupMethod>,
    pub limits: AmountLimits,
    /// The shop's own words (account numbers, name), shown as written. Set when transfers are on.
    pub transfer_instructions: Option<String>,
    pub fee_mode: FeeMode,
    /// How often an online payment is checked (`TOPUP_CHECK_*`, seconds; short in tests).
    pub schedule: CheckSchedule,
    /// `TOPUP_LINK_ANSWER_DEADLINE`: how long after a createLink leaves, with no answer recorded,
    /// the worker closes the top-up as failed (the process died waiting). `None`: 3 request
    /// timeouts and 30 s (see `Config::topup_link_answer_deadline`).
    pub link_answer_deadline: Option<Duration>,
}

fn err(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { var, problem: problem.into() }
}

impl TopupConfig {
    /// Reads the variables through `get` (the process environment in production, a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<TopupConfig, ConfigError> {
        let get = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let mut methods = Vec::new();
        for item in get("TOPUP_METHODS").unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let m = TopupMethod::parse(&item.to_ascii_lowercase()).ok_or_else(|| {
                err("TOPUP_METHODS", "a comma-separated list of online and transfer, e.g. online,transfer")
            })?;
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        methods.sort_by_key(|m| TopupMethod::ALL.iter().position(|x| x == m));

        let defaults = AmountLimits::default();
        let limits = AmountLimits {
            min: amount(&get, "TOPUP_MIN", defaults.min)?,
            max: amount(&get, "TOPUP_MAX", defaults.max)?,
        };
        if limits.min > limits.max {
            return Err(err("TOPUP_MAX", "must not be below TOPUP_MIN"));
        }
        if methods.contains(&TopupMethod::Online) {
            // Online amounts are clamped to OCPay's range; a range outside it leaves none.
            if limits.max < OCPAY_MIN {
                return Err(err("TOPUP_MAX", format!("online payment needs at least {OCPAY_MIN} DA")));
            }
            if limits.min > OCPAY_MAX {
                return Err(err("TOPUP_MIN", format!("online payment accepts at most {OCPAY_MAX} DA")));
            }
        }

        // Env files often cannot hold line breaks: a written `\n` starts a new line.
        let transfer_instructions = get("TOPUP_TRANSFER_INSTRUCTIONS").map(|s| s.replace("\\n", "\n"));
        if methods.contains(&TopupMethod::Transfer) && transfer_instructions.is_none() {
            return Err(err(
                "TOPUP_TRANSFER_INSTRUCTIONS",
                "required when TOPUP_METHODS has transfer: where and how to pay (account numbers, name)",
            ));
        }

        let fee_mode = match get("OCPAY_FEE_MODE") {
            None => FeeMode::default(),
            Some(s) => FeeMode::parse(&s.to_ascii_uppercase())
                .ok_or_else(|| err("OCPAY_FEE_MODE", "must be NO_FEE, SPLIT_FEE or CUSTOMER_FEE"))?,
        };

        let d = CheckSchedule::default();
        let schedule = CheckSchedule {
            fast_interval: seconds(&get, "TOPUP_CHECK_FAST", d.fast_interval)?,
            fast_window: seconds(&get, "TOPUP_CHECK_FAST_WINDOW", d.fast_window)?,
            slow_interval: seconds(&get, "TOPUP_CHECK_SLOW", d.slow_interval)?,
            give_up_after: seconds(&get, "TOPUP_CHECK_GIVE_UP", d.give_up_after)?,
        };

        let link_answer_deadline = match get("TOPUP_LINK_ANSWER_DEADLINE") {
            Some(_) => Some(seconds(&get, "TOPUP_LINK_ANSWER_DEADLINE", Duration::ZERO)?),
            None => None,
        };

        Ok(TopupConfig { methods, limits, transfer_instructions, fee_mode, schedule, link_answer_deadline })
    }

    pub fn offers(&self, method: TopupMethod) -> bool {
        self.methods.contains(&method)
    }

    /// Top-ups are switched on at all.
    pub fn enabled(&self) -> bool {
        !self.methods.is_empty()
    }
}

/// A whole, positive number of dinars, written as admins write amounts (`1 000`, `1000DA`).
fn amount(get: &impl Fn(&str) -> Option<String>, var: &'static str, default: Dinars) -> Result<Dinars, ConfigError> {
    get(var).map_or(Ok(default), |s| {
        Dinars::parse_positive(&s).map_err(|_| err(var, "must be a whole, positive number of dinars, e.g. 500"))
    })
}

/// Seconds, fractions allowed so tests can run the real schedule quickly.
fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(s) = get(var) else { return Ok(default) };
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v < 1e7 => Ok(Duration::from_secs_f64(v)),
        _ => Err(err(var, "must be a positive number of seconds, e.g. 10 or 0.05")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<TopupConfig, ConfigError> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TopupConfig::from_lookup(|k| m.get(k).cloned())
    }

    fn var_of(r: Result<TopupConfig, ConfigError>) -> &'static str {
        r.expect_err("expected a configuration error").var
    }

    const INSTR: (&str, &str) = ("TOPUP_TRANSFER_INSTRUCTIONS", "CCP 0000 clé 00, Nom Prénom");

    #[test]
    fn unset_or_empty_means_no_topups() {
        for c in [cfg(&[]).unwrap(), cfg(&[("TOPUP_METHODS", "  ")]).unwrap()] {
            assert!(!c.enabled());
            assert_eq!(c, TopupConfig::default());
        }
        let c = cfg(&[]).unwrap();
        assert_eq!(c.limits, AmountLimits { min: Dinars(500), max: Dinars(100_000) });
        assert_eq!(c.fee_mode, FeeMode::NoFee);
        assert_eq!(c.schedule, CheckSchedule::default());
    }

    #[test]
    fn methods_list() {
        let c = cfg(&[("TOPUP_METHODS", "transfer, Online,online,"), INSTR]).unwrap();
        assert_eq!(c.methods, vec![TopupMethod::Online, TopupMethod::Transfer]);
        assert!(c.offers(TopupMethod::Transfer));
        assert_eq!(c.transfer_instructions.as_deref(), Some(INSTR.1));
        let c = cfg(&[("TOPUP_METHODS", "online")]).unwrap();
        assert_eq!(c.methods, vec![TopupMethod::Online]);
        assert!(!c.offers(TopupMethod::Transfer));
        assert_eq!(var_of(cfg(&[("TOPUP_METHODS", "online,card")])), "TOPUP_METHODS");
    }

    #[test]
    fn a_method_without_what_it_needs_names_the_variable() {
        assert_eq!(var_of(cfg(&[("TOPUP_METHODS", "transfer")])), "TOPUP_TRANSFER_INSTRUCTIONS");
        assert_eq!(
            var_of(cfg(&[("TOPUP_METHODS", "online,transfer"), ("TOPUP_TRANSFER_INSTRUCTIONS", " ")])),
            "TOPUP_TRANSFER_INSTRUCTIONS"
        );
        assert_eq!(var_of(cfg(&[("TOPUP_METHODS", "online"), ("TOPUP_MAX", "400")])), "TOPUP_MAX");
        assert_eq!(
            var_of(cfg(&[("TOPUP_METHODS", "online"), ("TOPUP_MIN", "600000"), ("TOPUP_MAX", "700000")])),
            "TOPUP_MIN"
        );
        // The same amounts are fine for transfers only.
        let c = cfg(&[("TOPUP_METHODS", "transfer"), ("TOPUP_MAX", "400"), ("TOPUP_MIN", "100"), INSTR]).unwrap();
        assert_eq!(c.limits, AmountLimits { min: Dinars(100), max: Dinars(400) });
    }

    #[test]
    fn amounts_fee_mode_and_intervals() {
        let c = cfg(&[
            ("TOPUP_METHODS", "online"),
            ("TOPUP_MIN", "1 000"),
            ("TOPUP_MAX", "50000DA"),
            ("OCPAY_FEE_MODE", "split_fee"),
            ("TOPUP_CHECK_FAST", "0.05"),
        ])
        .unwrap();
        assert_eq!(c.limits, AmountLimits { min: Dinars(1000), max: Dinars(50_000) });
        assert_eq!(c.fee_mode, FeeMode::SplitFee);
        assert_eq!(c.schedule.fast_interval, Duration::from_millis(50));
        assert_eq!(var_of(cfg(&[("TOPUP_MIN", "0")])), "TOPUP_MIN");
        assert_eq!(var_of(cfg(&[("TOPUP_MAX", "lots")])), "TOPUP_MAX");
        assert_eq!(var_of(cfg(&[("TOPUP_MIN", "2000"), ("TOPUP_MAX", "1000")])), "TOPUP_MAX");
        assert_eq!(var_of(cfg(&[("OCPAY_FEE_MODE", "FREE")])), "OCPAY_FEE_MODE");
        assert_eq!(var_of(cfg(&[("TOPUP_CHECK_SLOW", "-1")])), "TOPUP_CHECK_SLOW");
        assert_eq!(var_of(cfg(&[("TOPUP_CHECK_GIVE_UP", "NaN")])), "TOPUP_CHECK_GIVE_UP");
    }

    #[test]
    fn instructions_keep_their_words_and_gain_line_breaks() {
        let c = cfg(&[
            ("TOPUP_METHODS", "transfer"),
            ("TOPUP_TRANSFER_INSTRUCTIONS", "CCP: 0012345678 clé 90\\nBaridiMob: 00799999001234567890"),
        ])
        .unwrap();
        assert_eq!(c.transfer_instructions.as_deref(), Some("CCP: 0012345678 clé 90\nBaridiMob: 00799999001234567890"));
    }

    /// message id → the variables it uses, from a locale's topup.ftl.
    fn topup_messages(lang: &str) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
        let path = format!("{}/locales/{lang}/topup.ftl", env!("CARGO_MANIFEST_DIR"));
        let src = std::fs::read_to_string(&path).unwrap();
        let mut out = std::collections::BTreeMap::new();
        let mut current: Option<String> = None;
        for line in src.lines() {
            let value = if let Some((id, value)) = line.split_once(" = ").filter(|(id, _)| !id.starts_with([' ', '#']))
            {
                current = Some(id.to_string());
                out.insert(id.to_string(), Default::default());
                value
            } else if line.starts_with("    ") {
                line
            } else {
                current = None;
                continue;
            };
            let vars: &mut std::collections::BTreeSet<String> = out.get_mut(current.as_ref().unwrap()).unwrap();
            vars.extend(value.split("{ $").skip(1).map(|v| v.split(' ').next().unwrap().to_string()));
        }
        out
    }

    #[test]
    fn texts_exist_in_every_language_with_the_same_variables() {
        use crate::i18n::{Arg, Lang, t};
        let en = topup_messages("en");
        assert!(en.len() > 40, "only {} messages read", en.len());
        assert_eq!(en["topup-admin-request"].len(), 5);
        for lang in ["fr", "ar"] {
            assert_eq!(topup_messages(lang), en, "{lang}/topup.ftl differs from en in messages or variables");
        }
        for lang in [Lang::En, Lang::Fr, Lang::Ar] {
            for (id, vars) in &en {
                let args: Vec<(&'static str, Arg)> =
                    vars.iter().map(|v| (&*v.clone().leak(), Arg::Str("1\u{202f}000".into()))).collect();
                let text = t(lang, id, &args);
                assert!(text != *id && !text.contains('{'), "{lang:?} {id}: {text}");
                if lang == Lang::Ar {
                    assert!(!text.contains("DA"), "{id}: Arabic says د.ج");
                }
            }
        }
        assert_eq!(t(Lang::En, "topup-btn-online", &[]), "💳 Pay online (CIB / Edahabia)");
        assert_eq!(t(Lang::En, "topup-btn-transfer", &[]), "🧾 Transfer or cash (send a receipt)");
        // The currency never wraps away from its amount.
        let pay = t(Lang::Fr, "topup-btn-pay", &[("amount", Arg::Str("2\u{202f}000".into()))]);
        assert_eq!(pay, "Payer 2\u{202f}000\u{a0}DA");
    }
}
