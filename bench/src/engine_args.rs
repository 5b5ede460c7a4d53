//! How every `wirecrypt` command turns its flags and the environment into engines.
//!
//! `--provider ID` (or `WIRECRYPT_PROVIDER`) forces a provider and `--fips` (or
//! `WIRECRYPT_FIPS`) turns FIPS mode on; a flag overrides its variable, and `--fips=off`
//! turns FIPS mode off whatever the variable says. Both flags are global, so they may
//! stand before or after the command's name (given on both sides, the one after wins).
//! A forced provider that cannot run here is
//! an error that names why (an unknown id, a missing CPU feature, a token that refused the
//! PIN) and where the choice came from; there is never a silent fallback.
//!
//! Commands get their engines only through [`EngineArgs`]: `engine()` for one engine,
//! `engines()` for one per forced provider (`speed` measures several side by side), and
//! `engine_on()` for a command that works through one provider only (`token`). A new
//! command takes `&EngineArgs` in its `run` and builds no engine any other way.

use std::fmt;

use wirecrypt::{Engine, ProviderId};

/// The variable that forces a provider, as the engine reads it.
pub const PROVIDER_ENV: &str = "WIRECRYPT_PROVIDER";
/// The variable that turns FIPS mode on, as the engine reads it.
pub const FIPS_ENV: &str = "WIRECRYPT_FIPS";

/// The engine options every command takes (flattened into the top level, global).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct EngineArgs {
    /// Force a provider by id (vaes512, vaes256, chacha512, chacha256, cpacf, rustcrypto,
    /// pkcs11); overrides WIRECRYPT_PROVIDER. `speed` and `bench` take several,
    /// comma-separated, or `all` (every provider available here, the PKCS#11 token
    /// included when it is configured), and measure them side by side.
    #[arg(
        long = "provider",
        visible_alias = "providers",
        value_name = "ID",
        value_delimiter = ',',
        global = true
    )]
    pub providers: Vec<String>,

    /// FIPS mode: approved algorithms only, self-tests before first use; overrides
    /// WIRECRYPT_FIPS (`--fips=off` turns it off).
    #[arg(
        long,
        global = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on",
        value_name = "on|off",
        value_parser = parse_switch
    )]
    pub fips: Option<bool>,
}

/// The provider list that stands for every provider available here.
pub const ALL: &str = "all";

/// Where a choice came from: a flag or a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
}

/// The resolved choice: which providers are forced (in the order given, each with its
/// origin) and whether FIPS mode is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The provider ids as written, blanks dropped; empty when none is forced.
    pub providers: Vec<String>,
    /// Where `providers` came from.
    pub provider_origin: Origin,
    /// FIPS mode.
    pub fips: bool,
}

/// Why a command got no engine.
#[derive(Debug)]
pub enum EngineArgsError {
    /// `WIRECRYPT_FIPS` holds neither an "on" nor an "off" word.
    FipsValue(String),
    /// `--provider` was given, but with no id in it.
    EmptyProvider,
    /// Several providers for a command that uses one engine.
    OneProvider {
        /// Where the list came from.
        origin: Origin,
        /// The ids given.
        ids: Vec<String>,
    },
    /// A command that works through one provider was asked for another.
    WrongProvider {
        /// What the command works through.
        needed: ProviderId,
        /// Where the other choice came from.
        origin: Origin,
        /// The id given.
        id: String,
    },
    /// The engine could not be built as asked (unknown or unavailable provider).
    Engine {
        /// The provider forced, where that choice came from, when the failure is its.
        forced: Option<(Origin, String)>,
        /// What the engine said.
        error: wirecrypt::Error,
    },
}

fn origin_of(origin: Origin, id: &str) -> String {
    match origin {
        Origin::Flag => format!("--provider {id}"),
        Origin::Env => format!("{PROVIDER_ENV}={id}"),
    }
}

