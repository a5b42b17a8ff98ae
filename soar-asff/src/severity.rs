//! Severity: the label, the normalized score, and the mapping between them.
//!
//! ASFF carries severity in up to four members. `Label` is what people and
//! rules read; `Normalized` (0..=100) is the older score that some producers
//! still send alone (GuardDuty's 2019 ASFF, several third-party tools).
//! [`Severity::effective_label`] and [`Severity::effective_normalized`] give
//! one answer whichever members are present, using the bands Security Hub
//! itself documents.

use crate::object::{asff_enum, asff_object};

asff_enum! {
    /// The severity label of a finding.
    ///
    /// Ordered from least to most severe, so `label >= SeverityLabel::High`
    /// reads as it should.
    pub enum SeverityLabel {
        /// No issue was found.
        Informational = "INFORMATIONAL",
        /// The issue does not require action on its own.
        Low = "LOW",
        /// The issue must be addressed but not urgently.
        Medium = "MEDIUM",
        /// The issue must be addressed as a priority.
        High = "HIGH",
        /// The issue must be remediated immediately to avoid it escalating.
        Critical = "CRITICAL",
    }
}

impl SeverityLabel {
    /// The label for a normalized score, using Security Hub's bands:
    /// 0 informational, 1–39 low, 40–69 medium, 70–89 high, 90–100 critical.
    /// Scores outside 0..=100 are clamped into it.
    pub const fn from_normalized(score: i32) -> Self {
        match score {
            i32::MIN..=0 => SeverityLabel::Informational,
            1..=39 => SeverityLabel::Low,
            40..=69 => SeverityLabel::Medium,
            70..=89 => SeverityLabel::High,
            _ => SeverityLabel::Critical,
        }
    }

    /// The normalized score Security Hub assigns when a finding has only a
    /// label: the lower bound of the label's band.
    pub const fn normalized(self) -> i32 {
        match self {
            SeverityLabel::Informational => 0,
            SeverityLabel::Low => 1,
            SeverityLabel::Medium => 40,
            SeverityLabel::High => 70,
            SeverityLabel::Critical => 90,
        }
    }
}

asff_object! {
    /// The `Severity` member of a finding.
    pub struct Severity {
        /// The severity label; the member most consumers read.
        "Label" => label: optional<SeverityLabel>,
        /// Deprecated by AWS in favour of `Label`, but still sent alone by
        /// some producers. 0..=100.
        "Normalized" => normalized: optional<i32>,
        /// The producer's own severity, as text.
        "Original" => original: optional<String>,
        /// Deprecated by AWS: the producer's native score. Kept as a
        /// [`serde_json::Number`] so that `8` and `8.0` are written back as
        /// they came.
        "Product" => product: optional<serde_json::Number>,
    }
}

impl Severity {
    /// A severity with only a label, as new findings should be written.
    pub fn from_label(label: SeverityLabel) -> Self {
        Severity {
            label: Some(label),
            ..Severity::default()
        }
    }

    /// The label, or failing that the label of the normalized score.
    pub fn effective_label(&self) -> Option<SeverityLabel> {
        self.label
            .or_else(|| self.normalized.map(SeverityLabel::from_normalized))
    }

    /// The normalized score, or failing that the one Security Hub derives
    /// from the label.
    pub fn effective_normalized(&self) -> Option<i32> {
        self.normalized
            .or_else(|| self.label.map(SeverityLabel::normalized))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_bands_match_security_hub() {
        let cases = [
            (0, SeverityLabel::Informational),
            (1, SeverityLabel::Low),
            (39, SeverityLabel::Low),
            (40, SeverityLabel::Medium),
            (69, SeverityLabel::Medium),
            (70, SeverityLabel::High),
            (89, SeverityLabel::High),
            (90, SeverityLabel::Critical),
            (100, SeverityLabel::Critical),
            (-5, SeverityLabel::Informational),
            (250, SeverityLabel::Critical),
        ];
        for (score, label) in cases {
            assert_eq!(
                SeverityLabel::from_normalized(score),
                label,
                "score {score}"
            );
        }
    }

    #[test]
    fn label_to_score_to_label_is_identity() {
        for &label in SeverityLabel::ALL {
            assert_eq!(SeverityLabel::from_normalized(label.normalized()), label);
        }
    }

    #[test]
    fn labels_order_by_severity() {
        assert!(SeverityLabel::Critical > SeverityLabel::High);
        assert!(SeverityLabel::Low > SeverityLabel::Informational);
    }

    #[test]
    fn effective_values_fall_back_to_each_other() {
        let only_score = Severity {
            normalized: Some(75),
            ..Severity::default()
        };
        assert_eq!(only_score.effective_label(), Some(SeverityLabel::High));
        let only_label = Severity::from_label(SeverityLabel::Medium);
        assert_eq!(only_label.effective_normalized(), Some(40));
        assert_eq!(Severity::default().effective_label(), None);
    }
}
