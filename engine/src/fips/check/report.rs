//! What the validator finds: one [`Item`] per algorithm or switch, each with the policy's
//! verdict, the rule and the document behind it, plus compliant [`Replacement`] lines,
//! [`Note`]s, and an [`Overall`] status. Serializable for `wirecrypt fips check --json`.

use serde::Serialize;

use crate::fips::policy::{Status, Verdict};

/// The overall result of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// Every item is approved by the FIPS policy.
    Compliant,
    /// At least one item is not approved or unknown.
    NotCompliant,
    /// At least one input could not be read; nothing can be said about it.
    Unreadable,
}

impl Overall {
    /// The status as printed: `COMPLIANT`, `NOT COMPLIANT`, `UNREADABLE`.
    pub fn label(self) -> &'static str {
        match self {
            Overall::Compliant => "COMPLIANT",
            Overall::NotCompliant => "NOT COMPLIANT",
            Overall::Unreadable => "UNREADABLE",
        }
    }

    /// The process exit status `wirecrypt fips check` uses: 0, 1, 2.
    pub fn exit_code(self) -> u8 {
        match self {
            Overall::Compliant => 0,
            Overall::NotCompliant => 1,
            Overall::Unreadable => 2,
        }
    }
}

/// One algorithm (or protocol switch) found in an input, with the policy's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Where it comes from: `sshd_config:12`, `sshd_config:default` (a compiled-in
    /// default), `tls-cipher-string`.
    pub source: String,
    /// The block it applies in (`Match User backup`, `Host legacy`), or `None` when it
    /// applies everywhere.
    pub scope: Option<String>,
    /// The setting: `Ciphers`, `ssl_ciphers`, `ssl_tlsv1`.
    pub setting: String,
    /// The algorithm or value: `chacha20-poly1305@openssh.com`, `YES`.
    pub value: String,
    /// Approved, not approved or unknown.
    pub verdict: Status,
    /// The rule behind the verdict.
    pub rule: String,
    /// The document the rule comes from (`SP 800-52r2 §3.3.1`).
    pub source_doc: String,
    /// For an item that is not approved: the compliant line that replaces its setting.
    pub replacement: Option<String>,
}

impl Item {
    /// An item carrying a policy verdict.
    pub fn new(
        source: impl Into<String>,
        setting: impl Into<String>,
        value: impl Into<String>,
        verdict: Verdict,
    ) -> Item {
        Item {
            source: source.into(),
            scope: None,
            setting: setting.into(),
            value: value.into(),
            verdict: verdict.status,
            rule: verdict.rule.to_owned(),
            source_doc: verdict.source.to_owned(),
            replacement: None,
        }
    }

    /// The same item, in a conditional block.
    pub fn in_scope(mut self, scope: Option<String>) -> Item {
        self.scope = scope;
        self
    }

    /// The same item with its rule text replaced (the verdict and source stay).
    pub fn with_rule(mut self, rule: impl Into<String>) -> Item {
        self.rule = rule.into();
        self
    }
}

/// A compliant line to put in place of a setting that has items not approved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Replacement {
    /// Where the setting is (or would go): `sshd_config:12`, `sshd_config:default`.
    pub source: String,
    /// The block it belongs in, or `None` for the global section.
    pub scope: Option<String>,
    /// The setting replaced.
    pub setting: String,
    /// The whole replacement line, ready to paste: `Ciphers aes256-gcm@openssh.com,...`.
    pub line: String,
}

/// Something worth knowing that is not itself a verdict: how a cipher string was
/// expanded, an `Include` that was followed or not, a line the program would refuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Where: a file and line, or an input name.
    pub source: String,
    /// What.
    pub message: String,
}

/// The result of checking one or more inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Overall status; kept current by every method that adds to the report.
    pub status: Overall,
    /// The inputs checked, as named on the command line.
    pub inputs: Vec<String>,
    /// Every item, in input order.
    pub items: Vec<Item>,
    /// Compliant replacement lines for the settings that need them.
    pub replacements: Vec<Replacement>,
    /// Notes.
    pub notes: Vec<Note>,
    /// Inputs that could not be read, with why.
    pub unreadable: Vec<Note>,
}

impl Default for Report {
    fn default() -> Report {
        Report {
            status: Overall::Compliant,
            inputs: Vec::new(),
            items: Vec::new(),
            replacements: Vec::new(),
            notes: Vec::new(),
            unreadable: Vec::new(),
        }
    }
}

