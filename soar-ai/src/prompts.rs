//! The prompts: templates with named slots, one per kind of message.
//!
//! Each template is a text file in the crate's `prompts/` folder, built in
//! with `include_str!`, and any of them can be replaced: from a folder of
//! your own ([`Prompts::from_dir`], one `<name>.txt` per template you
//! replace) or from a string ([`Prompts::set`]).
//!
//! A slot is written `{{name}}`. Each template has the slots its kind
//! fills ([`PromptKind::slots`]); loading a template that names a slot its
//! kind does not fill, or that leaves out one its kind requires, fails at
//! load time with [`PromptError`], not when the first message is written.
//!
//! ```
//! use soar_ai::prompts::{PromptKind, Prompts};
//!
//! let mut prompts = Prompts::builtin();
//! prompts.set(PromptKind::TicketOpened, "Explain {{finding}} in two lines.")?;
//! let error = prompts.set(PromptKind::TicketOpened, "Explain {{findings}}.").unwrap_err();
//! assert!(error.to_string().contains("`findings`"));
//! # Ok::<(), soar_ai::prompts::PromptError>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The kinds of prompt soar sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// The system prompt of every request: who the model is for, and how
    /// it answers.
    System,
    /// A failed control soar fixed.
    Autoremediation,
    /// A failed control ticketed for a team.
    TicketOpened,
    /// A ticket closed because its finding is resolved.
    TicketClosed,
    /// An incident in an application account or workload.
    IncidentApp,
    /// An incident in the infrastructure.
    IncidentInfra,
    /// The weekly report's overview.
    Overview,
    /// The weekly report's section of one account.
    Account,
    /// The weekly report's recommendations.
    Recommendations,
}

/// Slots every finding message fills.
const FINDING_SLOTS: &[&str] = &[
    "finding",
    "account",
    "control",
    "decision",
    "actions_taken",
    "actions_required",
    "iac",
];

impl PromptKind {
    /// Every kind, in order.
    pub const ALL: [PromptKind; 9] = [
        PromptKind::System,
        PromptKind::Autoremediation,
        PromptKind::TicketOpened,
        PromptKind::TicketClosed,
        PromptKind::IncidentApp,
        PromptKind::IncidentInfra,
        PromptKind::Overview,
        PromptKind::Account,
        PromptKind::Recommendations,
    ];

    /// The template's name, and its file name without `.txt`.
    pub fn name(self) -> &'static str {
        match self {
            PromptKind::System => "system",
            PromptKind::Autoremediation => "autoremediation",
            PromptKind::TicketOpened => "ticket_opened",
            PromptKind::TicketClosed => "ticket_closed",
            PromptKind::IncidentApp => "incident_app",
            PromptKind::IncidentInfra => "incident_infra",
            PromptKind::Overview => "overview",
            PromptKind::Account => "account",
            PromptKind::Recommendations => "recommendations",
        }
    }

    /// The slots this kind fills: a template may use any of them.
    pub fn slots(self) -> &'static [&'static str] {
        match self {
            PromptKind::System => &["iac"],
            PromptKind::Autoremediation
            | PromptKind::TicketOpened
            | PromptKind::TicketClosed
            | PromptKind::IncidentApp
            | PromptKind::IncidentInfra => FINDING_SLOTS,
            PromptKind::Overview => &["period", "stats"],
            PromptKind::Account => &["period", "account", "stats"],
            PromptKind::Recommendations => &["period", "stats", "iac"],
        }
    }

    /// The slots a template of this kind must use: without them the model
    /// has nothing to work on.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            PromptKind::System => &[],
            PromptKind::Overview | PromptKind::Recommendations => &["stats"],
            PromptKind::Account => &["account", "stats"],
            _ => &["finding"],
        }
    }

    /// The built-in template.
    pub fn builtin(self) -> &'static str {
        match self {
            PromptKind::System => include_str!("../prompts/system.txt"),
            PromptKind::Autoremediation => include_str!("../prompts/autoremediation.txt"),
            PromptKind::TicketOpened => include_str!("../prompts/ticket_opened.txt"),
            PromptKind::TicketClosed => include_str!("../prompts/ticket_closed.txt"),
            PromptKind::IncidentApp => include_str!("../prompts/incident_app.txt"),
            PromptKind::IncidentInfra => include_str!("../prompts/incident_infra.txt"),
            PromptKind::Overview => include_str!("../prompts/overview.txt"),
            PromptKind::Account => include_str!("../prompts/account.txt"),
            PromptKind::Recommendations => include_str!("../prompts/recommendations.txt"),
        }
    }
}

impl std::str::FromStr for PromptKind {
    type Err = String;

    /// A kind by its [`name`](PromptKind::name): `ticket_opened`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        PromptKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = PromptKind::ALL.iter().map(|k| k.name()).collect();
                format!("no prompt `{name}` (there are: {})", names.join(", "))
            })
    }
}

