//! The `detail` of Security Hub's EventBridge events.

use crate::object::asff_object;
use crate::Finding;

asff_object! {
    /// The `detail` of `Security Hub Findings - Imported` and
    /// `Security Hub Findings - Custom Action` events.
    pub struct SecurityHubDetail {
        /// The findings, in full ASFF.
        "findings" => findings: required<Vec<Finding>>,
        /// The custom action's name (custom action events only).
        "actionName" => action_name: optional<String>,
        /// The custom action's description (custom action events only).
        "actionDescription" => action_description: optional<String>,
    }
}
