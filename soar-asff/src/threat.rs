//! What a threat-detection finding observed: malware, network traffic,
//! processes, threat intelligence and the API action involved.
//!
//! The members soar's triage reads are typed; deeper structures stay raw JSON.

use crate::object::asff_object;

asff_object! {
    /// One piece of malware related to a finding.
    pub struct Malware {
        /// The malware's name.
        "Name" => name: required<String>,
        /// The kind of malware, such as `TROJAN`.
        "Type" => malware_type: optional<String>,
        /// Where it was found.
        "Path" => path: optional<String>,
        /// `OBSERVED`, `REMOVAL_FAILED` or `REMOVED`.
        "State" => state: optional<String>,
    }
}

asff_object! {
    /// The network traffic related to a finding.
    pub struct Network {
        /// `IN` or `OUT`.
        "Direction" => direction: optional<String>,
        /// The protocol, such as `TCP`.
        "Protocol" => protocol: optional<String>,
        /// The open port range.
        "OpenPortRange" => open_port_range: optional<PortRange>,
        /// The source IPv4 address.
        "SourceIpV4" => source_ip_v4: optional<String>,
        /// The source IPv6 address.
        "SourceIpV6" => source_ip_v6: optional<String>,
        /// The source port.
        "SourcePort" => source_port: optional<i32>,
        /// The source domain.
        "SourceDomain" => source_domain: optional<String>,
        /// The source MAC address.
        "SourceMac" => source_mac: optional<String>,
        /// The destination IPv4 address.
        "DestinationIpV4" => destination_ip_v4: optional<String>,
        /// The destination IPv6 address.
        "DestinationIpV6" => destination_ip_v6: optional<String>,
        /// The destination port.
        "DestinationPort" => destination_port: optional<i32>,
        /// The destination domain.
        "DestinationDomain" => destination_domain: optional<String>,
    }
}

asff_object! {
    /// A range of ports.
    pub struct PortRange {
        /// The first port.
        "Begin" => begin: optional<i32>,
        /// The last port.
        "End" => end: optional<i32>,
    }
}

asff_object! {
    /// One hop of a network path.
    pub struct NetworkPathComponent {
        /// The component's ID.
        "ComponentId" => component_id: optional<String>,
        /// The component's type.
        "ComponentType" => component_type: optional<String>,
    }
}

asff_object! {
    /// A process related to a finding.
    pub struct Process {
        /// The process name.
        "Name" => name: optional<String>,
        /// The executable's path.
        "Path" => path: optional<String>,
        /// The process ID.
        "Pid" => pid: optional<i32>,
        /// The parent process ID.
        "ParentPid" => parent_pid: optional<i32>,
        /// When it started.
        "LaunchedAt" => launched_at: optional<String>,
        /// When it ended.
        "TerminatedAt" => terminated_at: optional<String>,
    }
}

asff_object! {
    /// A threat detected in a resource.
    pub struct Threat {
        /// The threat's name.
        "Name" => name: optional<String>,
        /// The threat's severity.
        "Severity" => severity: optional<String>,
        /// How many infected items were found.
        "ItemCount" => item_count: optional<i32>,
        /// The infected files.
        "FilePaths" => file_paths: optional<Vec<serde_json::Value>>,
    }
}

asff_object! {
    /// A threat intelligence indicator related to a finding.
    pub struct ThreatIntelIndicator {
        /// The indicator's type, such as `IPV4_ADDRESS`.
        "Type" => indicator_type: optional<String>,
        /// The indicator's value.
        "Value" => value: optional<String>,
        /// The category, such as `COMMAND_AND_CONTROL`.
        "Category" => category: optional<String>,
        /// When it was last seen.
        "LastObservedAt" => last_observed_at: optional<String>,
        /// The intelligence source.
        "Source" => source: optional<String>,
        /// A link to the source.
        "SourceUrl" => source_url: optional<String>,
    }
}

asff_object! {
    /// The action that triggered a threat finding (GuardDuty).
    pub struct Action {
        /// `AWS_API_CALL`, `DNS_REQUEST`, `NETWORK_CONNECTION` or `PORT_PROBE`.
        "ActionType" => action_type: optional<String>,
        /// Details of an API call.
        "AwsApiCallAction" => aws_api_call_action: optional<serde_json::Value>,
        /// Details of a DNS request.
        "DnsRequestAction" => dns_request_action: optional<serde_json::Value>,
        /// Details of a network connection.
        "NetworkConnectionAction" => network_connection_action: optional<serde_json::Value>,
        /// Details of a port probe.
        "PortProbeAction" => port_probe_action: optional<serde_json::Value>,
    }
}
