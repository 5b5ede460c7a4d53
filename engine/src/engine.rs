//! The engine: detection, provider selection, and the front door for keyed objects.

use std::fmt;
use std::sync::Arc;

use crate::algorithm::{AeadAlg, Algorithm, CipherAlg, FipsStatus, HashAlg, MacAlg};
use crate::cpu::CpuFeatures;
use crate::fips::selftest::{self, SelfTestResult};
use crate::fips::{ErrorState, FipsProvider, Guarded, IvConstruction, ProtocolKey, RandomIvAead};
use crate::provider::{
    AeadKey, Candidate, Digest, HashContext, MacKey, Provider, ProviderId, StreamCipher, candidates,
};
use crate::{EngineRng, Error};

/// The environment variable that forces a provider.
pub const PROVIDER_ENV: &str = "WIRECRYPT_PROVIDER";
/// The environment variable that turns FIPS mode on (`1`, `true`, `yes`, `on`).
pub const FIPS_ENV: &str = "WIRECRYPT_FIPS";

fn env_flag(name: &str) -> Option<bool> {
    let v = std::env::var(name).ok()?;
    match v.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "1" | "true" | "yes" | "on" => Some(true),
        _ => Some(false),
    }
}

/// Which provider serves an algorithm, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Selection {
    /// The algorithm's id.
    pub algorithm: &'static str,
    /// The provider chosen, or `None` when none can serve it.
    pub provider: Option<ProviderId>,
    /// Why: "best available", "forced", "fallback: ...", or why nothing serves it.
    pub reason: String,
}

/// Configures an [`Engine`].
#[derive(Clone, Debug, Default)]
pub struct EngineBuilder {
    provider: Option<String>,
    allow_fallback: bool,
    ignore_env: bool,
    cpu: Option<CpuFeatures>,
    fips: Option<bool>,
    break_self_test: Option<String>,
}

impl EngineBuilder {
    /// Forces one provider by id (`rustcrypto`, ...). Overrides `WIRECRYPT_PROVIDER`.
    pub fn provider(mut self, id: impl Into<String>) -> Self {
        self.provider = Some(id.into());
        self
    }

    /// With a forced provider, lets algorithms it lacks fall back to the best other
    /// provider. Off by default; every fallback is named in [`Engine::selections`].
    pub fn allow_fallback(mut self, allow: bool) -> Self {
        self.allow_fallback = allow;
        self
    }

    /// Ignores `WIRECRYPT_PROVIDER` (for programs that configure the engine themselves).
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    /// Turns FIPS mode on or off. Overrides `WIRECRYPT_FIPS`. See [`crate::fips`].
    pub fn fips(mut self, on: bool) -> Self {
        self.fips = Some(on);
        self
    }

    /// Corrupts the expected value of the named self-test (see
    /// [`selftest::names`](crate::fips::selftest::names)), to prove that a failure puts
    /// the engine into its error state. `WIRECRYPT_SELFTEST_BREAK` does the same in builds
    /// with the test-only `selftest-break` feature.
    pub fn break_self_test(mut self, name: impl Into<String>) -> Self {
        self.break_self_test = Some(name.into());
        self
    }

    /// Uses `cpu` instead of detecting: to exercise slower paths on a faster machine.
    pub fn cpu(mut self, cpu: CpuFeatures) -> Self {
        self.cpu = Some(cpu);
        self
    }