impl fmt::Display for EngineArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FipsValue(v) => write!(
                f,
                "{FIPS_ENV}='{v}' is neither on nor off: use 1, true, yes or on to turn \
                 FIPS mode on, 0, false, no or off (or leave it empty) to leave it off"
            ),
            Self::EmptyProvider => write!(
                f,
                "--provider needs a provider id (vaes512, vaes256, chacha512, chacha256, cpacf, rustcrypto, pkcs11)"
            ),
            Self::OneProvider { origin, ids } => write!(
                f,
                "{}: this command uses one provider, {} were given",
                origin_of(*origin, &ids.join(",")),
                ids.len()
            ),
            Self::WrongProvider { needed, origin, id } => write!(
                f,
                "{}: this command works through the {needed} provider only",
                origin_of(*origin, id)
            ),
            Self::Engine {
                forced: Some((origin, id)),
                error,
            } => write!(f, "{}: {error}", origin_of(*origin, id)),
            Self::Engine {
                forced: None,
                error,
            } => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for EngineArgsError {}

/// Parses an on/off word: what `--fips=` and `WIRECRYPT_FIPS` accept (the engine's "on"
/// words, and their opposites).
pub fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "'{s}' is neither on nor off (1, true, yes, on / 0, false, no, off)"
        )),
    }
}

