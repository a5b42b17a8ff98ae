//! The `detail` of a `CloudWatch Alarm State Change` event.

use crate::object::{asff_enum, asff_object};

asff_enum! {
    /// The state of an alarm.
    pub enum AlarmStateValue {
        /// The metric is within its threshold.
        Ok = "OK",
        /// The metric is outside its threshold.
        Alarm = "ALARM",
        /// Not enough data to decide.
        InsufficientData = "INSUFFICIENT_DATA",
    }
}

asff_object! {
    /// An alarm's change of state.
    pub struct AlarmStateChange {
        /// The alarm's name; soar reads the severity and domain from it.
        "alarmName" => alarm_name: required<String>,
        /// The new state.
        "state" => state: required<AlarmState>,
        /// The state before.
        "previousState" => previous_state: optional<AlarmState>,
        /// The alarm's configuration when it changed.
        "configuration" => configuration: optional<AlarmConfiguration>,
    }
}

asff_object! {
    /// One state of an alarm.
    pub struct AlarmState {
        /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
        "value" => value: required<AlarmStateValue>,
        /// Why, in words.
        "reason" => reason: optional<String>,
        /// Why, as a JSON document encoded in a string (kept as the string).
        "reasonData" => reason_data: optional<String>,
        /// When, as CloudWatch writes it (`2019-10-02T17:04:40.989+0000`).
        "timestamp" => timestamp: optional<String>,
    }
}

asff_object! {
    /// An alarm's configuration.
    pub struct AlarmConfiguration {
        /// The alarm's description.
        "description" => description: optional<String>,
        /// The metrics the alarm watches.
        "metrics" => metrics: optional<Vec<serde_json::Value>>,
        /// The rule of a composite alarm.
        "alarmRule" => alarm_rule: optional<String>,
    }
}

impl AlarmStateChange {
    /// The value of a metric dimension, such as `FunctionName` or
    /// `StateMachineArn`, from the first metric that has it.
    pub fn dimension(&self, name: &str) -> Option<&str> {
        self.configuration
            .as_ref()?
            .metrics
            .as_ref()?
            .iter()
            .find_map(|metric| {
                metric
                    .pointer("/metricStat/metric/dimensions")?
                    .get(name)?
                    .as_str()
            })
    }
}