    /// Detects, selects, and builds the engine.
    ///
    /// Fails when the forced provider is unknown or cannot run here.
    pub fn build(self) -> Result<Engine, Error> {
        let cpu = self.cpu.unwrap_or_else(|| CpuFeatures::get().clone());
        let requested = match self.provider {
            Some(id) => Some(id),
            None if self.ignore_env => None,
            None => std::env::var(PROVIDER_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty()),
        };
        let forced = requested
            .map(|name| name.parse::<ProviderId>())
            .transpose()?;
        let candidates = candidates(&cpu);
        if let Some(id) = forced {
            let candidate = candidates
                .iter()
                .find(|c| c.id == id)
                .expect("candidates() lists every ProviderId");
            if let Err(reason) = &candidate.status {
                return Err(Error::ProviderUnavailable {
                    id,
                    reason: reason.clone(),
                });
            }
        }
        let env = |name| {
            if self.ignore_env {
                None
            } else {
                env_flag(name)
            }
        };
        let fips = self.fips.or_else(|| env(FIPS_ENV)).unwrap_or(false);
        let selections: Vec<(Algorithm, Choice)> = Algorithm::all()
            .map(|alg| {
                let picked = match alg.info().fips {
                    FipsStatus::NotApproved { rule } if fips => {
                        let sel = Selection {
                            algorithm: alg.id(),
                            provider: None,
                            reason: format!("refused in FIPS mode: {rule}"),
                        };
                        (None, sel)
                    }
                    _ => select(alg, &candidates, forced, self.allow_fallback),
                };
                (alg, picked)
            })
            .collect();
        let state = Arc::new(ErrorState::default());
        let handed = hand_out(&candidates, fips, &state);
        let selections = selections
            .into_iter()
            .map(|(alg, (raw, sel))| {
                let served = raw.map(|raw| {
                    let handed = handed_provider(&handed, &raw);
                    Served { raw, handed }
                });
                (alg, (served, sel))
            })
            .collect();
        let self_tests = if fips {
            let broken = self
                .break_self_test
                .clone()
                .or_else(|| (!self.ignore_env).then(selftest::break_from_env).flatten());
            let providers: Vec<Arc<dyn Provider>> = candidates
                .iter()
                .filter_map(|c| c.status.as_ref().ok().cloned())
                .collect();
            let refs: Vec<&dyn Provider> = providers.iter().map(|p| p.as_ref()).collect();
            let results = selftest::run(&refs, broken.as_deref());
            if let Some(failure) = selftest::first_failure(&results) {
                state.fail(failure);
            }
            results
        } else {
            Vec::new()
        };
        Ok(Engine {
            inner: Arc::new(Inner {
                cpu,
                raw_candidates: candidates,
                candidates: handed,
                forced,
                selections,
                fips,
                state,
                self_tests,
            }),
        })
    }
}

/// Picks the provider for one algorithm.
fn select(
    alg: Algorithm,
    candidates: &[Candidate],
    forced: Option<ProviderId>,
    allow_fallback: bool,
) -> Choice {
    let serving = |c: &Candidate| match &c.status {
        Ok(p) if p.supports(alg) => Some(p.clone()),
        _ => None,
    };
    let best = candidates
        .iter()
        .find_map(|c| serving(c).map(|p| (c.id, p)));
    let chosen = |id: ProviderId, p: Arc<dyn Provider>, reason: String| {
        let sel = Selection {
            algorithm: alg.id(),
            provider: Some(id),
            reason,
        };
        (Some(p), sel)
    };
    let none = |reason: String| {
        let sel = Selection {
            algorithm: alg.id(),
            provider: None,
            reason,
        };
        (None, sel)
    };
    match forced {
        Some(id) => {
            let forced_candidate = candidates.iter().find(|c| c.id == id);
            match (forced_candidate.and_then(serving), best) {
                (Some(p), _) => chosen(id, p, "forced".to_owned()),
                (None, Some((best_id, p))) if allow_fallback => chosen(
                    best_id,
                    p,
                    format!("fallback: forced provider {id} does not implement it"),
                ),
                _ => none(format!(
                    "forced provider {id} does not implement it (fallback is off)"
                )),
            }
        }
        None => match best {
            Some((id, p)) => {
                let passed_over: Vec<String> = candidates
                    .iter()
                    .take_while(|c| c.id != id)
                    .map(|c| match &c.status {
                        Ok(_) => format!("{} does not implement it", c.id),
                        Err(why) => format!("{} unavailable: {why}", c.id),
                    })
                    .collect();
                let reason = if passed_over.is_empty() {
                    "best available".to_owned()
                } else {
                    format!("best available ({})", passed_over.join("; "))
                };
                chosen(id, p, reason)
            }
            None => none("no available provider implements it".to_owned()),
        },
    }
}

/// The candidates as the engine hands them out: in FIPS mode every provider wrapped in
/// the policy and the engine's error state ([`FipsProvider`]), so that no accessor can
/// hand out a provider that keys around them.
fn hand_out(candidates: &[Candidate], fips: bool, state: &Arc<ErrorState>) -> Vec<Candidate> {
    candidates
        .iter()
        .map(|c| Candidate {
            id: c.id,
            status: match &c.status {
                Ok(p) if fips => {
                    Ok(Arc::new(FipsProvider::new(p.clone(), state.clone())) as Arc<dyn Provider>)
                }
                other => other.clone(),
            },
        })
        .collect()
}