impl Report {
    /// An empty report about one input.
    pub fn new(input: impl Into<String>) -> Report {
        Report {
            inputs: vec![input.into()],
            ..Report::default()
        }
    }

    /// A report saying that `input` could not be read, and why.
    pub fn unreadable(input: impl Into<String>, why: impl Into<String>) -> Report {
        let input = input.into();
        let mut report = Report::new(input.clone());
        report.mark_unreadable(input, why);
        report
    }

    /// Records that (part of) an input could not be read.
    pub fn mark_unreadable(&mut self, source: impl Into<String>, why: impl Into<String>) {
        self.unreadable.push(Note {
            source: source.into(),
            message: why.into(),
        });
        self.refresh();
    }

    /// Adds a note.
    pub fn note(&mut self, source: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            source: source.into(),
            message: message.into(),
        });
    }

    /// Adds the items of one setting. When any of them is not approved and `replacement`
    /// is given, the replacement is recorded and each such item points to it.
    pub fn add_setting(&mut self, mut items: Vec<Item>, replacement: Option<Replacement>) {
        let needs = items.iter().any(|i| !i.verdict.is_approved());
        if let (true, Some(r)) = (needs, replacement) {
            for item in items.iter_mut().filter(|i| !i.verdict.is_approved()) {
                item.replacement = Some(r.line.clone());
            }
            self.replacements.push(r);
        }
        self.items.extend(items);
        self.refresh();
    }

    /// Adds everything from another report.
    pub fn merge(&mut self, other: Report) {
        self.inputs.extend(other.inputs);
        self.items.extend(other.items);
        self.replacements.extend(other.replacements);
        self.notes.extend(other.notes);
        self.unreadable.extend(other.unreadable);
        self.refresh();
    }

    /// How many items are approved, not approved, and unknown.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |s: Status| self.items.iter().filter(|i| i.verdict == s).count();
        (
            count(Status::Approved),
            count(Status::NotApproved),
            count(Status::Unknown),
        )
    }

    fn refresh(&mut self) {
        self.status = if !self.unreadable.is_empty() {
            Overall::Unreadable
        } else if self.items.iter().any(|i| !i.verdict.is_approved()) {
            Overall::NotCompliant
        } else {
            Overall::Compliant
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fips::policy;

    #[test]
    fn status_follows_the_items_and_unreadable_inputs_win() {
        let mut r = Report::new("x");
        assert_eq!(r.status, Overall::Compliant);
        r.add_setting(
            vec![Item::new(
                "x:1",
                "Ciphers",
                "aes128-ctr",
                policy::ssh_cipher("aes128-ctr"),
            )],
            None,
        );
        assert_eq!(r.status, Overall::Compliant);
        let bad = Item::new(
            "x:2",
            "Ciphers",
            "chacha20-poly1305@openssh.com",
            policy::ssh_cipher("chacha20-poly1305@openssh.com"),
        );
        let fix = Replacement {
            source: "x:2".into(),
            scope: None,
            setting: "Ciphers".into(),
            line: "Ciphers aes128-ctr".into(),
        };
        r.add_setting(vec![bad], Some(fix));
        assert_eq!(r.status, Overall::NotCompliant);
        assert_eq!(
            r.items[1].replacement.as_deref(),
            Some("Ciphers aes128-ctr")
        );
        assert_eq!(r.items[0].replacement, None);
        assert_eq!(r.counts(), (1, 1, 0));
        r.merge(Report::unreadable("y", "No such file or directory"));
        assert_eq!(r.status, Overall::Unreadable);
        assert_eq!(r.status.exit_code(), 2);
        assert_eq!(r.inputs, ["x", "y"]);
    }

    #[test]
    fn a_compliant_setting_gets_no_replacement() {
        let mut r = Report::new("x");
        let fix = Replacement {
            source: "x:1".into(),
            scope: None,
            setting: "MACs".into(),
            line: "MACs hmac-sha2-256".into(),
        };
        r.add_setting(
            vec![Item::new(
                "x:1",
                "MACs",
                "hmac-sha2-256",
                policy::ssh_mac("hmac-sha2-256"),
            )],
            Some(fix),
        );
        assert!(r.replacements.is_empty());
    }
}