impl std::fmt::Display for PromptKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a template did not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PromptError {
    /// The template names a slot its kind does not fill.
    #[error("template `{template}`, line {line}: no slot `{slot}` (it has: {known})")]
    UnknownSlot {
        /// The template.
        template: PromptKind,
        /// The slot named.
        slot: String,
        /// Its line, from 1.
        line: usize,
        /// The slots the kind fills, comma-separated.
        known: String,
    },
    /// The template leaves out a slot its kind requires.
    #[error("template `{template}` does not use the slot `{{{{{slot}}}}}`, which it needs")]
    MissingSlot {
        /// The template.
        template: PromptKind,
        /// The slot.
        slot: &'static str,
    },
    /// A `{{` without its `}}`.
    #[error("template `{template}`, line {line}: `{{{{` is not closed")]
    Unclosed {
        /// The template.
        template: PromptKind,
        /// Its line, from 1.
        line: usize,
    },
    /// A template file could not be read.
    #[error("cannot read template {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Slot(&'static str),
}

/// One parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    kind: PromptKind,
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text` as a template of `kind`, checking its slots.
    ///
    /// # Errors
    /// [`PromptError`]: an unknown slot, a missing required slot, or an
    /// unclosed `{{`.
    pub fn parse(kind: PromptKind, text: &str) -> Result<Self, PromptError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let line = text.len() - rest.len() + start;
            let line = text[..line].matches('\n').count() + 1;
            let Some(length) = rest[start + 2..].find("}}") else {
                return Err(PromptError::Unclosed {
                    template: kind,
                    line,
                });
            };
            let name = rest[start + 2..start + 2 + length].trim();
            let slot = kind
                .slots()
                .iter()
                .find(|slot| **slot == name)
                .ok_or_else(|| PromptError::UnknownSlot {
                    template: kind,
                    slot: name.to_owned(),
                    line,
                    known: kind.slots().join(", "),
                })?;
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_owned()));
            }
            pieces.push(Piece::Slot(slot));
            rest = &rest[start + 2 + length + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        for required in kind.required() {
            if !pieces.contains(&Piece::Slot(required)) {
                return Err(PromptError::MissingSlot {
                    template: kind,
                    slot: required,
                });
            }
        }
        Ok(Template { kind, pieces })
    }

    /// The kind of prompt it is.
    pub fn kind(&self) -> PromptKind {
        self.kind
    }

    /// The slots the template uses, in order, once each.
    pub fn used_slots(&self) -> Vec<&'static str> {
        let mut used = Vec::new();
        for piece in &self.pieces {
            if let Piece::Slot(slot) = piece {
                if !used.contains(slot) {
                    used.push(*slot);
                }
            }
        }
        used
    }

    /// The template with its slots filled from `values`; a slot without a
    /// value is left empty (the kind fills each of its slots, with `-`
    /// when it has nothing to say).
    pub fn render(&self, values: &BTreeMap<&'static str, String>) -> String {
        self.render_with(values, &mut |part| part.to_owned())
    }

    /// [`render`](Self::render) with the template's own words masked by
    /// `masker` (the values are already).
    pub fn render_masked(
        &self,
        values: &BTreeMap<&'static str, String>,
        masker: &mut crate::anonymise::Masker,
    ) -> String {
        self.render_with(values, &mut |part| masker.mask(part))
    }

    fn render_with(
        &self,
        values: &BTreeMap<&'static str, String>,
        text_of: &mut dyn FnMut(&str) -> String,
    ) -> String {
        let mut text = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(part) => text.push_str(&text_of(part)),
                Piece::Slot(slot) => text.push_str(values.get(slot).map_or("", String::as_str)),
            }
        }
        text.trim().to_owned()
    }
}

/// One template per [`PromptKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompts {
    templates: BTreeMap<PromptKind, Template>,
}

impl Prompts {
    /// The built-in templates.
    pub fn builtin() -> Self {
        let templates = PromptKind::ALL
            .into_iter()
            .filter_map(|kind| {
                // The built-in templates are tested to parse.
                Template::parse(kind, kind.builtin())
                    .ok()
                    .map(|template| (kind, template))
            })
            .collect();
        Prompts { templates }
    }

    /// The built-in templates, with each `<name>.txt` in `dir` in place of
    /// its built-in one (`ticket_opened.txt` replaces
    /// [`PromptKind::TicketOpened`]). Other files are ignored.
    ///
    /// # Errors
    /// [`PromptError`] for a file that cannot be read or does not parse.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, PromptError> {
        let mut prompts = Prompts::builtin();
        for kind in PromptKind::ALL {
            let path = dir.as_ref().join(format!("{}.txt", kind.name()));
            match std::fs::read_to_string(&path) {
                Ok(text) => prompts.set(kind, &text)?,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(PromptError::Read { path, source }),
            }
        }
        Ok(prompts)
    }

    /// Replaces the template of `kind` with `text`.
    ///
    /// # Errors
    /// [`PromptError`] when `text` does not parse; the template in place
    /// is kept.
    pub fn set(&mut self, kind: PromptKind, text: &str) -> Result<(), PromptError> {
        let template = Template::parse(kind, text)?;
        self.templates.insert(kind, template);
        Ok(())
    }

    /// The template of `kind`.
    pub fn get(&self, kind: PromptKind) -> Option<&Template> {
        self.templates.get(&kind)
    }

    /// The template of `kind` rendered with `values`; the built-in one if
    /// (against its tests) it did not parse.
    pub fn render(&self, kind: PromptKind, values: &BTreeMap<&'static str, String>) -> String {
        match self.templates.get(&kind) {
            Some(template) => template.render(values),
            None => kind.builtin().to_owned(),
        }
    }

    /// [`render`](Self::render), with the template's own words masked by
    /// `masker` ([`Template::render_masked`]).
    pub fn render_masked(
        &self,
        kind: PromptKind,
        values: &BTreeMap<&'static str, String>,
        masker: &mut crate::anonymise::Masker,
    ) -> String {
        match self.templates.get(&kind) {
            Some(template) => template.render_masked(values, masker),
            None => masker.mask(kind.builtin()),
        }
    }
}

impl Default for Prompts {
    fn default() -> Self {
        Prompts::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_parses_with_its_required_slots() {
        for kind in PromptKind::ALL {
            let template =
                Template::parse(kind, kind.builtin()).unwrap_or_else(|e| panic!("{kind}: {e}"));
            for slot in kind.required() {
                assert!(template.used_slots().contains(slot), "{kind} lacks {slot}");
            }
        }
        assert_eq!(Prompts::builtin().templates.len(), PromptKind::ALL.len());
    }

    #[test]
    fn kinds_are_named() {
        for kind in PromptKind::ALL {
            assert_eq!(kind.name().parse(), Ok(kind));
        }
        assert!("ticket"
            .parse::<PromptKind>()
            .unwrap_err()
            .contains("ticket_opened"));
    }

    #[test]
    fn slots_are_filled_in_place() {
        let template = Template::parse(
            PromptKind::Account,
            "Account {{ account }}:\n{{stats}}\n({{period}}, {{account}})",
        )
        .unwrap();
        let values = BTreeMap::from([
            ("account", "<ACCOUNT_1>".to_owned()),
            ("stats", "3 tickets".to_owned()),
            ("period", "week 49".to_owned()),
        ]);
        assert_eq!(
            template.render(&values),
            "Account <ACCOUNT_1>:\n3 tickets\n(week 49, <ACCOUNT_1>)"
        );
        assert_eq!(template.used_slots(), ["account", "stats", "period"]);
    }

    #[test]
    fn an_unknown_slot_is_named_with_its_line() {
        let error =
            Template::parse(PromptKind::TicketOpened, "About:\n{{finding}}\n{{team}}").unwrap_err();
        assert!(matches!(error, PromptError::UnknownSlot { line: 3, .. }));
        assert_eq!(
            error.to_string(),
            "template `ticket_opened`, line 3: no slot `team` (it has: finding, account, control, decision, actions_taken, actions_required, iac)"
        );
    }

    #[test]
    fn a_template_without_its_required_slot_does_not_load() {
        let error =
            Template::parse(PromptKind::Account, "Say something about {{stats}}.").unwrap_err();
        assert_eq!(
            error.to_string(),
            "template `account` does not use the slot `{{account}}`, which it needs"
        );
        let unclosed = Template::parse(PromptKind::Overview, "{{stats}}\n\n{{period").unwrap_err();
        assert!(matches!(unclosed, PromptError::Unclosed { line: 3, .. }));
    }

    #[test]
    fn a_folder_replaces_the_templates_it_has() {
        let dir = std::env::temp_dir().join(format!("soar-ai-prompts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ticket_closed.txt"), "Closed: {{finding}}").unwrap();
        std::fs::write(dir.join("notes.md"), "ignored").unwrap();
        let prompts = Prompts::from_dir(&dir).unwrap();
        let values = BTreeMap::from([("finding", "S3.8".to_owned())]);
        assert_eq!(
            prompts.render(PromptKind::TicketClosed, &values),
            "Closed: S3.8"
        );
        assert_eq!(
            prompts.get(PromptKind::TicketOpened),
            Prompts::builtin().get(PromptKind::TicketOpened)
        );
        std::fs::write(dir.join("overview.txt"), "No stats here").unwrap();
        let error = Prompts::from_dir(&dir).unwrap_err();
        assert!(matches!(
            error,
            PromptError::MissingSlot { slot: "stats", .. }
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