/// The handed-out form of `raw`, one of the candidates.
fn handed_provider(handed: &[Candidate], raw: &Arc<dyn Provider>) -> Arc<dyn Provider> {
    handed
        .iter()
        .find(|c| c.id == raw.id())
        .and_then(|c| c.status.as_ref().ok().cloned())
        .expect("every selected provider is an available candidate")
}

/// The provider serving one algorithm: as the engine uses it, and as it hands it out.
struct Served {
    /// The provider itself; the engine wraps each key it makes from it.
    raw: Arc<dyn Provider>,
    /// What [`Engine::provider_for`] returns: in FIPS mode, a [`FipsProvider`].
    handed: Arc<dyn Provider>,
}

/// The provider chosen for one algorithm (if any), with the reason.
type Choice = (Option<Arc<dyn Provider>>, Selection);

/// The provider serving one algorithm (if any), with the reason.
type Picked = (Option<Served>, Selection);

struct Inner {
    cpu: CpuFeatures,
    /// Every provider this build knows, unwrapped: for the engine's own use (keys it
    /// wraps itself, self-tests). Never handed out.
    raw_candidates: Vec<Candidate>,
    /// The same, as handed out (see [`hand_out`]).
    candidates: Vec<Candidate>,
    forced: Option<ProviderId>,
    selections: Vec<(Algorithm, Picked)>,
    fips: bool,
    state: Arc<ErrorState>,
    self_tests: Vec<SelfTestResult>,
}