/// The ids in `list`, trimmed, blanks dropped.
fn ids<'a>(list: impl Iterator<Item = &'a str>) -> Vec<String> {
    list.map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

impl EngineArgs {
    /// The choice these flags make in this process's environment.
    pub fn choice(&self) -> Result<Choice, EngineArgsError> {
        self.choice_in(|name| std::env::var(name).ok())
    }

    /// The choice these flags make in an environment given by `env`: a flag wins over
    /// its variable; an empty variable counts as unset.
    pub fn choice_in(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Choice, EngineArgsError> {
        let (providers, provider_origin) = if self.providers.is_empty() {
            let var = env(PROVIDER_ENV).unwrap_or_default();
            (ids(var.split(',')), Origin::Env)
        } else {
            let given = ids(self.providers.iter().map(String::as_str));
            if given.is_empty() {
                return Err(EngineArgsError::EmptyProvider);
            }
            (given, Origin::Flag)
        };
        let fips = match self.fips {
            Some(on) => on,
            None => match env(FIPS_ENV) {
                Some(v) if !v.trim().is_empty() => {
                    parse_switch(&v).map_err(|_| EngineArgsError::FipsValue(v))?
                }
                _ => false,
            },
        };
        Ok(Choice {
            providers,
            provider_origin,
            fips,
        })
    }

    /// The one engine a command works with ([`Choice::engine`]).
    pub fn engine(&self) -> Result<Engine, EngineArgsError> {
        self.choice()?.engine()
    }

    /// One engine per forced provider ([`Choice::engines`]).
    pub fn engines(&self) -> Result<Vec<Engine>, EngineArgsError> {
        self.choice()?.engines()
    }

    /// The engine of a command that works through one provider ([`Choice::engine_on`]).
    pub fn engine_on(&self, needed: ProviderId) -> Result<Engine, EngineArgsError> {
        self.choice()?.engine_on(needed)
    }
}

impl Choice {
    /// The one engine a command works with: the forced provider (at most one) or the
    /// best per algorithm, in FIPS mode or not.
    ///
    /// The engine may be in its FIPS error state (a failed self-test): commands that
    /// report it (`probe`, `selftest`) show it, the others refuse to run with
    /// `engine.status()?`.
    pub fn engine(&self) -> Result<Engine, EngineArgsError> {
        match self.providers.as_slice() {
            [] => self.build(None),
            [id] => self.build(Some(id)),
            ids => Err(EngineArgsError::OneProvider {
                origin: self.provider_origin,
                ids: ids.to_vec(),
            }),
        }
    }

    /// One engine per forced provider, in the order given and each provider once; or
    /// one engine with every available provider when none is forced. `all` stands for
    /// every provider available here, best first. The first provider that cannot run
    /// fails the whole list.
    pub fn engines(&self) -> Result<Vec<Engine>, EngineArgsError> {
        if self.providers.is_empty() {
            return Ok(vec![self.build(None)?]);
        }
        let mut ids = Vec::new();
        for id in &self.providers {
            if id.eq_ignore_ascii_case(ALL) {
                let every = self.build(None)?;
                ids.extend(every.available().map(|p| p.id().to_string()));
            } else {
                ids.push(id.clone());
            }
        }
        let mut engines: Vec<Engine> = Vec::new();
        for id in &ids {
            let engine = self.build(Some(id))?;
            if !engines.iter().any(|e| e.forced() == engine.forced()) {
                engines.push(engine);
            }
        }
        Ok(engines)
    }

    /// The engine of a command that works through provider `needed` only: that provider
    /// forced (unless the user forced it already); another forced provider is an error.
    pub fn engine_on(&self, needed: ProviderId) -> Result<Engine, EngineArgsError> {
        match self.providers.as_slice() {
            // The command chose the provider, not the user: the engine's reason alone.
            [] => self.build(Some(needed.as_str())).map_err(|e| match e {
                EngineArgsError::Engine { error, .. } => EngineArgsError::Engine {
                    forced: None,
                    error,
                },
                other => other,
            }),
            [id] => match id.parse::<ProviderId>() {
                Ok(p) if p == needed => self.build(Some(id)),
                Ok(_) => Err(EngineArgsError::WrongProvider {
                    needed,
                    origin: self.provider_origin,
                    id: id.clone(),
                }),
                Err(error) => Err(EngineArgsError::Engine {
                    forced: Some((self.provider_origin, id.clone())),
                    error,
                }),
            },
            ids => Err(EngineArgsError::OneProvider {
                origin: self.provider_origin,
                ids: ids.to_vec(),
            }),
        }
    }

    /// Builds one engine. The choice is explicit, so the engine's own reading of the
    /// same variables never disagrees with it.
    fn build(&self, forced: Option<&str>) -> Result<Engine, EngineArgsError> {
        let mut builder = Engine::builder().fips(self.fips);
        if let Some(id) = forced {
            builder = builder.provider(id);
        }
        builder.build().map_err(|error| EngineArgsError::Engine {
            forced: forced.map(|id| (self.provider_origin, id.to_owned())),
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        engine: EngineArgs,
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(clap::Subcommand)]
    enum Sub {
        Run,
    }

    fn parse(argv: &[&str]) -> Result<EngineArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("wirecrypt").chain(argv.iter().copied()))
            .map(|c| c.engine)
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn choice(ids: &[&str], origin: Origin, fips: bool) -> Choice {
        Choice {
            providers: ids.iter().map(|s| s.to_string()).collect(),
            provider_origin: origin,
            fips,
        }
    }

    #[test]
    fn flags_parse_before_and_after_the_command() {
        for argv in [
            &["--fips", "run"][..],
            &["run", "--fips"],
            &["--fips=on", "run"],
            &["run", "--fips=YES"],
        ] {
            assert_eq!(parse(argv).unwrap().fips, Some(true), "{argv:?}");
        }
        assert_eq!(parse(&["run", "--fips=off"]).unwrap().fips, Some(false));
        assert_eq!(parse(&["run"]).unwrap().fips, None);
        let err = parse(&["run", "--fips=maybe"]).unwrap_err().to_string();
        assert!(err.contains("neither on nor off"), "{err}");
        let a = parse(&[
            "run",
            "--provider",
            "rustcrypto",
            "--provider=vaes256,pkcs11",
        ])
        .unwrap();
        assert_eq!(a.providers, ["rustcrypto", "vaes256", "pkcs11"]);
        // Given on both sides of the command's name, the one after it wins (clap's
        // global arguments).
        let a = parse(&["--provider", "rustcrypto", "run", "--provider=pkcs11"]).unwrap();
        assert_eq!(a.providers, ["pkcs11"]);
    }

    #[test]
    fn a_flag_overrides_its_variable_and_an_empty_variable_is_unset() {
        let none = EngineArgs::default();
        let c = none.choice_in(env(&[])).unwrap();
        assert!(c.providers.is_empty() && !c.fips);
        let c = none
            .choice_in(env(&[(PROVIDER_ENV, " "), (FIPS_ENV, "")]))
            .unwrap();
        assert!(c.providers.is_empty() && !c.fips);

        let vars = [(PROVIDER_ENV, "vaes256, rustcrypto"), (FIPS_ENV, "On")];
        let c = none.choice_in(env(&vars)).unwrap();
        assert_eq!(c.providers, ["vaes256", "rustcrypto"]);
        assert_eq!(c.provider_origin, Origin::Env);
        assert!(c.fips);

        let flags = EngineArgs {
            providers: vec!["pkcs11".into()],
            fips: Some(false),
        };
        let c = flags.choice_in(env(&vars)).unwrap();
        assert_eq!(c.providers, ["pkcs11"]);
        assert_eq!(c.provider_origin, Origin::Flag);
        assert!(!c.fips, "--fips=off wins over {FIPS_ENV}=On");

        for off in ["0", "false", "no", "OFF"] {
            let c = none.choice_in(env(&[(FIPS_ENV, off)])).unwrap();
            assert!(!c.fips, "{off}");
        }
    }

    #[test]
    fn unclear_values_are_errors_not_guesses() {
        let none = EngineArgs::default();
        let err = none
            .choice_in(env(&[(FIPS_ENV, "enabled")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("WIRECRYPT_FIPS='enabled'"), "{err}");
        let blank = EngineArgs {
            providers: vec![" ".into()],
            fips: None,
        };
        let err = blank.choice_in(env(&[])).unwrap_err().to_string();
        assert!(err.contains("--provider needs a provider id"), "{err}");
    }

    #[test]
    fn errors_name_where_the_choice_came_from() {
        let flag = choice(&["rustcrypto", "nonexistent"], Origin::Flag, false);
        let err = flag.engines().unwrap_err().to_string();
        assert!(
            err.starts_with("--provider nonexistent: unknown provider 'nonexistent'"),
            "{err}"
        );
        let err = flag.engine().unwrap_err().to_string();
        assert!(
            err.contains("--provider rustcrypto,nonexistent: this command uses one provider"),
            "{err}"
        );
        let other = choice(&["rustcrypto"], Origin::Flag, false);
        let err = other.engine_on(ProviderId::Pkcs11).unwrap_err().to_string();
        assert!(
            err.contains(
                "--provider rustcrypto: this command works through the pkcs11 provider only"
            ),
            "{err}"
        );
    }

    #[test]
    fn an_unavailable_provider_says_why_and_who_forced_it() {
        let probe = Engine::builder().ignore_env().fips(false).build().unwrap();
        let Some((id, why)) = probe
            .candidates()
            .iter()
            .find_map(|c| c.status.as_ref().err().map(|why| (c.id, why.clone())))
        else {
            println!("SKIP: every provider this build knows is available here");
            return;
        };
        let err = choice(&[id.as_str()], Origin::Env, false)
            .engine()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(&format!("{PROVIDER_ENV}={id}: ")), "{err}");
        assert!(err.contains("unavailable") && err.contains(&why), "{err}");
    }

    #[test]
    fn engines_keep_the_order_given_once_each() {
        let args = choice(&["rustcrypto", "RustCrypto"], Origin::Env, true);
        let engines = args.engines().unwrap();
        assert_eq!(engines.len(), 1);
        assert_eq!(engines[0].forced(), Some(ProviderId::RustCrypto));
        assert!(engines[0].fips_mode());
        let default = choice(&[], Origin::Env, false);
        let engines = default.engines().unwrap();
        assert_eq!(engines.len(), 1);
        assert!(!engines[0].fips_mode());
    }

    #[test]
    fn all_is_every_available_provider_best_first() {
        let every = Engine::builder().build().unwrap();
        let expected: Vec<ProviderId> = every.available().map(|p| p.id()).collect();
        let engines = choice(&["all"], Origin::Flag, false).engines().unwrap();
        let got: Vec<ProviderId> = engines.iter().filter_map(Engine::forced).collect();
        assert_eq!(got, expected);
        assert!(got.contains(&ProviderId::RustCrypto), "{got:?}");
        // Named once more after `all`, a provider is not measured twice.
        let engines = choice(&["ALL", "rustcrypto"], Origin::Env, false)
            .engines()
            .unwrap();
        assert_eq!(engines.len(), expected.len());
        assert!(parse(&["--providers", "all", "run"]).is_ok());
    }
}