/// The engine: cheap to clone and to share between threads.
///
/// Build one with [`Engine::builder`], then ask it for keyed objects. Each comes from
/// the provider selected for its algorithm ([`Engine::selections`]).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// A builder with the defaults: best provider per algorithm, `WIRECRYPT_PROVIDER`
    /// honoured, no fallback from a forced provider.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The provider that serves `alg`, or why none does.
    ///
    /// In FIPS mode the provider keys only approved algorithms, refuses everything once
    /// the engine is in its error state, and its AEAD keys will not seal under the
    /// caller's nonces — the same rules as the engine's own methods.
    pub fn provider_for(&self, alg: impl Into<Algorithm>) -> Result<&Arc<dyn Provider>, Error> {
        Ok(&self.served(alg.into())?.handed)
    }

    /// The provider the engine keys `alg` with itself (it wraps each key it makes).
    fn raw_provider_for(&self, alg: impl Into<Algorithm>) -> Result<&Arc<dyn Provider>, Error> {
        Ok(&self.served(alg.into())?.raw)
    }

    fn served(&self, alg: Algorithm) -> Result<&Served, Error> {
        self.inner.state.check()?;
        if let (true, FipsStatus::NotApproved { rule }) = (self.inner.fips, alg.info().fips) {
            return Err(Error::FipsNotApproved {
                what: alg.id(),
                rule,
            });
        }
        let (provider, _) = self
            .inner
            .selections
            .iter()
            .find_map(|(a, s)| (*a == alg).then_some(s))
            .expect("the engine holds a selection for every algorithm");
        provider.as_ref().ok_or_else(|| match self.inner.forced {
            Some(id) => Error::Unsupported {
                provider: id,
                algorithm: alg.id(),
            },
            None => Error::NoProvider {
                algorithm: alg.id(),
            },
        })
    }

    /// A keyed AEAD from the selected provider.
    ///
    /// In FIPS mode the key opens but refuses to seal under caller-chosen nonces: use the
    /// TLS or SSH record layers, or [`Engine::aead_random_iv`].
    pub fn aead(&self, alg: AeadAlg, key: &[u8]) -> Result<Box<dyn AeadKey>, Error> {
        let key = self.raw_provider_for(alg)?.aead(alg, key)?;
        Ok(self.guard_aead(key, IvConstruction::CallerChosen))
    }

    /// A keyed AEAD for the engine's own protocol layers, whose nonces follow an approved
    /// construction (TLS 1.2, TLS 1.3, SSH per RFC 5647).
    ///
    /// The key is held by value (no second box around the provider's), with the FIPS
    /// error state checked inside it in FIPS mode.
    pub(crate) fn protocol_aead(&self, alg: AeadAlg, key: &[u8]) -> Result<ProtocolKey, Error> {
        let key = self.raw_provider_for(alg)?.aead(alg, key)?;
        let state = self.inner.fips.then(|| self.inner.state.clone());
        Ok(ProtocolKey::new(key, state))
    }

    fn guard_aead(&self, key: Box<dyn AeadKey>, iv: IvConstruction) -> Box<dyn AeadKey> {
        if !self.inner.fips {
            return key;
        }
        Box::new(Guarded {
            inner: key,
            state: self.inner.state.clone(),
            iv,
        })
    }

    fn guarded<T>(&self, inner: T) -> Guarded<T> {
        Guarded {
            inner,
            state: self.inner.state.clone(),
            iv: IvConstruction::Protocol,
        }
    }

    /// A keyed AEAD that draws a random 96-bit nonce for every message from the engine's
    /// health-tested generator: the approved way to use AES-GCM directly in FIPS mode.
    pub fn aead_random_iv(&self, alg: AeadAlg, key: &[u8]) -> Result<RandomIvAead, Error> {
        Ok(RandomIvAead::new(self.protocol_aead(alg, key)?, self.rng()))
    }

    /// A counter-mode cipher from the selected provider.
    pub fn cipher(
        &self,
        alg: CipherAlg,
        key: &[u8],
        iv: &[u8],
    ) -> Result<Box<dyn StreamCipher>, Error> {
        let c = self.raw_provider_for(alg)?.cipher(alg, key, iv)?;
        Ok(if self.inner.fips {
            Box::new(self.guarded(c))
        } else {
            c
        })
    }

    /// A counter-mode cipher whose keystream starts `offset` bytes into the one that
    /// begins at the 16-byte counter block `iv`: the keystream is seekable, so SSH packets
    /// under reserved sequence numbers can be encrypted on several threads, each from its
    /// own position (RFC 4344 §4: one keystream runs on across packets).
    ///
    /// The counter is the whole 128-bit block, big-endian, wrapping as every provider's
    /// does.
    pub fn cipher_at(
        &self,
        alg: CipherAlg,
        key: &[u8],
        iv: &[u8],
        offset: u64,
    ) -> Result<Box<dyn StreamCipher>, Error> {
        const BLOCK: u64 = 16;
        let start: [u8; 16] = iv.try_into().map_err(|_| Error::InvalidNonceLength {
            algorithm: alg.id(),
            expected: 16,
            actual: iv.len(),
        })?;
        let block = u128::from_be_bytes(start).wrapping_add(u128::from(offset / BLOCK));
        let mut cipher = self.cipher(alg, key, &block.to_be_bytes())?;
        let into_block = (offset % BLOCK) as usize;
        if into_block > 0 {
            // Step over the part of the first block before `offset`.
            let mut skipped = [0u8; BLOCK as usize];
            cipher.apply_keystream(&mut skipped[..into_block])?;
            zeroize::Zeroize::zeroize(&mut skipped);
        }
        Ok(cipher)
    }

    /// A keyed MAC from the selected provider.
    pub fn mac(&self, alg: MacAlg, key: &[u8]) -> Result<Box<dyn MacKey>, Error> {
        let m = self.raw_provider_for(alg)?.mac(alg, key)?;
        Ok(if self.inner.fips {
            Box::new(self.guarded(m))
        } else {
            m
        })
    }

    /// A hash context from the selected provider.
    pub fn hash(&self, alg: HashAlg) -> Result<Box<dyn HashContext>, Error> {
        let h = self.raw_provider_for(alg)?.hash(alg)?;
        Ok(if self.inner.fips {
            Box::new(self.guarded(h))
        } else {
            h
        })
    }

    /// The hash of `data`.
    pub fn digest(&self, alg: HashAlg, data: &[u8]) -> Result<Digest, Error> {
        let mut ctx = self.hash(alg)?;
        ctx.update(data)?;
        ctx.finish()
    }

    /// A health-tested RNG fed by the best (or forced) provider's random source. In FIPS
    /// mode a health-test failure also puts the engine into its error state.
    pub fn rng(&self) -> EngineRng {
        let provider = match self.inner.forced {
            Some(id) => self.provider(id),
            None => None,
        }
        .or_else(|| self.available().next())
        .expect("at least the rustcrypto provider is always available");
        let rng = EngineRng::new(provider);
        if self.inner.fips {
            rng.with_error_state(self.inner.state.clone())
        } else {
            rng
        }
    }

    /// The engine's error state, for tests that trip it from outside.
    #[cfg(test)]
    pub(crate) fn inner_state(&self) -> Arc<ErrorState> {
        self.inner.state.clone()
    }

    /// True in FIPS mode.
    pub fn fips_mode(&self) -> bool {
        self.inner.fips
    }

    /// `Ok` unless a self-test or health test has put the engine into its error state.
    pub fn status(&self) -> Result<(), Error> {
        self.inner.state.check()
    }

    /// The self-tests run when this engine was built (FIPS mode only; empty otherwise).
    pub fn self_tests(&self) -> &[SelfTestResult] {
        &self.inner.self_tests
    }

    /// Runs every self-test now on every available provider, in any mode, and returns the
    /// results; does not change the engine's state.
    pub fn run_self_tests(&self) -> Vec<SelfTestResult> {
        // The known-answer tests seal under fixed nonces, which the handed-out FIPS
        // providers rightly refuse; the tests read nothing back but pass/fail.
        let providers: Vec<Arc<dyn Provider>> = self
            .inner
            .raw_candidates
            .iter()
            .filter_map(|c| c.status.as_ref().ok().cloned())
            .collect();
        let refs: Vec<&dyn Provider> = providers.iter().map(|p| p.as_ref()).collect();
        selftest::run(&refs, None)
    }

    /// The provider with `id`, when it is available here. In FIPS mode it keys under the
    /// same rules as [`provider_for`](Self::provider_for).
    pub fn provider(&self, id: ProviderId) -> Option<Arc<dyn Provider>> {
        self.inner
            .candidates
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.status.as_ref().ok().cloned())
    }

    /// Every available provider, best first. In FIPS mode each keys under the same rules
    /// as [`provider_for`](Self::provider_for).
    pub fn available(&self) -> impl Iterator<Item = Arc<dyn Provider>> + '_ {
        self.inner
            .candidates
            .iter()
            .filter_map(|c| c.status.as_ref().ok().cloned())
    }

    /// Every provider this build knows, with whether it can run here. In FIPS mode each
    /// available one keys under the same rules as [`provider_for`](Self::provider_for).
    pub fn candidates(&self) -> &[Candidate] {
        &self.inner.candidates
    }

    /// For each algorithm, which provider serves it and why.
    pub fn selections(&self) -> impl Iterator<Item = &Selection> + '_ {
        self.inner.selections.iter().map(|(_, (_, s))| s)
    }

    /// The forced provider, if any.
    pub fn forced(&self) -> Option<ProviderId> {
        self.inner.forced
    }

    /// What CPU detection found.
    pub fn cpu(&self) -> &CpuFeatures {
        &self.inner.cpu
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("forced", &self.inner.forced)
            .field("fips", &self.inner.fips)
            .field(
                "available",
                &self.available().map(|p| p.id()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_engine_serves_every_algorithm() {
        let engine = Engine::builder().ignore_env().build().unwrap();
        for sel in engine.selections() {
            assert!(sel.provider.is_some(), "{sel:?}");
        }
        assert!(engine.forced().is_none());
    }

    #[test]
    fn forcing_an_unknown_provider_names_the_valid_ones() {
        let err = Engine::builder()
            .provider("nonexistent")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::UnknownProvider { .. }));
        assert!(err.to_string().contains("rustcrypto"), "{err}");
    }

    #[test]
    fn forcing_rustcrypto_reports_forced() {
        let engine = Engine::builder().provider("rustcrypto").build().unwrap();
        assert_eq!(engine.forced(), Some(ProviderId::RustCrypto));
        assert!(engine.selections().all(|s| s.reason == "forced"));
    }

    #[test]
    fn keys_and_rng_work_through_the_engine() {
        let engine = Engine::builder().ignore_env().build().unwrap();
        let key = engine.aead(AeadAlg::Aes128Gcm, &[1; 16]).unwrap();
        let mut buf = *b"0123456789";
        let tag = key.seal_in_place(&[0; 12], b"", &mut buf).unwrap();
        assert_ne!(&buf, b"0123456789");
        key.open_in_place(&[0; 12], b"", &mut buf, &tag).unwrap();
        assert_eq!(&buf, b"0123456789");
        let mut r = [0u8; 32];
        engine.rng().fill(&mut r).unwrap();
        assert_ne!(r, [0u8; 32]);
    }
}
